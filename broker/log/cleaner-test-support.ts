import { type BatchHeader } from "../protocol/records/batch-header.ts";
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from "../protocol/records/record-batch.ts";
import { CleanerCheckpoints } from "./cleaner-checkpoint.ts";
import { LogCleaner, type LogCleanerConfig } from "./cleaner-task.ts";
import type { Log } from "./log.ts";
import type { ManualTime } from "./test-support.ts";
import { appendInfo } from "./test-batches.ts";

/** Test utility for the cleaner: keyed batches, reading a log back as records. */

export interface TestRecord {
  key: string | null;
  /** null = tombstone. */
  value: string | null;
  /** Defaults to the batch's timestamp. */
  timestamp?: number;
}

export interface KeyedBatchOptions {
  compression?: number;
  timestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  control?: boolean;
  timestampType?: "CreateTime" | "LogAppendTime";
}

export function keyedBatch(baseOffset: number, records: readonly TestRecord[], o: KeyedBatchOptions = {}): Buffer {
  const baseTimestamp = o.timestamp ?? 1_000_000;
  return encodeRecordBatch({
    baseOffset: BigInt(baseOffset),
    partitionLeaderEpoch: 0,
    compression: o.compression ?? 0,
    control: o.control,
    timestampType: o.timestampType,
    producerId: BigInt(o.producerId ?? -1),
    producerEpoch: o.producerEpoch ?? -1,
    baseSequence: o.baseSequence ?? -1,
    baseTimestamp: BigInt(baseTimestamp),
    records: records.map((r, i) => ({
      offsetDelta: i,
      timestampDelta: (r.timestamp ?? baseTimestamp) - baseTimestamp,
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      headers: [],
    })),
  });
}

/** Appends one keyed batch at the log end; returns its base offset. */
export function appendKeyed(log: Log, records: readonly TestRecord[], o: KeyedBatchOptions = {}): number {
  const base = log.logEndOffset;
  const batch = keyedBatch(base, records, o);
  log.append(batch, appendInfo(batch));
  return base;
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

export interface ReadBatch {
  header: BatchHeader;
  bytes: Buffer;
  records: ReadRecord[];
}

/** Every batch from the log start to the log end, decoded. */
export function readBatches(log: Log): ReadBatch[] {
  const out: ReadBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = log.read(offset, 1 << 20, log.logEndOffset, true);
    if (records.length === 0) break;
    for (const entry of iterateBatches(records)) {
      if (entry.partial) throw new Error("partial batch");
      const bytes = Buffer.from(records.subarray(entry.position, entry.position + entry.size));
      const { header, records: recs } = decodeRecordBatch(bytes);
      const base = Number(header.baseOffset);
      out.push({
        header,
        bytes,
        records: recs.map((r) => ({
          offset: base + r.offsetDelta,
          key: r.key === null ? null : r.key.toString(),
          value: r.value === null ? null : r.value.toString(),
          timestamp: Number(header.baseTimestamp) + r.timestampDelta,
        })),
      });
      offset = base + header.lastOffsetDelta + 1;
    }
  }
  return out;
}

export function readRecords(log: Log): ReadRecord[] {
  return readBatches(log).flatMap((b) => b.records);
}

/** A cleaner over one standalone log whose log dir is `logDir`. */
export function cleanerFor(log: Log, logDir: string, time: ManualTime, config: Partial<LogCleanerConfig> = {}): LogCleaner {
  return new LogCleaner({ config, logDirs: [logDir], logs: () => [{ log, logDir }], clock: time, timer: time });
}

/** The checkpointed offset in a log dir's cleaner-offset-checkpoint, read from disk. */
export function checkpointOnDisk(logDir: string, log: Log): number | undefined {
  const checkpoints = new CleanerCheckpoints({ info() {}, warn() {}, error() {} });
  checkpoints.load(logDir);
  return checkpoints.get(logDir, log.topic, log.partition);
}
