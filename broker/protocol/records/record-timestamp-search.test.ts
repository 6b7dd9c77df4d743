import { describe, expect, it } from "vitest";
import { encodeRecordBatch } from "./record-batch.ts";
import { findRecordByTimestamp } from "./record-timestamp-search.ts";
import { Compression } from "./compression.ts";

describe("findRecordByTimestamp", () => {
  const batch = (compression: number) =>
    encodeRecordBatch({
      baseOffset: 100n,
      baseTimestamp: 5000n,
      compression,
      records: [0, 1000, 500, 3000].map((d, i) => ({ offsetDelta: i, timestampDelta: d, key: null, value: Buffer.from("v"), headers: [] })),
    });

  it("finds the first record at or after the timestamp, inside plain and compressed batches", () => {
    for (const c of [Compression.NONE, Compression.GZIP]) {
      expect(findRecordByTimestamp(batch(c), 5400, 0)).toEqual({ timestamp: 6000, offset: 101 });
      expect(findRecordByTimestamp(batch(c), 5000, 0)).toEqual({ timestamp: 5000, offset: 100 });
      expect(findRecordByTimestamp(batch(c), 5000, 102)).toEqual({ timestamp: 5500, offset: 102 });
      expect(findRecordByTimestamp(batch(c), 8001, 0)).toBeUndefined();
    }
  });
});
