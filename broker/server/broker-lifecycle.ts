import { IllegalStateTransition } from "../controller/state-machines/state-machine.ts";
import type { ControllerApi } from "../controller/controller.ts";
import type { RegisterBrokerCommand } from "../controller/cluster-control.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { FailureReporter } from "../util/failure-reporter.ts";
import type { Clock, Timer } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";

/**
 * A broker-only node's standing with the controller, Kafka's BrokerState as seen from the
 * broker: Starting (registering), Recovery (registered, fenced while it replays metadata up
 * to its registration), Running (unfenced), PendingControlledShutdown (asking the controller
 * to move its leaderships away), ShuttingDown.
 */
export type BrokerLifecycleState = "Starting" | "Recovery" | "Running" | "PendingControlledShutdown" | "ShuttingDown";

const VALID_PREVIOUS: Record<BrokerLifecycleState, readonly BrokerLifecycleState[]> = {
  Starting: ["Recovery", "Running"],
  Recovery: ["Starting"],
  Running: ["Recovery"],
  PendingControlledShutdown: ["Recovery", "Running"],
  ShuttingDown: ["Starting", "Recovery", "Running", "PendingControlledShutdown"],
};

export interface BrokerLifecycleOptions {
  nodeId: number;
  controller: ControllerApi;
  /** This node's registration, sent at start and again if the controller forgets it. */
  registration: Omit<RegisterBrokerCommand, "brokerId">;
  /** The last metadata offset this node has applied (heartbeats report it). */
  metadataOffset: () => bigint;
  clock: Clock & Timer;
  logger: Logger;
  heartbeatIntervalMs: number;
  /** Pause before retrying a failed registration. */
  retryBackoffMs: number;
}

/**
 * Kafka's BrokerLifecycleManager: registers with the controller, heartbeats every
 * broker.heartbeat.interval.ms, and on shutdown asks for a controlled shutdown. The
 * controller decides fencing; this only reports and follows. A heartbeat refused with
 * STALE_BROKER_EPOCH (the controller has a newer registration for this id, or none)
 * registers again.
 */
export class BrokerLifecycle {
  private current: BrokerLifecycleState = "Starting";
  private epoch = -1n;
  private fenced = true;
  private cancelTimer: (() => void) | null = null;
  private unfencedWaiters: (() => void)[] = [];
  private shutdownDone: (() => void) | null = null;
  private closed = false;

  private readonly failures: FailureReporter;

  constructor(private readonly options: BrokerLifecycleOptions) {
    this.failures = new FailureReporter(options.logger);
  }

  get state(): BrokerLifecycleState {
    return this.current;
  }

  /** The epoch of this node's current registration, -1 before it registered. */
  get brokerEpoch(): bigint {
    return this.epoch;
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  start(): void {
    this.tick(0);
  }

  /** Resolves once the controller has unfenced this node for the first time. */
  waitUntilUnfenced(): Promise<void> {
    if (this.current === "Running") return Promise.resolve();
    return new Promise((resolve) => this.unfencedWaiters.push(resolve));
  }

  /**
   * Asks the controller to move this node's leaderships away and waits (at most
   * `timeoutMs`) until it agrees, then stops heartbeating.
   */
  async controlledShutdown(timeoutMs: number): Promise<void> {
    if (this.current === "ShuttingDown") return;
    if (this.current !== "Recovery" && this.current !== "Running") return this.stop();
    this.transition("PendingControlledShutdown");
    await new Promise<void>((resolve) => {
      const cancel = this.options.clock.schedule(timeoutMs, resolve);
      this.shutdownDone = () => {
        cancel();
        resolve();
      };
      this.tick(0);
    });
    this.stop();
  }

  /** Stops without telling the controller (its session will run out). */
  stop(): void {
    this.closed = true;
    this.cancelTimer?.();
    if (this.current !== "ShuttingDown") this.transition("ShuttingDown");
    this.shutdownDone?.();
  }

  private tick(delayMs: number): void {
    if (this.closed) return;
    this.cancelTimer?.();
    this.cancelTimer = this.options.clock.schedule(delayMs, () => {
      this.cancelTimer = null;
      void this.step();
    });
  }

  private async step(): Promise<void> {
    if (this.closed) return;
    if (this.current === "Starting") return this.register();
    return this.heartbeat();
  }

  private async register(): Promise<void> {
    const { options } = this;
    try {
      const { brokerEpoch } = await options.controller.registerBroker({ ...options.registration, brokerId: options.nodeId });
      if (this.closed) return;
      this.epoch = brokerEpoch;
      this.fenced = true;
      this.failures.clear();
      this.transition("Recovery");
      this.tick(0);
    } catch (e) {
      this.failures.report(e, "cannot register with the controller; retrying");
      this.tick(options.retryBackoffMs);
    }
  }

  private async heartbeat(): Promise<void> {
    const { options } = this;
    const wantShutDown = this.current === "PendingControlledShutdown";
    try {
      const reply = await options.controller.brokerHeartbeat({
        brokerId: options.nodeId,
        brokerEpoch: this.epoch,
        currentMetadataOffset: options.metadataOffset(),
        wantFence: false,
        wantShutDown,
      });
      if (this.closed) return;
      this.failures.clear();
      this.fenced = reply.isFenced;
      if (this.current === "PendingControlledShutdown") {
        if (reply.shouldShutDown) return this.shutdownDone?.();
      } else if (this.current === "Recovery" && !reply.isFenced) {
        this.transition("Running");
        for (const w of this.unfencedWaiters.splice(0)) w();
      }
      // Catching up or shutting down, the next step comes from the next heartbeat: soon.
      const soon = this.current === "Recovery" || this.current === "PendingControlledShutdown";
      this.tick(soon ? Math.min(options.heartbeatIntervalMs, 50) : options.heartbeatIntervalMs);
    } catch (e) {
      if (this.closed) return;
      if (e instanceof KafkaError && e.code === ErrorCode.STALE_BROKER_EPOCH && this.current !== "PendingControlledShutdown") {
        this.failures.report(e, "the controller no longer knows this registration; registering again");
        this.transition("Starting");
        this.tick(0);
        return;
      }
      this.failures.report(e, "broker heartbeat failed; retrying");
      this.tick(Math.min(options.heartbeatIntervalMs, options.retryBackoffMs));
    }
  }

  private transition(to: BrokerLifecycleState): void {
    if (!VALID_PREVIOUS[to].includes(this.current)) throw new IllegalStateTransition(`broker lifecycle: illegal transition ${this.current} -> ${to}`);
    this.options.logger.debug({ from: this.current, to, brokerEpoch: String(this.epoch) }, "broker lifecycle");
    this.current = to;
  }

}
