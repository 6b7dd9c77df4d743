import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { FailureReporter } from "../../util/failure-reporter.ts";
import type { Clock, Timer } from "../../util/clock.ts";
import type { Logger } from "../../util/logger.ts";
import { metadataLogBatches, readMetadataLog } from "./metadata-log-batches.ts";
import type { AppendResult, LeaderAndEpoch, MetadataLogRead, MetadataQuorum, QuorumListener } from "./metadata-quorum.ts";
import type { RaftLogStore } from "./raft-log-store.ts";
import type { MetadataRecord } from "../metadata-record-serde.ts";

/** One fetch of the metadata log from its leader; fails with a KafkaError or a network error. */
export type MetadataLogFetch = (request: { fetchOffset: bigint; lastFetchedEpoch: number; maxWaitMs: number; maxBytes: number }) => Promise<MetadataLogRead>;

export interface ObserverQuorumOptions {
  nodeId: number;
  store: RaftLogStore;
  /** The transport to the leader (remote-metadata-fetch.ts over the wire; direct in tests). */
  fetch: MetadataLogFetch;
  clock: Clock & Timer;
  logger: Logger;
  /** How long the leader may hold a fetch open when there is nothing new. */
  fetchMaxWaitMs: number;
  /** Pause after a failed fetch (leader unreachable, not leading). */
  retryBackoffMs: number;
  readChunkBytes?: number;
}

/**
 * A broker-only node's view of the metadata quorum (Kafka's KafkaRaftClient as an
 * observer): it never votes or appends, it follows the leader's log with long-polling
 * fetches, keeps a copy in its own `__cluster_metadata-0`, and delivers every batch to the
 * listeners once committed. The leader sends only committed batches, so the local copy is
 * all committed: at start it is replayed at once, before the first fetch, and a restarted
 * broker serves its last known metadata while it catches up.
 */
export class ObserverQuorum implements MetadataQuorum {
  readonly nodeId: number;
  private readonly listeners: QuorumListener[] = [];
  private leader: LeaderAndEpoch = { leaderId: null, epoch: -1 };
  private hw = 0n;
  private lastEpoch = -1;
  private started = false;
  private closed = false;
  private loop: Promise<void> = Promise.resolve();
  private cancelBackoff: (() => void) | null = null;

  private readonly failures: FailureReporter;

  constructor(private readonly options: ObserverQuorumOptions) {
    this.nodeId = options.nodeId;
    this.failures = new FailureReporter(options.logger);
  }

  leaderAndEpoch(): LeaderAndEpoch {
    return this.leader;
  }

  isLeader(): boolean {
    return false;
  }

  endOffset(): bigint {
    return this.options.store.logEndOffset();
  }

  highWatermark(): bigint {
    return this.hw;
  }

  register(listener: QuorumListener): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("quorum already started");
    this.started = true;
    await this.replayLocalCopy();
    this.hw = this.options.store.logEndOffset();
    // Loading is over once the local copy is replayed; the leader is not known yet.
    for (const l of this.listeners) l.handleLeaderChange(this.leader);
    this.loop = this.follow();
  }

  append(epoch: number, _records?: readonly MetadataRecord[]): Promise<AppendResult> {
    return Promise.reject(new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.nodeId} is an observer of the metadata quorum, not a voter (epoch ${epoch})`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelBackoff?.();
    await this.loop;
    await this.options.store.close();
  }

  private async replayLocalCopy(): Promise<void> {
    for await (const batch of readMetadataLog(this.options.store, this.options.readChunkBytes ?? 1 << 20)) {
      this.lastEpoch = Math.max(this.lastEpoch, batch.epoch);
      if (batch.data) for (const l of this.listeners) l.handleCommit(batch.data);
    }
  }

  private async follow(): Promise<void> {
    while (!this.closed) {
      try {
        const read = await this.options.fetch({
          fetchOffset: this.options.store.logEndOffset(),
          lastFetchedEpoch: this.lastEpoch,
          maxWaitMs: this.options.fetchMaxWaitMs,
          maxBytes: this.options.readChunkBytes ?? 1 << 20,
        });
        if (this.closed) return;
        this.failures.clear();
        await this.accept(read);
      } catch (e) {
        if (this.closed) return;
        this.failures.report(e, "cannot fetch the metadata log from the controller; retrying");
        await this.backoff();
      }
    }
  }

  /** Stores and delivers the batches of one fetch, then notes the leader it came from. */
  private async accept(read: MetadataLogRead): Promise<void> {
    const { store } = this.options;
    const batches = [...metadataLogBatches(read.records, store.logEndOffset())].filter((b) => b.lastOffset < read.highWatermark);
    for (const b of batches) await store.append(b.bytes);
    this.hw = read.highWatermark;
    if (read.leaderId !== this.leader.leaderId || read.epoch !== this.leader.epoch) {
      this.leader = { leaderId: read.leaderId, epoch: read.epoch };
      for (const l of this.listeners) l.handleLeaderChange(this.leader);
    }
    // Already committed by the quorum: applied before the local fsync, which only saves a
    // re-fetch after a crash.
    for (const b of batches) {
      this.lastEpoch = b.epoch;
      if (b.data) for (const l of this.listeners) l.handleCommit(b.data);
    }
    if (batches.length > 0) await store.flush();
  }


  private backoff(): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.options.clock.schedule(this.options.retryBackoffMs, () => {
        this.cancelBackoff = null;
        resolve();
      });
      // close() ends the wait at once.
      this.cancelBackoff = () => {
        cancel();
        resolve();
      };
    });
  }
}
