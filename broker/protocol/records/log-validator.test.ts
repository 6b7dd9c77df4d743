import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "../errors.ts";
import { ATTR, BATCH, computeBatchCrc, readBatchHeader } from "./batch-header.ts";
import { Compression, initCompression } from "./compression.ts";
import { RecordValidationError, validateAndAssignOffsets, type ValidateOptions } from "./log-validator.ts";
import { decodeRecordBatch, encodeRecordBatch, recordTimestamp, type EncodeBatchInput } from "./record-batch.ts";
import type { Record } from "./record.ts";

beforeAll(async () => {
  await initCompression();
});

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;

const OPTS: ValidateOptions = {
  firstOffset: 100n,
  leaderEpoch: 5,
  now: NOW,
  timestampType: "CreateTime",
  compacted: false,
  maxMessageBytes: 1 << 20,
  beforeMaxMs: HOUR,
  afterMaxMs: HOUR,
};

function recs(n: number, over: (i: number) => Partial<Record> = () => ({})): Record[] {
  return Array.from({ length: n }, (_, i) => ({
    offsetDelta: i,
    timestampDelta: i,
    key: Buffer.from(`k${i}`),
    value: Buffer.from(`value-${i}`),
    headers: [],
    ...over(i),
  }));
}

function batch(over: Partial<EncodeBatchInput> = {}): Buffer {
  return encodeRecordBatch({ baseTimestamp: BigInt(NOW - 1000), records: recs(5), ...over });
}

function rejection(buf: Buffer, opts: Partial<ValidateOptions> = {}): KafkaError {
  try {
    validateAndAssignOffsets(buf, { ...OPTS, ...opts });
  } catch (e) {
    if (e instanceof KafkaError) return e;
    throw e;
  }
  throw new Error("expected a rejection");
}

function crcOk(b: Buffer): boolean {
  return readBatchHeader(b).crc === computeBatchCrc(b);
}

/** Edits a header field and re-seals the CRC, as a buggy-but-honest client would send. */
function edit(b: Buffer, f: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(b);
  f(copy);
  copy.writeUInt32BE(computeBatchCrc(copy), BATCH.CRC);
  return copy;
}

describe("offset assignment in place", () => {
  it("writes baseOffset and leader epoch without touching records or the CRC", () => {
    const buf = batch();
    const before = Buffer.from(buf);
    const r = validateAndAssignOffsets(buf, OPTS);
    expect(r).toMatchObject({ firstOffset: 100n, lastOffset: 104n, recordCount: 5, validBytes: buf.length, logAppendTime: -1n });
    const h = readBatchHeader(buf);
    expect(h.baseOffset).toBe(100n);
    expect(h.partitionLeaderEpoch).toBe(5);
    expect(h.crc).toBe(readBatchHeader(before).crc);
    expect(crcOk(buf)).toBe(true);
    expect(buf.subarray(BATCH.ATTRIBUTES).equals(before.subarray(BATCH.ATTRIBUTES))).toBe(true);
    expect(r.batches).toEqual([
      {
        position: 0,
        size: buf.length,
        baseOffset: 100n,
        lastOffset: 104n,
        recordCount: 5,
        maxTimestamp: BigInt(NOW - 996),
        compression: 0,
        producerId: -1n,
        producerEpoch: -1,
        baseSequence: -1,
        lastSequence: -1,
        isTransactional: false,
        isControl: false,
      },
    ]);
  });

  it("reports the max timestamp and the first record carrying it", () => {
    const buf = batch({ records: recs(5, (i) => ({ timestampDelta: [3, 9, 1, 9, 0][i]! })) });
    const r = validateAndAssignOffsets(buf, OPTS);
    expect(r.maxTimestamp).toBe(BigInt(NOW - 991));
    expect(r.offsetOfMaxTimestamp).toBe(101n);
    expect(r.shallowOffsetOfMaxTimestamp).toBe(104n);
  });

  it("rewrites a wrong CreateTime maxTimestamp and re-seals the CRC, as setMaxTimestamp does", () => {
    const buf = batch({ maxTimestamp: BigInt(NOW + 12345) });
    validateAndAssignOffsets(buf, OPTS);
    expect(readBatchHeader(buf).maxTimestamp).toBe(BigInt(NOW - 996));
    expect(crcOk(buf)).toBe(true);
  });

  it("stamps LogAppendTime: attribute bit, maxTimestamp = now, new CRC, baseTimestamp kept", () => {
    const buf = batch({ compression: Compression.LZ4, records: recs(5, () => ({ timestampDelta: -(10 * HOUR) })) });
    const compressed = Buffer.from(buf.subarray(BATCH.HEADER_SIZE));
    const r = validateAndAssignOffsets(buf, { ...OPTS, timestampType: "LogAppendTime" });
    const h = readBatchHeader(buf);
    expect(h.attributes).toBe(Compression.LZ4 | ATTR.TIMESTAMP_TYPE_LOG_APPEND);
    expect(h.maxTimestamp).toBe(BigInt(NOW));
    expect(h.baseTimestamp).toBe(BigInt(NOW - 1000));
    expect(crcOk(buf)).toBe(true);
    expect(buf.subarray(BATCH.HEADER_SIZE).equals(compressed)).toBe(true); // not recompressed
    expect(r).toMatchObject({ maxTimestamp: BigInt(NOW), offsetOfMaxTimestamp: 100n, shallowOffsetOfMaxTimestamp: 104n, logAppendTime: BigInt(NOW) });
    const d = decodeRecordBatch(buf);
    expect(d.records.map((x) => recordTimestamp(d.header, x))).toEqual(Array(5).fill(BigInt(NOW)));
  });

  it("handles compressed batches without recompressing", () => {
    for (const compression of [Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]) {
      const buf = batch({ compression, records: recs(50) });
      const payload = Buffer.from(buf.subarray(BATCH.HEADER_SIZE));
      const r = validateAndAssignOffsets(buf, OPTS);
      expect([r.firstOffset, r.lastOffset, r.batches[0]!.compression]).toEqual([100n, 149n, compression]);
      expect(buf.subarray(BATCH.HEADER_SIZE).equals(payload)).toBe(true);
      expect(crcOk(buf)).toBe(true);
      expect(decodeRecordBatch(buf).header.baseOffset).toBe(100n);
    }
  });

  it("returns producer state per batch, with Kafka's wrapping lastSequence", () => {
    const buf = batch({ producerId: 77n, producerEpoch: 2, baseSequence: 2 ** 31 - 3, transactional: true });
    const [b] = validateAndAssignOffsets(buf, OPTS).batches;
    expect(b).toMatchObject({ producerId: 77n, producerEpoch: 2, baseSequence: 2 ** 31 - 3, lastSequence: 1, isTransactional: true });
  });

  it("with allowMultipleBatches, numbers consecutive batches on", () => {
    const a = batch();
    const b = batch({ records: recs(3), compression: Compression.GZIP });
    const buf = Buffer.concat([a, b]);
    const r = validateAndAssignOffsets(buf, { ...OPTS, allowMultipleBatches: true });
    expect(r.batches.map((x) => [x.position, x.baseOffset, x.lastOffset])).toEqual([
      [0, 100n, 104n],
      [a.length, 105n, 107n],
    ]);
    expect(r.lastOffset).toBe(107n);
    expect(readBatchHeader(buf, a.length).baseOffset).toBe(105n);
  });

  it("accepts records without timestamps (-1) on a CreateTime topic", () => {
    const buf = batch({ baseTimestamp: -1n, records: recs(2, () => ({ timestampDelta: 0 })) });
    const r = validateAndAssignOffsets(buf, OPTS);
    expect([r.maxTimestamp, r.offsetOfMaxTimestamp]).toEqual([-1n, -1n]);
    expect(readBatchHeader(buf).maxTimestamp).toBe(-1n);
  });

  it("lets internal appends write control batches", () => {
    const marker = batch({ control: true, transactional: true, producerId: 9n, producerEpoch: 0, baseOffset: 0n, records: recs(1) });
    const r = validateAndAssignOffsets(marker, { ...OPTS, origin: "internal" });
    expect(r.batches[0]!.isControl).toBe(true);
  });
});

describe("rejections", () => {
  it("request shape: no batch, wrong magic, several batches (INVALID_RECORD)", () => {
    expect(rejection(Buffer.alloc(0)).code).toBe(ErrorCode.INVALID_RECORD);
    for (const magic of [0, 1, 3]) {
      expect(rejection(edit(batch(), (b) => b.writeInt8(magic, BATCH.MAGIC))).code).toBe(ErrorCode.INVALID_RECORD);
    }
    expect(rejection(Buffer.concat([batch(), batch()])).code).toBe(ErrorCode.INVALID_RECORD);
  });

  it("batch length inconsistent with the buffer (CORRUPT_MESSAGE)", () => {
    const good = batch();
    expect(rejection(good.subarray(0, good.length - 1)).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(rejection(good.subarray(0, 40)).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(rejection(Buffer.concat([good, Buffer.alloc(3)])).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(rejection(edit(good, (b) => b.writeInt32BE(30, BATCH.LENGTH))).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    const longer = Buffer.from(good);
    longer.writeInt32BE(good.length, BATCH.LENGTH);
    expect(rejection(longer).code).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it("CRC mismatch (CORRUPT_MESSAGE)", () => {
    for (const at of [BATCH.CRC, BATCH.ATTRIBUTES + 1, BATCH.BASE_TIMESTAMP + 7, BATCH.HEADER_SIZE + 3]) {
      const bad = batch();
      bad[at] ^= 0x04;
      expect(rejection(bad).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
  });

  it("a produced baseOffset other than 0 (INVALID_RECORD)", () => {
    expect(rejection(batch({ baseOffset: 1n })).code).toBe(ErrorCode.INVALID_RECORD);
    expect(() => validateAndAssignOffsets(batch({ baseOffset: 1n }), { ...OPTS, origin: "internal" })).not.toThrow();
  });

  it("batch above max.message.bytes (MESSAGE_TOO_LARGE), append above segment.bytes (RECORD_LIST_TOO_LARGE)", () => {
    const b = batch();
    expect(rejection(b, { maxMessageBytes: b.length - 1 }).code).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(() => validateAndAssignOffsets(batch(), { ...OPTS, maxMessageBytes: b.length })).not.toThrow();
    expect(rejection(b, { segmentBytes: b.length - 1 }).code).toBe(ErrorCode.RECORD_LIST_TOO_LARGE);
  });

  it("record count, lastOffsetDelta and offset deltas must agree (INVALID_RECORD)", () => {
    const good = batch();
    for (const count of [0, 4, 6, -3]) {
      expect(rejection(edit(good, (b) => b.writeInt32BE(count, BATCH.RECORD_COUNT))).code).toBe(ErrorCode.INVALID_RECORD);
    }
    // Count and lastOffsetDelta agree with each other but not with the records present.
    const more = edit(good, (b) => {
      b.writeInt32BE(6, BATCH.RECORD_COUNT);
      b.writeInt32BE(5, BATCH.LAST_OFFSET_DELTA);
    });
    expect(rejection(more).code).toBe(ErrorCode.INVALID_RECORD);
    const fewer = edit(good, (b) => {
      b.writeInt32BE(4, BATCH.RECORD_COUNT);
      b.writeInt32BE(3, BATCH.LAST_OFFSET_DELTA);
    });
    expect(rejection(fewer).code).toBe(ErrorCode.INVALID_RECORD);
    expect(rejection(edit(good, (b) => b.writeInt32BE(5, BATCH.LAST_OFFSET_DELTA))).code).toBe(ErrorCode.INVALID_RECORD);
    const shuffled = batch({ records: recs(3, (i) => ({ offsetDelta: [0, 2, 1][i]! })), lastOffsetDelta: 2 });
    expect(rejection(shuffled).code).toBe(ErrorCode.INVALID_RECORD);
    const gzipGap = batch({ compression: Compression.GZIP, records: recs(3, (i) => ({ offsetDelta: i * 2 })), lastOffsetDelta: 2 });
    expect(rejection(gzipGap).code).toBe(ErrorCode.INVALID_RECORD);
  });

  it("malformed records inside a sealed batch (INVALID_RECORD)", () => {
    const bad = edit(batch(), (b) => {
      b[BATCH.HEADER_SIZE] = 0x7e; // first record's length now overruns the batch
    });
    expect(rejection(bad).code).toBe(ErrorCode.INVALID_RECORD);
  });

  it("control batches and sequence-less idempotent batches from clients (INVALID_RECORD)", () => {
    expect(rejection(batch({ control: true })).code).toBe(ErrorCode.INVALID_RECORD);
    expect(rejection(batch({ producerId: 5n, producerEpoch: 0, baseSequence: -1 })).code).toBe(ErrorCode.INVALID_RECORD);
  });

  it("unknown codec and zstd below Produce v7 (UNSUPPORTED_COMPRESSION_TYPE)", () => {
    expect(rejection(edit(batch(), (b) => b.writeInt16BE(5, BATCH.ATTRIBUTES))).code).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect(rejection(batch({ compression: Compression.ZSTD }), { allowZstd: false }).code).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it("undecompressable payload with a valid CRC (CORRUPT_MESSAGE)", () => {
    for (const compression of [Compression.GZIP, Compression.SNAPPY, Compression.LZ4, Compression.ZSTD]) {
      const bad = edit(batch({ compression, records: recs(20) }), (b) => b.fill(0xaa, BATCH.HEADER_SIZE + 4, BATCH.HEADER_SIZE + 40));
      expect(rejection(bad).code).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
  });

  it("null keys on a compacted topic, with per-record errors (INVALID_RECORD)", () => {
    for (const compression of [Compression.NONE, Compression.SNAPPY]) {
      const buf = batch({ compression, records: recs(5, (i) => ({ key: i === 1 || i === 3 ? null : Buffer.from("k") })) });
      expect(() => validateAndAssignOffsets(Buffer.from(buf), OPTS)).not.toThrow();
      const e = rejection(buf, { compacted: true });
      expect(e).toBeInstanceOf(RecordValidationError);
      expect(e.code).toBe(ErrorCode.INVALID_RECORD);
      expect((e as RecordValidationError).recordErrors.map((x) => x.batchIndex)).toEqual([1, 3]);
    }
    // An empty key is still a key.
    expect(() => validateAndAssignOffsets(batch({ records: recs(1, () => ({ key: Buffer.alloc(0) })) }), { ...OPTS, compacted: true })).not.toThrow();
  });

  it("CreateTime outside [now - before, now + after] (INVALID_TIMESTAMP), bounds inclusive", () => {
    const at = (ts: number) => batch({ baseTimestamp: BigInt(ts), records: recs(1, () => ({ timestampDelta: 0 })) });
    expect(() => validateAndAssignOffsets(at(NOW - HOUR), OPTS)).not.toThrow();
    expect(() => validateAndAssignOffsets(at(NOW + HOUR), OPTS)).not.toThrow();
    expect(rejection(at(NOW - HOUR - 1)).code).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(rejection(at(NOW + HOUR + 1)).code).toBe(ErrorCode.INVALID_TIMESTAMP);
    // Only the record past the bound is reported.
    const mixed = batch({ baseTimestamp: BigInt(NOW), records: recs(3, (i) => ({ timestampDelta: i === 2 ? HOUR + 1 : 0 })) });
    const e = rejection(mixed, { compacted: false }) as RecordValidationError;
    expect(e.recordErrors.map((x) => x.batchIndex)).toEqual([2]);
    // LogAppendTime topics ignore producer timestamps.
    expect(() => validateAndAssignOffsets(at(0), { ...OPTS, timestampType: "LogAppendTime" })).not.toThrow();
  });

  it("INVALID_TIMESTAMP wins over INVALID_RECORD when a batch has both", () => {
    const buf = batch({ baseTimestamp: BigInt(NOW), records: recs(2, (i) => (i === 0 ? { key: null } : { timestampDelta: 2 * HOUR })) });
    const e = rejection(buf, { compacted: true }) as RecordValidationError;
    expect(e.code).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(e.recordErrors.map((x) => x.batchIndex)).toEqual([0, 1]);
  });

  it("producer-set LogAppendTime on a LogAppendTime topic (INVALID_TIMESTAMP)", () => {
    const buf = batch({ timestampType: "LogAppendTime", maxTimestamp: BigInt(NOW) });
    expect(rejection(buf, { timestampType: "LogAppendTime" }).code).toBe(ErrorCode.INVALID_TIMESTAMP);
  });

  it("leaves the buffer untouched when any batch fails", () => {
    const buf = Buffer.concat([batch(), batch({ records: recs(2, () => ({ key: null })) })]);
    const before = Buffer.from(buf);
    expect(rejection(buf, { allowMultipleBatches: true, compacted: true }).code).toBe(ErrorCode.INVALID_RECORD);
    expect(buf.equals(before)).toBe(true);
  });
});
