/**
 * Interoperability with a real client: batches written by kafkajs' produce encoder decode
 * and validate with ours, and batches we write decode with kafkajs' fetch decoder.
 * Codec slots kafkajs leaves empty are filled with independent implementations (raw
 * snappy from snappyjs, lz4js frames, the zstd reference library), as its users do.
 */
import { compress as zstdWasmCompress, decompress as zstdWasmDecompress } from "@bokuweb/zstd-wasm";
import lz4js from "lz4js";
import snappyjs from "snappyjs";
import { beforeAll, describe, expect, it } from "vitest";
import { ATTR } from "./batch-header.ts";
import { Compression, initCompression } from "./compression.ts";
import { readHexFixture } from "./fixtures/fixtures.ts";
import { KAFKAJS_CASES } from "./fixtures/kafkajs-cases.ts";
import { installKafkajsCodec, kafkajsDecodeBatch, kafkajsProduceRecords, type KafkajsMessage } from "./fixtures/kafkajs.ts";
import { validateAndAssignOffsets } from "./log-validator.ts";
import { decodeRecordBatch, encodeRecordBatch, recordOffset, recordTimestamp } from "./record-batch.ts";
import type { Record } from "./record.ts";

const T0 = 1_700_000_000_000;

/** Test-only xerial unwrapping over snappyjs' raw decoder: independent of ours. */
function unwrapXerial(buf: Buffer): Buffer {
  if (buf.subarray(0, 8).toString("hex") !== "82534e4150505900") return snappyjs.uncompress(buf);
  const parts: Buffer[] = [];
  for (let p = 16; p < buf.length; ) {
    const n = buf.readInt32BE(p);
    parts.push(snappyjs.uncompress(buf.subarray(p + 4, p + 4 + n)));
    p += 4 + n;
  }
  return Buffer.concat(parts);
}

beforeAll(async () => {
  await initCompression();
  installKafkajsCodec(2, { compress: (b) => snappyjs.compress(b), decompress: unwrapXerial });
  installKafkajsCodec(3, { compress: (b) => Buffer.from(lz4js.compress(b)), decompress: (b) => Buffer.from(lz4js.decompress(b)) });
  installKafkajsCodec(4, { compress: (b) => Buffer.from(zstdWasmCompress(b, 3)), decompress: (b) => Buffer.from(zstdWasmDecompress(b)) });
});

function text(b: Buffer | null): string | null {
  return b === null ? null : b.toString();
}

const VALIDATE = {
  firstOffset: 500n,
  leaderEpoch: 4,
  now: T0 + 1000,
  timestampType: "CreateTime" as const,
  compacted: false,
  maxMessageBytes: 1 << 20,
  beforeMaxMs: 3_600_000,
  afterMaxMs: 3_600_000,
};

describe("captured kafkajs batches (fixtures)", () => {
  it("are what kafkajs still produces", async () => {
    for (const c of KAFKAJS_CASES.filter((c) => c.input.compression === undefined)) {
      expect((await kafkajsProduceRecords(c.input)).toString("hex")).toBe(readHexFixture(`kafkajs-${c.name}.hex`).toString("hex"));
    }
  });

  it("plain: decodes keys, values, offsets and timestamps", () => {
    const { header, records } = decodeRecordBatch(readHexFixture("kafkajs-plain.hex"));
    expect(header).toMatchObject({ baseOffset: 0n, magic: 2, attributes: 0, lastOffsetDelta: 2, recordCount: 3, producerId: -1n });
    expect(header.baseTimestamp).toBe(BigInt(T0));
    expect(header.maxTimestamp).toBe(BigInt(T0 + 5));
    expect(records.map((r) => [text(r.key), text(r.value), recordOffset(header, r), recordTimestamp(header, r)])).toEqual([
      ["k0", "hello", 0n, BigInt(T0)],
      ["k1", "world", 1n, BigInt(T0 + 5)],
      ["k2", "!", 2n, BigInt(T0 + 2)],
    ]);
  });

  it("headers-nulls: null key, null value, empty key, repeated and utf8 header keys", () => {
    const { records } = decodeRecordBatch(readHexFixture("kafkajs-headers-nulls.hex"));
    expect(records[0]).toEqual({
      offsetDelta: 0,
      timestampDelta: 0,
      key: null,
      value: Buffer.from("no key"),
      headers: [
        { key: "trace", value: Buffer.from("abc") },
        { key: "ünï", value: Buffer.from([0, 1, 2]) },
      ],
    });
    expect(records[1]).toEqual({
      offsetDelta: 1,
      timestampDelta: 1,
      key: Buffer.from("tombstone"),
      value: null,
      headers: [
        { key: "multi", value: Buffer.from("a") },
        { key: "multi", value: Buffer.from("b") },
      ],
    });
    expect([text(records[2]!.key), text(records[2]!.value)]).toEqual(["", ""]);
  });

  it("gzip: decompresses 50 records", () => {
    const { header, records } = decodeRecordBatch(readHexFixture("kafkajs-gzip.hex"));
    expect(header.attributes & ATTR.COMPRESSION_MASK).toBe(Compression.GZIP);
    expect(records).toHaveLength(50);
    expect(text(records[49]!.value)).toBe("value 49 ".repeat(8));
    expect(records.map((r) => r.offsetDelta)).toEqual([...Array(50).keys()]);
  });

  it("idempotent-transactional: producer fields and the transactional bit", () => {
    const { header } = decodeRecordBatch(readHexFixture("kafkajs-idempotent-transactional.hex"));
    expect(header).toMatchObject({ producerId: 4242n, producerEpoch: 3, baseSequence: 17, recordCount: 2 });
    expect(header.attributes & ATTR.TRANSACTIONAL).toBe(ATTR.TRANSACTIONAL);
  });

  it("all pass produce validation and get offsets in place", () => {
    for (const c of KAFKAJS_CASES) {
      const buf = readHexFixture(`kafkajs-${c.name}.hex`);
      const result = validateAndAssignOffsets(buf, VALIDATE);
      expect(result.firstOffset).toBe(500n);
      expect(result.recordCount).toBe(c.input.messages.length);
      const { header } = decodeRecordBatch(buf);
      expect(header.baseOffset).toBe(500n);
      expect(header.partitionLeaderEpoch).toBe(4);
    }
    const tx = validateAndAssignOffsets(readHexFixture("kafkajs-idempotent-transactional.hex"), VALIDATE);
    expect(tx.batches[0]).toMatchObject({ producerId: 4242n, producerEpoch: 3, baseSequence: 17, lastSequence: 18, isTransactional: true });
  });
});

describe("kafkajs produce encoder -> our decoder, every codec", () => {
  const messages: KafkajsMessage[] = Array.from({ length: 40 }, (_, i) => ({
    key: i % 4 === 0 ? null : `k${i}`,
    value: i % 9 === 8 ? null : Buffer.from(`payload-${i}-`.repeat(20)),
    headers: i % 3 === 0 ? ({ h: `v${i}`, z: Buffer.from([i]) } as KafkajsMessage["headers"]) : {},
    timestamp: T0 + i * 10,
  }));

  it.each([
    ["none", 0],
    ["gzip", 1],
    ["snappy (raw, librdkafka-style)", 2],
    ["lz4 (lz4js frame)", 3],
    ["zstd", 4],
  ] as const)("%s", async (_name, compression) => {
    const buf = await kafkajsProduceRecords({ messages, compression, producerId: 7, producerEpoch: 1, firstSequence: 100 });
    const { header, records } = decodeRecordBatch(buf);
    expect(header.attributes & ATTR.COMPRESSION_MASK).toBe(compression);
    expect(header).toMatchObject({ recordCount: 40, lastOffsetDelta: 39, producerId: 7n, producerEpoch: 1, baseSequence: 100 });
    expect(header.maxTimestamp).toBe(BigInt(T0 + 390));
    records.forEach((r, i) => {
      const m = messages[i]!;
      expect(r.offsetDelta).toBe(i);
      expect(recordTimestamp(header, r)).toBe(BigInt(m.timestamp!));
      expect(text(r.key)).toBe(m.key ?? null);
      expect(r.value).toEqual(m.value);
      expect(r.headers.map((h) => h.key)).toEqual(Object.keys(m.headers!));
    });
    const result = validateAndAssignOffsets(buf, VALIDATE);
    expect([result.firstOffset, result.lastOffset, result.maxTimestamp, result.offsetOfMaxTimestamp]).toEqual([500n, 539n, BigInt(T0 + 390), 539n]);
  });
});

describe("our encoder -> kafkajs fetch decoder, every codec", () => {
  const records: Record[] = Array.from({ length: 30 }, (_, i) => ({
    offsetDelta: i,
    timestampDelta: i * 7,
    key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 6 === 5 ? null : Buffer.from(`v${i}`.repeat(i + 1)),
    headers: i % 2 ? [{ key: "a", value: Buffer.from(`x${i}`) }] : [],
  }));

  it.each([
    ["none", Compression.NONE],
    ["gzip", Compression.GZIP],
    ["snappy (xerial)", Compression.SNAPPY],
    ["lz4", Compression.LZ4],
    ["zstd", Compression.ZSTD],
  ])("%s", async (_name, compression) => {
    const batch = encodeRecordBatch({
      baseOffset: 1234n,
      partitionLeaderEpoch: 3,
      compression,
      transactional: true,
      producerId: 55n,
      producerEpoch: 6,
      baseSequence: 9,
      baseTimestamp: BigInt(T0),
      records,
    });
    const d = await kafkajsDecodeBatch(batch);
    expect(d).toMatchObject({
      firstOffset: "1234",
      partitionLeaderEpoch: 3,
      inTransaction: true,
      isControlBatch: false,
      lastOffsetDelta: 29,
      producerId: "55",
      producerEpoch: 6,
      firstSequence: 9,
      firstTimestamp: String(T0),
      maxTimestamp: String(T0 + 29 * 7),
    });
    expect(d.records).toHaveLength(30);
    d.records.forEach((r, i) => {
      const want = records[i]!;
      expect(r.offset).toBe(String(1234 + i));
      expect(r.timestamp).toBe(String(T0 + i * 7));
      expect(r.key).toEqual(want.key);
      expect(r.value).toEqual(want.value);
      expect(r.headers).toEqual(Object.fromEntries(want.headers.map((h) => [h.key, h.value])));
    });
  });

  it("a LogAppendTime batch reads back with the broker's timestamp", async () => {
    const batch = encodeRecordBatch({ baseTimestamp: BigInt(T0), timestampType: "LogAppendTime", maxTimestamp: BigInt(T0 + 99999), records });
    const d = await kafkajsDecodeBatch(batch);
    expect(d.records.every((r) => r.timestamp === String(T0 + 99999))).toBe(true);
  });
});
