import { join } from "node:path";
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from "../../protocol/records/record-batch.ts";
import { ATTR } from "../../protocol/records/batch-header.ts";
import type { Record as BatchRecord } from "../../protocol/records/record.ts";
import { type Clock, systemClock } from "../../util/clock.ts";
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from "../metadata-record-serde.ts";
import { ControlRecordType, controlRecordKey, controlRecordType, decodeLeaderChange, encodeLeaderChange } from "./control-records.ts";
import type { AppendResult, CommittedBatch, LeaderAndEpoch, MetadataQuorum, QuorumListener } from "./metadata-quorum.ts";
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
  clock?: Clock;
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
 * One controller command is one batch (magic 2, key null, value = MetadataRecordSerde bytes,
 * partitionLeaderEpoch = the quorum epoch), so a command is applied entirely or not at all.
 * Snapshots (Kafka's `.checkpoint` files) are not implemented: start-up replays the whole log.
 */
export class SingleVoterQuorum implements MetadataQuorum {
  readonly nodeId: number;
  private readonly dir: string;
  private readonly store: RaftLogStore;
  private readonly clock: Clock;
  private readonly readChunkBytes: number;
  private readonly listeners: QuorumListener[] = [];
  private epoch = -1;
  private leading = false;
  private started = false;
  private closed = false;
  private failure: unknown = null;
  private hw = 0n;
  private tail: Promise<unknown> = Promise.resolve();

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
    const voters = [{ voterId: this.nodeId, voterDirectoryId: "AAAAAAAAAAAAAAAAAAAAAA" }];
    const leaderChange = encodeLeaderChange({ version: 0, leaderId: this.nodeId, voters, grantingVoters: voters });
    await this.write(
      [{ offsetDelta: 0, timestampDelta: 0, key: controlRecordKey(ControlRecordType.LEADER_CHANGE), value: leaderChange, headers: [] }],
      true,
    );
    this.hw = this.store.logEndOffset();
    this.leading = true;
    for (const l of this.listeners) l.handleLeaderChange({ leaderId: this.nodeId, epoch: this.epoch });
  }

  append(epoch: number, records: readonly MetadataRecord[]): Promise<AppendResult> {
    const run = async (): Promise<AppendResult> => {
      if (!this.isLeader() || epoch !== this.epoch) {
        throw new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.nodeId} is not the metadata leader in epoch ${epoch}`);
      }
      if (records.length === 0) throw new RangeError("cannot append an empty batch");
      const values = records.map(encodeMetadataRecord);
      const timestamp = this.clock.now();
      const { baseOffset, lastOffset } = await this.write(
        values.map((value, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value, headers: [] })),
        false,
        timestamp,
      );
      this.hw = lastOffset + 1n;
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

  /** Appends one batch and makes it durable; a failed write stops the quorum for good. */
  private async write(records: BatchRecord[], control: boolean, timestamp = this.clock.now()): Promise<AppendResult> {
    if (this.failure !== null) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, "the metadata log failed earlier; restart the node");
    const baseOffset = this.store.logEndOffset();
    const batch = encodeRecordBatch({
      baseOffset,
      partitionLeaderEpoch: this.epoch,
      control,
      baseTimestamp: BigInt(timestamp),
      records,
    });
    try {
      await this.store.append(batch);
      await this.store.flush();
    } catch (e) {
      // The log's tail is now unknown; Kafka treats this as fatal. Refuse further writes.
      this.failure = e;
      this.leading = false;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `metadata log write failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { baseOffset, lastOffset: baseOffset + BigInt(records.length - 1) };
  }

  /** Delivers every data batch in the log to the listeners; returns the last epoch seen. */
  private async replayLog(): Promise<number> {
    let offset = 0n;
    let lastEpoch = -1;
    const end = this.store.logEndOffset();
    while (offset < end) {
      const buf = await this.store.read(offset, this.readChunkBytes);
      if (buf.length === 0) break;
      let progressed = false;
      for (const entry of iterateBatches(buf)) {
        if (entry.partial) break;
        const bytes = buf.subarray(entry.position, entry.position + entry.size);
        const { header, records } = decodeRecordBatch(bytes);
        const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
        if (lastOffset < offset) continue;
        progressed = true;
        offset = lastOffset + 1n;
        lastEpoch = Math.max(lastEpoch, header.partitionLeaderEpoch);
        if (header.attributes & ATTR.CONTROL) {
          for (const r of records) {
            if (controlRecordType(r.key) === ControlRecordType.LEADER_CHANGE && r.value) decodeLeaderChange(r.value);
          }
          continue;
        }
        const batch: CommittedBatch = {
          baseOffset: header.baseOffset,
          lastOffset,
          epoch: header.partitionLeaderEpoch,
          appendTimestamp: Number(header.maxTimestamp),
          records: records.map((r) => {
            if (!r.value) throw new Error(`metadata record at offset ${header.baseOffset + BigInt(r.offsetDelta)} has no value`);
            return decodeMetadataRecord(r.value);
          }),
        };
        for (const l of this.listeners) l.handleCommit(batch);
      }
      if (!progressed) throw new Error(`metadata log made no progress reading at offset ${offset}`);
    }
    return lastEpoch;
  }
}
