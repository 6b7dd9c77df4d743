import { ErrorCode, KafkaError, errorCodeOf } from "../protocol/errors.ts";
import type { Timer } from "../util/clock.ts";
import type { Partition } from "./partition.ts";
import { Purgatory } from "./purgatory.ts";
import { RecordValidationError } from "../protocol/records/log-validator.ts";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ProduceResult extends TopicPartition {
  errorCode: number;
  errorMessage: string | null;
  /** Which batch (and why) failed validation, for the produce response (KIP-467). */
  recordErrors: { batchIndex: number; message: string }[];
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

export interface FetchPartitionRequest extends TopicPartition {
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
}

export interface FetchParams {
  /** -1 for consumers; a broker id for follower fetches (reads up to the log end). */
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: FetchPartitionRequest[];
}

export interface FetchPartitionResult extends TopicPartition {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
}

/**
 * The partitions this node hosts and the produce and fetch paths over them (Kafka's
 * ReplicaManager). Fetches that find too little data wait in a purgatory until an append
 * to one of their partitions or their max wait; acks=-1 produces wait until the high
 * watermark covers them.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchPurgatory: Purgatory;
  private readonly producePurgatory: Purgatory;

  constructor(timer: Timer) {
    this.fetchPurgatory = new Purgatory(timer);
    this.producePurgatory = new Purgatory(timer);
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(`${topic}-${partition}`);
  }
  add(p: Partition): void {
    this.partitions.set(p.key, p);
  }
  remove(topic: string, partition: number): Partition | undefined {
    const key = `${topic}-${partition}`;
    const p = this.partitions.get(key);
    this.partitions.delete(key);
    // Waiting fetches see the partition gone and answer with an error.
    this.fetchPurgatory.checkAndComplete(key);
    return p;
  }
  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** The partition if this node leads it; UNKNOWN_TOPIC_OR_PARTITION or NOT_LEADER_OR_FOLLOWER otherwise. */
  leaderPartition(topic: string, partition: number): Partition {
    const p = this.get(topic, partition);
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition: ${topic}-${partition}`);
    if (!p.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This server is not the leader for ${topic}-${partition}`);
    return p;
  }

  /** Appends each partition's records; with acks=-1 waits until the ISR has them or the timeout. */
  async appendRecords(requiredAcks: number, timeoutMs: number, entries: (TopicPartition & { records: Buffer | null })[]): Promise<ProduceResult[]> {
    const results = entries.map((e): ProduceResult & { lastOffset: number } => {
      try {
        if (!e.records || e.records.length === 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, "empty record set");
        const p = this.leaderPartition(e.topic, e.partition);
        const r = p.appendRecordsToLeader(e.records, requiredAcks);
        this.fetchPurgatory.checkAndComplete(p.key);
        return { topic: e.topic, partition: e.partition, errorCode: 0, errorMessage: null, recordErrors: [], ...r };
      } catch (err) {
        return {
          topic: e.topic,
          partition: e.partition,
          errorCode: errorCodeOf(err),
          errorMessage: err instanceof Error ? err.message : String(err),
          recordErrors: err instanceof RecordValidationError ? err.recordErrors : [],
          baseOffset: -1,
          lastOffset: -1,
          logAppendTime: -1,
          logStartOffset: -1,
        };
      }
    });
    if (requiredAcks === -1) await this.awaitReplication(results, timeoutMs);
    return results.map(({ lastOffset: _last, ...r }) => r);
  }

  private awaitReplication(results: (ProduceResult & { lastOffset: number })[], timeoutMs: number): Promise<void> {
    const pending = results.filter((r) => r.errorCode === 0);
    const replicated = (r: ProduceResult & { lastOffset: number }) => (this.get(r.topic, r.partition)?.highWatermark ?? -1) > r.lastOffset;
    return new Promise((resolve) => {
      this.producePurgatory.tryCompleteElseWatch(
        {
          tryComplete: () => {
            if (!pending.every(replicated)) return false;
            resolve();
            return true;
          },
          expire: () => {
            for (const r of pending) if (!replicated(r)) Object.assign(r, { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: "timed out waiting for in-sync replicas" });
            resolve();
          },
        },
        pending.map((r) => `${r.topic}-${r.partition}`),
        timeoutMs,
      );
    });
  }

  /** Reads every requested partition; waits for minBytes up to maxWaitMs (a delayed fetch). */
  fetchMessages(params: FetchParams): Promise<FetchPartitionResult[]> {
    return new Promise((resolve) => {
      let latest = this.readAll(params);
      const enough = () => latest.some((r) => r.errorCode !== 0) || totalBytes(latest) >= params.minBytes;
      if (params.maxWaitMs <= 0 || params.partitions.length === 0 || enough()) {
        resolve(latest);
        return;
      }
      this.fetchPurgatory.tryCompleteElseWatch(
        {
          tryComplete: () => {
            latest = this.readAll(params);
            if (!enough()) return false;
            resolve(latest);
            return true;
          },
          expire: () => resolve(this.readAll(params)),
        },
        params.partitions.map((p) => `${p.topic}-${p.partition}`),
        params.maxWaitMs,
      );
    });
  }

  private readAll(params: FetchParams): FetchPartitionResult[] {
    let budget = params.maxBytes;
    let minOneMessage = true;
    return params.partitions.map((req) => {
      const base = { topic: req.topic, partition: req.partition };
      try {
        const p = this.leaderPartition(req.topic, req.partition);
        const read = p.read(req.fetchOffset, Math.min(req.maxBytes, budget), params.replicaId >= 0 ? "logEnd" : "highWatermark", minOneMessage, req.currentLeaderEpoch);
        if (read.records.length > 0) {
          budget = Math.max(0, budget - read.records.length);
          minOneMessage = false;
        }
        return { ...base, errorCode: 0, highWatermark: read.highWatermark, lastStableOffset: read.lastStableOffset, logStartOffset: read.logStartOffset, records: read.records };
      } catch (err) {
        const p = this.get(req.topic, req.partition);
        return {
          ...base,
          errorCode: errorCodeOf(err),
          highWatermark: p?.highWatermark ?? -1,
          lastStableOffset: p?.highWatermark ?? -1,
          logStartOffset: p?.log.logStartOffset ?? -1,
          records: null,
        };
      }
    });
  }

  /** Completes every waiting operation (shutdown). */
  shutdown(): void {
    this.fetchPurgatory.expireAll();
    this.producePurgatory.expireAll();
  }
}

function totalBytes(results: FetchPartitionResult[]): number {
  let n = 0;
  for (const r of results) n += r.records?.length ?? 0;
  return n;
}
