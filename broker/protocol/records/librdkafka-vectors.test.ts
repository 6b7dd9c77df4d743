import { describe, expect, it } from "vitest";
import { readHexFixture } from "./fixtures/fixtures.ts";
import { compressionOf, decodeRecordBatch } from "./record-batch.ts";
import { validateAndAssignOffsets } from "./log-validator.ts";
import { Compression } from "./compression.ts";
import { computeBatchCrc } from "./batch-header.ts";

/** Batches librdkafka wrote (captured by fixtures/capture-librdkafka.ts through kcat). */
const PADDING = " lorem ipsum".repeat(20);
const CODECS = { none: Compression.NONE, gzip: Compression.GZIP, snappy: Compression.SNAPPY, lz4: Compression.LZ4, zstd: Compression.ZSTD } as const;

describe("record batches written by librdkafka", () => {
  for (const [name, codec] of Object.entries(CODECS)) {
    it(`decodes and validates kcat's ${name} batch`, () => {
      const batch = readHexFixture(`librdkafka-${name}.hex`);
      const { header, records } = decodeRecordBatch(batch);
      expect(compressionOf(header.attributes)).toBe(codec);
      expect(header.crc).toBe(computeBatchCrc(batch));
      expect(records.map((r) => [r.key?.toString(), r.value?.toString()])).toEqual(
        [0, 1, 2, 3, 4].map((i) => [`k${i}`, `${name} value ${i}${PADDING}`]),
      );
      expect(records.every((r) => r.headers.length === 1 && r.headers[0]!.key === "source" && r.headers[0]!.value?.toString() === "kcat")).toBe(true);

      // As a produce request carries it: base offset 0, no leader epoch.
      const produced = Buffer.from(batch);
      produced.writeBigInt64BE(0n, 0);
      produced.writeInt32BE(-1, 12);
      const result = validateAndAssignOffsets(produced, {
        firstOffset: 40n,
        leaderEpoch: 2,
        now: Number(header.maxTimestamp),
        timestampType: "CreateTime",
        compacted: true,
        maxMessageBytes: 1 << 20,
        beforeMaxMs: Infinity,
        afterMaxMs: Infinity,
      });
      expect([result.firstOffset, result.lastOffset, result.recordCount]).toEqual([40n, 44n, 5]);
      expect(produced.readBigInt64BE(0)).toBe(40n);
    });
  }
});
