import type { RaftApi, RaftNetwork, RaftRequestHandler, RaftRequests, RaftResponses } from "./raft-messages.ts";
import type { SimScheduler } from "../../simulation/sim-scheduler.ts";

export interface SimNetworkFaults {
  /** Chance that any one message (request or response) is lost. */
  dropRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Chance that a message is held much longer (up to 20 × maxDelayMs), reordering it. */
  slowRate: number;
}

/**
 * The network of a simulation: every message is delivered after a random delay, or lost,
 * or blocked by a partition. A lost message is never answered (the sender's request
 * timeout notices). Nodes attach their current incarnation's handler; a crashed node has
 * none, so messages to it vanish.
 */
export class SimRaftNetwork {
  private readonly handlers = new Map<number, RaftRequestHandler>();
  /** Pairs "a>b" that cannot talk (both directions are blocked by `partition`). */
  private readonly blocked = new Set<string>();
  delivered = 0;
  dropped = 0;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly random: () => number,
    public faults: SimNetworkFaults,
  ) {}

  attach(nodeId: number, handler: RaftRequestHandler): void {
    this.handlers.set(nodeId, handler);
  }

  detach(nodeId: number): void {
    this.handlers.delete(nodeId);
  }

  /** Cuts every link between the groups (a node in no group keeps its links). */
  partition(groups: number[][]): void {
    for (const a of groups) for (const b of groups) if (a !== b) for (const x of a) for (const y of b) this.blocked.add(`${x}>${y}`);
  }

  heal(): void {
    this.blocked.clear();
  }

  isPartitioned(): boolean {
    return this.blocked.size > 0;
  }

  endpoint(from: number): RaftNetwork {
    return {
      send: <A extends RaftApi>(to: number, api: A, request: RaftRequests[A]) =>
        new Promise<RaftResponses[A]>((resolve) => {
          this.carry(from, to, () => {
            const handler = this.handlers.get(to);
            if (!handler) return this.dropped++;
            handler.handle(from, api, request).then(
              (response) => this.carry(to, from, () => resolve(response)),
              () => this.dropped++,
            );
          });
        }),
    };
  }

  private carry(from: number, to: number, deliver: () => void): void {
    const f = this.faults;
    if (this.blocked.has(`${from}>${to}`) || this.random() < f.dropRate) {
      this.dropped++;
      return;
    }
    let delay = f.minDelayMs + Math.floor(this.random() * (f.maxDelayMs - f.minDelayMs + 1));
    if (this.random() < f.slowRate) delay *= 1 + Math.floor(this.random() * 20);
    this.scheduler.schedule(delay, () => {
      // A partition that began while the message was in flight stops it too.
      if (this.blocked.has(`${from}>${to}`)) {
        this.dropped++;
        return;
      }
      this.delivered++;
      deliver();
    });
  }
}
