import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "../errors.ts";
import { ATTR, BATCH, computeBatchCrc, readBatchHeader } from "./batch-header.ts";
import { Compression, initCompression } from "./compression.ts";
import type { Record } from "./record.ts";
import {
  batchLastOffset,
  decodeRecordBatch,
  encodeRecordBatch,
  iterateBatches,
  recordOffset,
  recordTimestamp,
  timestampTypeOf,
  type EncodeBatchInput,
} from "./record-batch.ts";

beforeAll(async () => {
  await initCompression();
});

const T0 = 1_700_000_000_000n;

function records(n: number): Record[] {
  return Array.from({ length: n }, (_, i) => ({
    offsetDelta: i,
    timestampDelta: i * 3,
    key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 5 === 4 ? null : Buffer.from(`value ${i} `.repeat(i % 7)),
    headers: i % 2 ? [{ key: `h${i}`, value: Buffer.from("x") }, { key: "nul", value: null }] : [],
  }));
}

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
  return undefined;
}

describe.each([
  ["none", Compression.NONE],
  ["gzip", Compression.GZIP],
  ["snappy", Compression.SNAPPY],
  ["lz4", Compression.LZ4],
  ["zstd", Compression.ZSTD],
])("batch with %s", (_name, compression) => {
  it("round-trips header fields and records", () => {
    const input: EncodeBatchInput = {
      baseOffset: 1000n,
      partitionLeaderEpoch: 7,
      compression,
      producerId: 99n,
      producerEpoch: 2,
      baseSequence: 40,
      baseTimestamp: T0,
      records: records(25),
    };
    const bytes = encodeRecordBatch(input);
    const { header, records: decoded } = decodeRecordBatch(bytes);
    expect(header).toMatchObject({
      baseOffset: 1000n,
      batchLength: bytes.length - 12,
      partitionLeaderEpoch: 7,
      magic: 2,
      crc: computeBatchCrc(bytes),
      attributes: compression,
      lastOffsetDelta: 24,
      baseTimestamp: T0,
      maxTimestamp: T0 + 72n,
      producerId: 99n,
      producerEpoch: 2,
      baseSequence: 40,
      recordCount: 25,
    });
    expect(decoded).toEqual(input.records);
  });

  it("round-trips an empty batch", () => {
    const bytes = encodeRecordBatch({ compression, baseTimestamp: T0, records: [] });
    const d = decodeRecordBatch(bytes);
    expect(d.records).toEqual([]);
    expect(d.header).toMatchObject({ recordCount: 0, maxTimestamp: T0, lastOffsetDelta: 0, producerId: -1n, baseSequence: -1 });
  });
});

describe("encodeRecordBatch", () => {
  it("sets the transactional, control and LogAppendTime bits", () => {
    const bytes = encodeRecordBatch({
      baseTimestamp: T0,
      maxTimestamp: T0 + 500n,
      timestampType: "LogAppendTime",
      transactional: true,
      control: true,
      compression: Compression.LZ4,
      records: records(2),
    });
    const { header, records: rs } = decodeRecordBatch(bytes);
    expect(header.attributes).toBe(Compression.LZ4 | ATTR.TIMESTAMP_TYPE_LOG_APPEND | ATTR.TRANSACTIONAL | ATTR.CONTROL);
    expect(timestampTypeOf(header.attributes)).toBe("LogAppendTime");
    // LogAppendTime records all carry the batch's maxTimestamp.
    expect(rs.map((r) => recordTimestamp(header, r))).toEqual([T0 + 500n, T0 + 500n]);
  });

  it("takes raw attributes verbatim", () => {
    const bytes = encodeRecordBatch({ attributes: 0x0012, compression: 0, baseTimestamp: T0, records: records(1) });
    expect(readBatchHeader(bytes).attributes).toBe(0x12);
    expect(decodeRecordBatch(bytes).records).toHaveLength(1);
  });

  it("keeps a compacted batch's offset gaps and explicit lastOffsetDelta", () => {
    const kept = records(10).filter((r) => r.offsetDelta % 4 === 1);
    const bytes = encodeRecordBatch({ baseOffset: 50n, baseTimestamp: T0, lastOffsetDelta: 9, records: kept });
    const { header, records: rs } = decodeRecordBatch(bytes);
    expect(batchLastOffset(header)).toBe(59n);
    expect(rs.map((r) => recordOffset(header, r))).toEqual([51n, 55n, 59n]);
    expect(rs.map((r) => recordTimestamp(header, r))).toEqual([T0 + 3n, T0 + 15n, T0 + 27n]);
  });

  it("uses the defaults producers send without idempotence", () => {
    const h = readBatchHeader(encodeRecordBatch({ baseTimestamp: T0, records: records(1) }));
    expect(h).toMatchObject({ baseOffset: 0n, partitionLeaderEpoch: -1, producerId: -1n, producerEpoch: -1, baseSequence: -1, attributes: 0 });
  });
});

describe("decodeRecordBatch errors", () => {
  const good = encodeRecordBatch({ baseTimestamp: T0, records: records(5) });

  it("detects tampering anywhere the CRC covers", () => {
    for (const at of [BATCH.ATTRIBUTES + 1, BATCH.MAX_TIMESTAMP + 7, BATCH.RECORD_COUNT + 3, BATCH.HEADER_SIZE + 4, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x01;
      expect(codeOf(() => decodeRecordBatch(bad))).toBe(ErrorCode.CORRUPT_MESSAGE);
    }
    const badCrc = Buffer.from(good);
    badCrc[BATCH.CRC] ^= 0x80;
    expect(codeOf(() => decodeRecordBatch(badCrc))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it("does not cover baseOffset and partitionLeaderEpoch with the CRC", () => {
    const moved = Buffer.from(good);
    moved.writeBigInt64BE(123n, BATCH.BASE_OFFSET);
    moved.writeInt32BE(9, BATCH.PARTITION_LEADER_EPOCH);
    expect(decodeRecordBatch(moved).header.baseOffset).toBe(123n);
  });

  it("rejects bad frames with CORRUPT_MESSAGE", () => {
    expect(codeOf(() => decodeRecordBatch(good.subarray(0, 30)))).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(codeOf(() => decodeRecordBatch(good.subarray(0, good.length - 1)))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const magic1 = Buffer.from(good);
    magic1[BATCH.MAGIC] = 1;
    expect(codeOf(() => decodeRecordBatch(magic1))).toBe(ErrorCode.CORRUPT_MESSAGE);
    const tiny = Buffer.from(good);
    tiny.writeInt32BE(20, BATCH.LENGTH);
    expect(codeOf(() => decodeRecordBatch(tiny))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it("rejects a record count that disagrees with the records (INVALID_RECORD)", () => {
    for (const count of [4, 6, -1, 1_000_000]) {
      const bad = Buffer.from(good);
      bad.writeInt32BE(count, BATCH.RECORD_COUNT);
      bad.writeUInt32BE(computeBatchCrc(bad), BATCH.CRC);
      expect(codeOf(() => decodeRecordBatch(bad))).toBe(ErrorCode.INVALID_RECORD);
    }
  });

  it("can skip the CRC check", () => {
    const bad = Buffer.from(good);
    bad[BATCH.CRC] ^= 1;
    expect(decodeRecordBatch(bad, { verifyCrc: false }).records).toHaveLength(5);
  });

  it("reports undecompressable records as CORRUPT_MESSAGE", () => {
    const gz = encodeRecordBatch({ baseTimestamp: T0, compression: Compression.GZIP, records: records(5) });
    gz[gz.length - 3] ^= 0xff;
    gz.writeUInt32BE(computeBatchCrc(gz), BATCH.CRC);
    expect(codeOf(() => decodeRecordBatch(gz))).toBe(ErrorCode.CORRUPT_MESSAGE);
  });
});

describe("iterateBatches", () => {
  const a = encodeRecordBatch({ baseOffset: 0n, baseTimestamp: T0, records: records(3) });
  const b = encodeRecordBatch({ baseOffset: 3n, baseTimestamp: T0, compression: Compression.GZIP, records: records(4) });
  const c = encodeRecordBatch({ baseOffset: 7n, baseTimestamp: T0, records: records(2) });
  const all = Buffer.concat([a, b, c]);

  it("walks concatenated batches by header", () => {
    const entries = [...iterateBatches(all)];
    expect(entries.map((e) => [e.position, e.size, e.partial, e.header?.baseOffset])).toEqual([
      [0, a.length, false, 0n],
      [a.length, b.length, false, 3n],
      [a.length + b.length, c.length, false, 7n],
    ]);
    expect([...iterateBatches(Buffer.alloc(0))]).toEqual([]);
  });

  it("reports a trailing partial batch instead of throwing", () => {
    const start = a.length + b.length;
    for (const cut of [1, 11, 12, 40, 61, c.length - 1]) {
      const entries = [...iterateBatches(all.subarray(0, start + cut))];
      expect(entries).toHaveLength(3);
      expect(entries[2]).toEqual({ position: start, size: cut >= 12 ? c.length : -1, available: cut, header: null, partial: true });
    }
  });

  it("throws CORRUPT_MESSAGE for a malformed complete batch", () => {
    const bad = Buffer.from(all);
    bad.writeInt32BE(10, a.length + BATCH.LENGTH);
    expect(codeOf(() => [...iterateBatches(bad)])).toBe(ErrorCode.CORRUPT_MESSAGE);
    const magic = Buffer.from(all);
    magic[a.length + BATCH.MAGIC] = 0;
    expect(codeOf(() => [...iterateBatches(magic)])).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it("is lazy: stops reading when the consumer stops", () => {
    const bad = Buffer.concat([a, Buffer.alloc(61, 0xff)]);
    const it = iterateBatches(bad);
    expect(it.next().value).toMatchObject({ position: 0, partial: false });
  });
});
