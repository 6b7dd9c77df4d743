import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { SimRandom } from "./sim-random.ts";
import type { SimScheduler, TimerScope } from "../../simulation/sim-scheduler.ts";

/** How unreliable the network is now (the driver changes it as faults come and go). */
export interface NetworkConditions {
  /** Chance that a request or a response is lost (the caller times out). */
  dropRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const CALM_NETWORK: NetworkConditions = { dropRate: 0, minDelayMs: 1, maxDelayMs: 5 };

/** A process as the network sees it: its id and its current incarnation's timers. */
export interface NetworkNode {
  readonly id: number;
  /** Null while the process is down. */
  readonly scope: TimerScope | null;
}

/**
 * The simulated network between the controller and the brokers: every request and every
 * response travels as a scheduler task after a random delay (so messages on different
 * connections overtake each other), may be dropped, and never crosses a cut link. A request
 * reaches only the incarnation that is up when it arrives, and its response only the caller
 * incarnation that sent it; a lost message leaves the caller to its timeout, as a socket
 * timeout would. A slow node (a slow disk) answers everything later.
 */
export class SimNetwork {
  conditions: NetworkConditions = CALM_NETWORK;
  private readonly nodes = new Map<number, NetworkNode>();
  private readonly cutLinks = new Set<string>();
  private readonly slowNodes = new Map<number, number>();
  /** Messages lost so far (drops and cut links). */
  dropped = 0;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly random: SimRandom,
  ) {}

  attach(node: NetworkNode): void {
    this.nodes.set(node.id, node);
  }

  /** Cuts (or heals) the link between `a` and `b`, both ways. */
  setCut(a: number, b: number, cut: boolean): void {
    const key = linkKey(a, b);
    if (cut) this.cutLinks.add(key);
    else this.cutLinks.delete(key);
  }

  isCut(a: number, b: number): boolean {
    return this.cutLinks.has(linkKey(a, b));
  }

  /** `extraMs` more latency on everything `id` answers (0 heals it). */
  setSlow(id: number, extraMs: number): void {
    if (extraMs > 0) this.slowNodes.set(id, extraMs);
    else this.slowNodes.delete(id);
  }

  healAll(): void {
    this.cutLinks.clear();
    this.slowNodes.clear();
    this.conditions = CALM_NETWORK;
  }

  /**
   * Sends a request from `from` to node `to`, where `handle` serves it. Settles with the
   * answer, or rejects after `timeoutMs` on the caller's timer when a message was lost.
   * Never settles if the caller's incarnation died meanwhile.
   */
  call<T>(from: NetworkNode, to: number, timeoutMs: number, handle: () => Promise<T>): Promise<T> {
    const caller = from.scope;
    return new Promise<T>((resolve, reject) => {
      if (!caller?.alive) return;
      let settled = false;
      const cancelTimeout = caller.schedule(timeoutMs, () => {
        if (settled) return;
        settled = true;
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `request from ${from.id} to ${to} timed out`));
      });
      const deliverResponse = (outcome: { ok: true; value: T } | { ok: false; error: unknown }) => {
        if (settled || !caller.alive) return;
        settled = true;
        cancelTimeout();
        if (outcome.ok) resolve(outcome.value);
        else reject(outcome.error);
      };
      this.transmit(from.id, to, () => {
        const target = this.nodes.get(to)?.scope;
        if (!target?.alive) return this.dropped++;
        let answer: Promise<T>;
        try {
          answer = handle();
        } catch (e) {
          answer = Promise.reject(e);
        }
        const respond = (outcome: Parameters<typeof deliverResponse>[0]) => {
          // A process that crashed while serving the request sends nothing back.
          if (!target.alive) return;
          this.transmit(to, from.id, () => deliverResponse(outcome), this.slowNodes.get(to) ?? 0);
        };
        answer.then(
          (value) => respond({ ok: true, value }),
          (error: unknown) => respond({ ok: false, error }),
        );
      });
    });
  }

  /** Carries one message after a delay, unless it is lost on the way. */
  private transmit(from: number, to: number, arrive: () => void, extraDelayMs = 0): void {
    const { dropRate, minDelayMs, maxDelayMs } = this.conditions;
    if (this.isCut(from, to) || this.random.chance(dropRate)) {
      this.dropped++;
      return;
    }
    this.scheduler.schedule(this.random.int(minDelayMs, maxDelayMs) + extraDelayMs, () => {
      // A link cut while the message was on the way loses it too.
      if (this.isCut(from, to)) {
        this.dropped++;
        return;
      }
      arrive();
    });
  }
}

function linkKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}
