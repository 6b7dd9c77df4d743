import { ErrorCode, KafkaError, type ErrorCodeValue } from "../protocol/errors.ts";
import type { Timer } from "../util/clock.ts";
import type { CoordinatorLog, CoordinatorRecord } from "./coordinator-log.ts";

/** What the partitions hold; shared by every view, like the disks of a cluster. */
export class InMemoryOffsetsTopic {
  readonly partitions = new Map<number, { offset: number; key: Buffer | null; value: Buffer | null }[]>();
  /** Bumped on failover: appends through an older view are refused, as from a deposed leader. */
  leaderEpoch = 0;

  records(partition: number): { offset: number; key: Buffer | null; value: Buffer | null }[] {
    let p = this.partitions.get(partition);
    if (!p) this.partitions.set(partition, (p = []));
    return p;
  }

  /** A view for a new leader; views made before it can no longer append. */
  newLeaderView(): InMemoryCoordinatorLog {
    this.leaderEpoch++;
    return new InMemoryCoordinatorLog(this, this.leaderEpoch);
  }
}

/**
 * CoordinatorLog for tests, simulations and benchmarks: records are stored when appended and
 * the append resolves on a later microtask (or after a simulated replication latency).
 * Failures can be injected: the next appends reject with a given error and store nothing.
 */
export class InMemoryCoordinatorLog implements CoordinatorLog {
  private failures: ErrorCodeValue[] = [];
  appendCount = 0;
  /**
   * Replication latency: when set, an append is stored at once (the leader's local write)
   * but resolves after `latency()` ms on `timer`, so appends can complete out of order.
   */
  replication: { timer: Timer; latency: () => number } | null = null;

  constructor(
    readonly topic: InMemoryOffsetsTopic = new InMemoryOffsetsTopic(),
    private readonly epoch = topic.leaderEpoch,
  ) {}

  /** The next `times` appends fail with `code`. */
  failNext(code: ErrorCodeValue, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(code);
  }

  async append(partition: number, records: CoordinatorRecord[]): Promise<void> {
    this.appendCount++;
    const failure = this.failures.shift();
    if (failure !== undefined) {
      await Promise.resolve();
      throw new KafkaError(failure);
    }
    if (this.epoch !== this.topic.leaderEpoch) {
      await Promise.resolve();
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `__consumer_offsets-${partition} has a newer leader`);
    }
    const log = this.topic.records(partition);
    for (const r of records) log.push({ offset: log.length, key: r.key, value: r.value });
    const replication = this.replication;
    if (replication) await new Promise<void>((resolve) => replication.timer.schedule(replication.latency(), resolve));
    else await Promise.resolve();
  }

  async *read(partition: number): AsyncIterable<{ offset: number; key: Buffer | null; value: Buffer | null }> {
    for (const r of [...this.topic.records(partition)]) yield r;
  }
}
