import { BATCH, writeBatchCrc } from "../protocol/records/batch-header.ts";
import { batchBaseOffset, batchLastOffset, batchMaxTimestamp, batchSize, readInt64, writeInt64 } from "./batch-view.ts";
import type { AppendInfo } from "./log.ts";
import type { RecordTimestampSearch } from "./log-segment.ts";

/**
 * Test utility: builds valid uncompressed v2 batches (real record encoding, correct CRC) so
 * log tests and the benchmark don't depend on the record codec.
 */
export interface TestBatchOptions {
  baseOffset: number;
  /** Records in the batch (default 1). */
  count?: number;
  /** Bytes of each record's value (default 10). */
  valueSize?: number;
  /** Timestamp of the first record (default 1_000_000); later ones add `timestampStep` each. */
  timestamp?: number;
  timestampStep?: number;
  /** Explicit per-record timestamps (overrides timestamp/timestampStep). */
  timestamps?: readonly number[];
  /** partitionLeaderEpoch (default 0). */
  leaderEpoch?: number;
}

function zigzagVarint(n: number, out: number[]): void {
  // Zigzag via arithmetic so 64-bit timestamps deltas stay exact.
  let v = n >= 0 ? n * 2 : -n * 2 - 1;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function readZigzagVarint(buf: Buffer, pos: { at: number }): number {
  let v = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos.at++]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 0x80;
  }
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

export function makeBatch(o: TestBatchOptions): Buffer {
  const count = o.count ?? 1;
  const valueSize = o.valueSize ?? 10;
  const step = o.timestampStep ?? 0;
  const first = o.timestamp ?? 1_000_000;
  const timestamps = o.timestamps ?? Array.from({ length: count }, (_, i) => (first < 0 ? first : first + i * step));
  const baseTimestamp = timestamps[0]!;
  const value = Buffer.alloc(valueSize, 0x61);
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const body: number[] = [0];
    zigzagVarint(timestamps[i]! - baseTimestamp, body);
    zigzagVarint(i, body);
    zigzagVarint(-1, body); // null key
    zigzagVarint(valueSize, body);
    const tail: number[] = [];
    zigzagVarint(0, tail); // no headers
    const len: number[] = [];
    zigzagVarint(body.length + valueSize + tail.length, len);
    records.push(Buffer.from(len), Buffer.from(body), value, Buffer.from(tail));
  }
  const recordBytes = Buffer.concat(records);
  const batch = Buffer.alloc(BATCH.HEADER_SIZE + recordBytes.length);
  writeInt64(batch, o.baseOffset, BATCH.BASE_OFFSET);
  batch.writeInt32BE(batch.length - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  batch.writeInt32BE(o.leaderEpoch ?? 0, BATCH.PARTITION_LEADER_EPOCH);
  batch.writeInt8(2, BATCH.MAGIC);
  batch.writeInt16BE(0, BATCH.ATTRIBUTES);
  batch.writeInt32BE(count - 1, BATCH.LAST_OFFSET_DELTA);
  writeInt64(batch, baseTimestamp, BATCH.BASE_TIMESTAMP);
  writeInt64(batch, Math.max(...timestamps), BATCH.MAX_TIMESTAMP);
  writeInt64(batch, -1, BATCH.PRODUCER_ID);
  batch.writeInt16BE(-1, BATCH.PRODUCER_EPOCH);
  batch.writeInt32BE(-1, BATCH.BASE_SEQUENCE);
  batch.writeInt32BE(count, BATCH.RECORD_COUNT);
  recordBytes.copy(batch, BATCH.HEADER_SIZE);
  writeBatchCrc(batch);
  return batch;
}

/** The AppendInfo a partition would pass for these batches. */
export function appendInfo(records: Buffer): AppendInfo {
  let lastOffset = -1;
  let maxTimestamp = -1;
  for (let p = 0; p < records.length; p += batchSize(records, p)) {
    lastOffset = batchLastOffset(records, p);
    maxTimestamp = Math.max(maxTimestamp, batchMaxTimestamp(records, p));
  }
  return { firstOffset: batchBaseOffset(records, 0), lastOffset, maxTimestamp };
}

/** Base offsets of the batches in a buffer. */
export function baseOffsetsOf(records: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p < records.length; p += batchSize(records, p)) out.push(batchBaseOffset(records, p));
  return out;
}

/** (offset, timestamp) of each record in an uncompressed batch built here. */
export function recordTimestamps(batch: Buffer): { offset: number; timestamp: number }[] {
  const base = batchBaseOffset(batch, 0);
  const baseTimestamp = readInt64(batch, BATCH.BASE_TIMESTAMP);
  const pos: { at: number } = { at: BATCH.HEADER_SIZE };
  const out: { offset: number; timestamp: number }[] = [];
  for (let i = batch.readInt32BE(BATCH.RECORD_COUNT); i > 0; i--) {
    const length = readZigzagVarint(batch, pos);
    const end = pos.at + length;
    pos.at++; // attributes
    const timestampDelta = readZigzagVarint(batch, pos);
    const offsetDelta = readZigzagVarint(batch, pos);
    out.push({ offset: base + offsetDelta, timestamp: baseTimestamp + timestampDelta });
    pos.at = end;
  }
  return out;
}

/** A record-level timestamp search for tests, standing in for the codec's. */
export const testTimestampSearch: RecordTimestampSearch = (batch, target, minOffset) =>
  recordTimestamps(batch).find((r) => r.timestamp >= target && r.offset >= minOffset);
