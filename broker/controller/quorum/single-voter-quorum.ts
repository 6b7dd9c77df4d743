import { join } from "node:path";
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { type Clock, systemClock, type Timer } from "../../util/clock.ts";
import type { MetadataRecord } from "../metadata-record-serde.ts";
import { encodeLeaderChangeBatch } from "./control-records.ts";
import { encodeMetadataBatch, metadataLogBatches, readMetadataLog } from "./metadata-log-batches.ts";
import type { QuorumDescription } from "./leader-progress.ts";
import type { AppendResult, CommittedBatch, LeaderAndEpoch, MetadataLogRead, MetadataQuorum, QuorumListener } from "./metadata-quorum.ts";
import { readQuorumState, writeQuorumState } from "./quorum-state.ts";
import type { RaftLogStore } from "./raft-log-store.ts";

export const METADATA_TOPIC_PARTITION_DIR = "__cluster_metadata-0";

/** The metadata partition's directory under `metadata.log.dir` (or the first log dir). */
export function metadataPartitionDir(metadataLogDir: string): string {
  return join(metadataLogDir, METADATA_TOPIC_PARTITION_DIR);
}

export interface SingleVoterQuorumOptions {
  nodeId: number;
  /** The `__cluster_metadata-0` directory; holds `quorum-state`. */
  dir: string;
  store: RaftLogStore;
  clock?: Clock & Timer;
  /** Bytes read per step while replaying the log at start. */
  readChunkBytes?: number;
}

/**
 * A quorum of one voter (Kafka's KafkaRaftClient when controller.quorum.voters names only
 * this node). At start it replays the committed log, then elects itself: it bumps the epoch
 * past any it has seen, persists that in `quorum-state` before acting on it, and opens the
 * epoch with a LeaderChangeMessage control batch. It is then leader until it stops. Its own
 * durable write is a majority, so an append is committed as soon as it is flushed.
 *
 * One controller command is one batch (encodeMetadataBatch), applied entirely or not at all.
 * Snapshots (Kafka's `.checkpoint` files) are not implemented: start-up replays the whole log.
 */
export class SingleVoterQuorum implements MetadataQuorum {
  readonly nodeId: number;
  private readonly dir: string;
  private readonly store: RaftLogStore;
  private readonly clock: Clock & Timer;
  private readonly readChunkBytes: number;
  private readonly listeners: QuorumListener[] = [];
  private epoch = -1;
  private leading = false;
  private started = false;
  private closed = false;
  private failure: unknown = null;
  private hw = 0n;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly commitWaiters = new Set<{ offset: bigint; resolve: () => void }>();

  constructor(options: SingleVoterQuorumOptions) {
    this.nodeId = options.nodeId;
    this.dir = options.dir;
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.readChunkBytes = options.readChunkBytes ?? 1 << 20;
  }

  leaderAndEpoch(): LeaderAndEpoch {
    return { leaderId: this.leading ? this.nodeId : null, epoch: this.epoch };
  }

  isLeader(): boolean {
    return this.leading && this.failure === null && !this.closed;
  }

  endOffset(): bigint {
    return this.store.logEndOffset();
  }

  highWatermark(): bigint {
    return this.hw;
  }

  /** DescribeQuorum's data: the lone voter, always caught up with itself. Observers' fetches are not tracked. */
  describeQuorum(): QuorumDescription {
    if (!this.isLeader()) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.nodeId} does not lead the metadata quorum`);
    const now = this.clock.now();
    const self = { nodeId: this.nodeId, logEndOffset: this.endOffset(), lastFetchTimestamp: now, lastCaughtUpTimestamp: now, lastFetchLeaderLogEndOffset: this.endOffset() };
    return { leaderId: this.nodeId, leaderEpoch: this.epoch, highWatermark: this.hw, voters: [self], observers: [] };
  }

  register(listener: QuorumListener): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error("quorum already started");
    this.started = true;
    const state = readQuorumState(this.dir);
    const lastLogEpoch = await this.replayLog();
    // Everything on disk was written by this node as the only voter, so it is all committed.
    this.hw = this.store.logEndOffset();

    // Elect ourselves in a new epoch; persist it first so the epoch is never reused.
    this.epoch = Math.max(state?.leaderEpoch ?? -1, lastLogEpoch, 0) + 1;
    writeQuorumState(this.dir, { leaderId: this.nodeId, leaderEpoch: this.epoch, votedId: this.nodeId, currentVoters: [this.nodeId] });
    const timestamp = this.clock.now();
    await this.write((baseOffset) =>
      encodeLeaderChangeBatch({ baseOffset, epoch: this.epoch, leaderId: this.nodeId, voters: [this.nodeId], grantingVoters: [this.nodeId], timestamp }),
    );
    this.advanceHighWatermark(this.store.logEndOffset());
    this.leading = true;
    for (const l of this.listeners) l.handleLeaderChange({ leaderId: this.nodeId, epoch: this.epoch });
  }

  append(epoch: number, records: readonly MetadataRecord[]): Promise<AppendResult> {
    const run = async (): Promise<AppendResult> => {
      if (!this.isLeader() || epoch !== this.epoch) {
        throw new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.nodeId} is not the metadata leader in epoch ${epoch}`);
      }
      if (records.length === 0) throw new RangeError("cannot append an empty batch");
      const timestamp = this.clock.now();
      const { baseOffset, lastOffset } = await this.write((base) => encodeMetadataBatch({ baseOffset: base, epoch, records, timestamp }));
      this.advanceHighWatermark(lastOffset + 1n);
      const batch: CommittedBatch = { baseOffset, lastOffset, epoch, appendTimestamp: timestamp, records: [...records] };
      for (const l of this.listeners) l.handleCommit(batch);
      return { baseOffset, lastOffset };
    };
    const result = this.tail.then(run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.leading = false;
    await this.tail;
    await this.store.close();
  }

  /** Appends one batch (encoded at the log end) and makes it durable; a failed write stops the quorum for good. */
  private async write(encode: (baseOffset: bigint) => Buffer): Promise<AppendResult> {
    if (this.failure !== null) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, "the metadata log failed earlier; restart the node");
    const baseOffset = this.store.logEndOffset();
    try {
      await this.store.append(encode(baseOffset));
      await this.store.flush();
    } catch (e) {
      // The log's tail is now unknown; Kafka treats this as fatal. Refuse further writes.
      this.failure = e;
      this.leading = false;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `metadata log write failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { baseOffset, lastOffset: this.store.logEndOffset() - 1n };
  }

  /** Delivers every data batch in the log to the listeners; returns the last epoch seen. */
  private async replayLog(): Promise<number> {
    let lastEpoch = -1;
    for await (const batch of readMetadataLog(this.store, this.readChunkBytes)) {
      lastEpoch = Math.max(lastEpoch, batch.epoch);
      if (batch.data) for (const l of this.listeners) l.handleCommit(batch.data);
    }
    return lastEpoch;
  }

  /**
   * Serves an observer's fetch (a broker-only node following the log): committed batches
   * from `offset`, about `maxBytes` of them, waiting up to `maxWaitMs` when there are none
   * yet. Only committed data is sent, so whatever an observer stores is committed and it
   * can replay its copy at start without asking anyone.
   */
  async readCommitted(offset: bigint, maxBytes: number, maxWaitMs: number): Promise<MetadataLogRead> {
    if (!this.isLeader()) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.nodeId} does not lead the metadata log`);
    if (offset < 0n || offset > this.hw) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `fetch offset ${offset} is outside the metadata log [0, ${this.hw}]`);
    }
    if (offset === this.hw && maxWaitMs > 0) await this.waitForCommit(offset, maxWaitMs);
    const hw = this.hw;
    const chunks: Buffer[] = [];
    if (offset < hw) {
      const buf = await this.store.read(offset, maxBytes);
      for (const batch of metadataLogBatches(buf, offset)) {
        if (batch.lastOffset >= hw) break;
        chunks.push(batch.bytes);
      }
    }
    return { records: Buffer.concat(chunks), highWatermark: hw, leaderId: this.nodeId, epoch: this.epoch };
  }

  /** Resolves once the high watermark passes `offset`, or after `maxWaitMs`. */
  private waitForCommit(offset: bigint, maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { offset, resolve: () => {} };
      const cancel = this.clock.schedule(maxWaitMs, () => {
        this.commitWaiters.delete(waiter);
        resolve();
      });
      waiter.resolve = () => {
        cancel();
        resolve();
      };
      this.commitWaiters.add(waiter);
    });
  }

  private advanceHighWatermark(hw: bigint): void {
    this.hw = hw;
    for (const w of [...this.commitWaiters]) {
      if (w.offset < hw) {
        this.commitWaiters.delete(w);
        w.resolve();
      }
    }
  }
}
