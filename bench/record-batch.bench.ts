/**
 * Throughput of the produce-path record batch validator (validateAndAssignOffsets) on
 * ~1 MiB batches, plus full decoding for comparison. Prints figures; asserts nothing.
 *
 *   npx tsx bench/record-batch.bench.ts
 */
import { Compression, initCompression } from "../broker/protocol/records/compression.ts";
import { validateAndAssignOffsets, type ValidateOptions } from "../broker/protocol/records/log-validator.ts";
import { decodeRecordBatch, encodeRecordBatch } from "../broker/protocol/records/record-batch.ts";
import type { Record } from "../broker/protocol/records/record.ts";

const TARGET_BATCH = 1 << 20;
const NOW = Date.now();

function makeBatch(valueSize: number, compression: number): { buf: Buffer; records: number } {
  const records: Record[] = [];
  const value = Buffer.alloc(valueSize);
  for (let i = 0; i < valueSize; i++) value[i] = 97 + ((i * 7) % 26);
  // Stop a little under 1 MiB so the header and varints still fit.
  for (let size = 0; size + valueSize + 24 < TARGET_BATCH; size += valueSize + 24) {
    records.push({ offsetDelta: records.length, timestampDelta: records.length, key: Buffer.from(`key-${records.length}`), value, headers: [] });
  }
  const buf = encodeRecordBatch({ baseTimestamp: BigInt(NOW), compression, records });
  return { buf, records: records.length };
}

/** Runs `run` for warm-up and then `iterations` timed calls; `run` gets a call counter. */
function measure(label: string, bytes: number, records: number, run: (call: number) => void, iterations: number): void {
  const warmup = Math.min(20, iterations);
  for (let i = 0; i < warmup; i++) run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run(warmup + i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const mbs = (bytes * iterations) / seconds / (1 << 20);
  const rps = (records * iterations) / seconds;
  console.log(`${label.padEnd(66)} ${mbs.toFixed(0).padStart(6)} MB/s ${(rps / 1e6).toFixed(2).padStart(7)} M records/s`);
}

const OPTS: ValidateOptions = {
  firstOffset: 0n, // clients send baseOffset 0, so re-validating the same buffer stays legal
  leaderEpoch: 1,
  now: NOW,
  timestampType: "CreateTime",
  compacted: false,
  maxMessageBytes: 2 << 20,
  beforeMaxMs: 3_600_000,
  afterMaxMs: 3_600_000,
};

await initCompression();
console.log(`node ${process.version}, batches of ~1 MiB\n`);
for (const valueSize of [100, 1024]) {
  const { buf, records } = makeBatch(valueSize, Compression.NONE);
  const label = `${valueSize === 100 ? "100 B" : "1 KiB"} records (${records} per batch)`;
  measure(`validate, CreateTime, uncompressed, ${label}`, buf.length, records, () => validateAndAssignOffsets(buf, OPTS), 400);
  measure(`validate, compacted topic, ${label}`, buf.length, records, () => validateAndAssignOffsets(buf, { ...OPTS, compacted: true }), 400);
  // LogAppendTime stamps the batch (new CRC), so every iteration needs a fresh copy.
  const copies = Array.from({ length: 120 }, () => Buffer.from(buf));
  measure(
    `validate, LogAppendTime (CRC rewrite), ${label}`,
    buf.length,
    records,
    (call) => validateAndAssignOffsets(copies[call]!, { ...OPTS, timestampType: "LogAppendTime" }),
    100,
  );
  measure(`decodeRecordBatch (full decode), ${label}`, buf.length, records, () => decodeRecordBatch(buf), 100);
}
console.log("\ncompressed (MB/s of uncompressed records):");
for (const [name, codec] of [
  ["gzip", Compression.GZIP],
  ["snappy", Compression.SNAPPY],
  ["lz4", Compression.LZ4],
  ["zstd", Compression.ZSTD],
] as const) {
  const plain = makeBatch(1024, Compression.NONE);
  const { buf, records } = makeBatch(1024, codec);
  measure(`validate, ${name}, 1 KiB records`, plain.buf.length, records, () => validateAndAssignOffsets(buf, OPTS), 40);
}
