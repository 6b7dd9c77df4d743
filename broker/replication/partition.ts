import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { validateAndAssignOffsets } from "../protocol/records/log-validator.ts";
import type { Log } from "../log/log.ts";
import { ProducerStateManager, type ProducerBatch } from "./producer-state.ts";
import type { Clock } from "../util/clock.ts";

/** Topic settings a partition applies on every append (from the effective topic config). */
export interface PartitionSettings {
  minInsyncReplicas: number;
  maxMessageBytes: number;
  timestampType: "CreateTime" | "LogAppendTime";
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  compacted: boolean;
}

export interface LeaderAppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTime: number;
  logStartOffset: number;
}

export interface PartitionRead {
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  logEndOffset: number;
}

/**
 * One partition replica on this node (Kafka's Partition): its log, leadership, ISR and
 * high watermark. The leader assigns offsets, polices idempotent producers and advances the
 * high watermark to the smallest log end offset in the ISR (only itself while the cluster
 * has one node; followers report theirs when replication lands).
 */
export class Partition {
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: number[] = [];
  isr: number[] = [];
  private readonly producers: ProducerStateManager;
  /** Log end offsets reported by followers (fetch offsets), by broker id. */
  private readonly followerEnds = new Map<number, number>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: string,
    readonly log: Log,
    private settings: PartitionSettings,
    private readonly localId: number,
    private readonly clock: Clock,
  ) {
    this.producers = ProducerStateManager.rebuild(log);
  }

  get key(): string {
    return `${this.topic}-${this.index}`;
  }
  get isLeader(): boolean {
    return this.leaderId === this.localId;
  }

  updateSettings(settings: PartitionSettings): void {
    this.settings = settings;
  }

  /** Becomes leader for `leaderEpoch`, recording where the epoch starts in the epoch cache. */
  makeLeader(leaderEpoch: number, partitionEpoch: number, replicas: number[], isr: number[]): void {
    this.leaderId = this.localId;
    this.replicas = replicas;
    this.isr = isr;
    this.partitionEpoch = partitionEpoch;
    if (leaderEpoch > this.leaderEpoch) this.log.assignEpochStartOffset(leaderEpoch, this.log.logEndOffset);
    this.leaderEpoch = leaderEpoch;
    this.followerEnds.clear();
    this.maybeIncrementHighWatermark();
  }

  /**
   * Stops leading: the controller gave the partition to `leaderId` (-1: nobody, when this
   * node was fenced or is shutting down and no other in-sync replica can lead). Appends are
   * refused from now on with NOT_LEADER_OR_FOLLOWER, which clients answer by asking again.
   */
  resign(leaderId: number, leaderEpoch: number, partitionEpoch: number): void {
    this.leaderId = leaderId;
    this.leaderEpoch = leaderEpoch;
    this.partitionEpoch = partitionEpoch;
    this.followerEnds.clear();
  }

  /** Validates, assigns offsets and appends a produce request's records as leader. */
  appendRecordsToLeader(records: Buffer, requiredAcks: number): LeaderAppendResult {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.localId} is not the leader of ${this.key}`);
    if (requiredAcks === -1 && this.isr.length < this.settings.minInsyncReplicas) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${this.isr.length} is insufficient to satisfy the min.isr requirement of ${this.settings.minInsyncReplicas} for partition ${this.key}`,
      );
    }
    const now = this.clock.now();
    const firstOffset = this.log.logEndOffset;
    const validated = validateAndAssignOffsets(records, {
      firstOffset: BigInt(firstOffset),
      leaderEpoch: this.leaderEpoch,
      now,
      timestampType: this.settings.timestampType,
      compacted: this.settings.compacted,
      maxMessageBytes: this.settings.maxMessageBytes,
      beforeMaxMs: this.settings.timestampBeforeMaxMs,
      afterMaxMs: this.settings.timestampAfterMaxMs,
      segmentBytes: this.log.config["segment.bytes"],
    });
    // Produce carries one batch per partition (the validator enforces it).
    const b = validated.batches[0]!;
    const batch: ProducerBatch = {
      producerId: Number(b.producerId),
      producerEpoch: b.producerEpoch,
      baseSequence: b.baseSequence,
      recordCount: b.recordCount,
      firstOffset: Number(b.baseOffset),
      lastOffset: Number(b.lastOffset),
      maxTimestamp: Number(b.maxTimestamp),
    };
    // A retried idempotent batch is answered with its original offsets, not appended again.
    const check = this.producers.check(batch);
    if (check.kind === "duplicate") {
      return { baseOffset: check.firstOffset, lastOffset: check.lastOffset, logAppendTime: -1, logStartOffset: this.log.logStartOffset };
    }
    const lastOffset = Number(validated.lastOffset);
    this.log.append(records, {
      firstOffset,
      lastOffset,
      maxTimestamp: Number(validated.maxTimestamp),
      offsetOfMaxTimestamp: Number(validated.offsetOfMaxTimestamp),
      crcVerified: true,
    });
    this.producers.update(batch);
    this.maybeIncrementHighWatermark();
    return {
      baseOffset: firstOffset,
      lastOffset,
      logAppendTime: this.settings.timestampType === "LogAppendTime" ? now : -1,
      logStartOffset: this.log.logStartOffset,
    };
  }

  /** Forgets idle idempotent producers (Kafka's producer.id.expiration.ms). */
  expireProducers(expirationMs: number): void {
    this.producers.expire(this.clock.now(), expirationMs);
  }

  /** The high watermark is the smallest log end offset among in-sync replicas. */
  private maybeIncrementHighWatermark(): boolean {
    let hw = this.log.logEndOffset;
    for (const id of this.isr) {
      if (id !== this.localId) hw = Math.min(hw, this.followerEnds.get(id) ?? this.log.highWatermark);
    }
    if (hw <= this.log.highWatermark) return false;
    this.log.updateHighWatermark(hw);
    return true;
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  /**
   * Reads for a consumer (up to the high watermark; read_committed stops at the last stable
   * offset, equal to the high watermark while there are no transactions) or a follower (to the
   * log end offset).
   */
  read(fetchOffset: number, maxBytes: number, upTo: "highWatermark" | "logEnd", minOneMessage: boolean, currentLeaderEpoch = -1): PartitionRead {
    this.checkLeaderEpoch(currentLeaderEpoch);
    const upperBound = upTo === "logEnd" ? this.log.logEndOffset : this.log.highWatermark;
    const { records } = this.log.read(fetchOffset, maxBytes, upperBound, minOneMessage);
    return {
      records,
      highWatermark: this.log.highWatermark,
      lastStableOffset: this.log.highWatermark,
      logStartOffset: this.log.logStartOffset,
      logEndOffset: this.log.logEndOffset,
    };
  }

  /** KIP-320: a client that knows a newer epoch than ours is ahead; an older one is fenced. */
  checkLeaderEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0) return;
    if (currentLeaderEpoch < this.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH);
    if (currentLeaderEpoch > this.leaderEpoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH);
  }

  /** OffsetForLeaderEpoch: the end offset of `epoch` (start of the next larger epoch, or LEO). */
  lastOffsetForLeaderEpoch(epoch: number, currentLeaderEpoch: number): { leaderEpoch: number; endOffset: number } {
    this.checkLeaderEpoch(currentLeaderEpoch);
    return this.log.endOffsetForEpoch(epoch) ?? { leaderEpoch: -1, endOffset: -1 };
  }

  /** DeleteRecords: moves the log start offset up to `offset` (-1 = the high watermark). */
  deleteRecordsBefore(offset: number): number {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const target = offset === -1 ? this.log.highWatermark : offset;
    if (target < 0 || target > this.log.highWatermark) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot delete records of partition ${this.key} before offset ${offset}: the high watermark is ${this.log.highWatermark}`,
      );
    }
    this.log.deleteRecordsBefore(target);
    return this.log.logStartOffset;
  }
}
