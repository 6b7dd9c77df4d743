import { encodeRecordBatch } from "../protocol/records/record-batch.ts";
import type { Clock, Timer } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { StateChangeEvent, StateChangeSink } from "./state-change.ts";

/** Where published events go: an append of one batch to `__state_changes`, acks=all. */
export type StateChangeAppender = (batch: Buffer) => Promise<void>;

/** Events waiting while the topic does not exist yet or the previous append is in flight. */
const MAX_PENDING = 10_000;
const RETRY_MS = 1000;

/**
 * Turns state-machine transitions into records of the `__state_changes` topic, in the order
 * they happened. Appends are batched: every event raised while one append is in flight goes
 * into the next batch. Publishing never blocks or fails the state machine that reported the
 * transition: if the topic cannot take the events, they wait (bounded, oldest dropped first,
 * with a warning) and are retried.
 */
export class StateChangePublisher {
  private pending: StateChangeEvent[] = [];
  private appender: StateChangeAppender | null = null;
  private inFlight = false;
  private dropped = 0;

  constructor(
    private readonly nodeId: number,
    private readonly clock: Clock & Timer,
    private readonly log: Logger,
  ) {}

  /** The sink state machines report to. */
  readonly sink: StateChangeSink = (e) => {
    this.pending.push({ ...e, node: this.nodeId, at: e.at ?? this.clock.now() });
    if (this.pending.length > MAX_PENDING) {
      this.pending.shift();
      if (this.dropped++ === 0) this.log.warn({ topic: "__state_changes" }, "state-change backlog full, dropping the oldest events");
    }
    this.flush();
  };

  /** Starts (or stops, with null) writing: the node leads `__state_changes-0`, or no longer does. */
  setAppender(appender: StateChangeAppender | null): void {
    this.appender = appender;
    this.flush();
  }

  get backlog(): number {
    return this.pending.length;
  }

  private flush(): void {
    const appender = this.appender;
    if (this.inFlight || !appender || this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.inFlight = true;
    appender(encodeEvents(events)).then(
      () => {
        this.inFlight = false;
        this.flush();
      },
      (err: unknown) => {
        this.inFlight = false;
        this.pending = events.concat(this.pending);
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "cannot append state changes, will retry");
        this.clock.schedule(RETRY_MS, () => this.flush());
      },
    );
  }
}

export function encodeEvents(events: readonly StateChangeEvent[]): Buffer {
  const base = events[0]!.at;
  return encodeRecordBatch({
    baseTimestamp: BigInt(base),
    records: events.map((e, i) => ({
      offsetDelta: i,
      timestampDelta: e.at - base,
      key: Buffer.from(e.subject),
      value: Buffer.from(JSON.stringify(e)),
      headers: [],
    })),
  });
}
