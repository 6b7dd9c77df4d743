import * as fs from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ATTR } from "../protocol/records/batch-header.ts";
import { Compression, initCompression } from "../protocol/records/compression.ts";
import {
  appendKeyed,
  checkpointOnDisk,
  cleanerFor,
  readBatches,
  readRecords,
  type ReadRecord,
  type TestRecord,
} from "./cleaner-test-support.ts";
import type { LogConfig } from "./log-config.ts";
import type { Log } from "./log.ts";
import { makeTmpDir, ManualTime, openTestLog, removeDir } from "./test-support.ts";

beforeAll(() => initCompression());

let root: string;
let time: ManualTime;
let log: Log | undefined;
beforeEach(() => {
  root = makeTmpDir("samsa-cleaner-");
  time = new ManualTime(1_000_000_000);
});
afterEach(() => {
  log?.close();
  log = undefined;
  removeDir(root);
});

const DAY = 86_400_000;

function openCompacted(config: Partial<Record<keyof LogConfig, number | string>> = {}): Log {
  log = openTestLog(join(root, "t-0"), time, { "cleanup.policy": "compact", "segment.bytes": 4000, ...config });
  return log;
}

/** Makes everything so far cleanable: all of it below the high watermark, in inactive segments. */
function sealed(l: Log): void {
  l.updateHighWatermark(l.logEndOffset);
  l.roll();
}

/** The records a compacted log must keep: the latest per key, tombstones included. */
function latestPerKey(records: readonly ReadRecord[]): ReadRecord[] {
  const latest = new Map<string | null, ReadRecord>();
  for (const r of records) latest.set(r.key, r);
  return [...latest.values()].sort((a, b) => a.offset - b.offset);
}

function writeRandom(l: Log, batches: number, keys: number, perBatch = 5, o: Parameters<typeof appendKeyed>[2] = {}): void {
  let n = 0;
  for (let b = 0; b < batches; b++) {
    const records: TestRecord[] = [];
    for (let i = 0; i < perBatch; i++, n++) records.push({ key: `key-${(n * 7919) % keys}`, value: `value-${n}-${"x".repeat(n % 40)}` });
    appendKeyed(l, records, { timestamp: time.now() - DAY + n, ...o });
  }
}

describe("Log cleaner", () => {
  it("keeps the latest record per key with its original offset", async () => {
    const l = openCompacted();
    writeRandom(l, 60, 17);
    sealed(l);
    const before = readRecords(l);
    const leo = l.logEndOffset;

    const result = await cleanerFor(l, root, time).cleanNow(l);
    expect(result?.endOffset).toBe(leo);
    expect(readRecords(l)).toEqual(latestPerKey(before));
    expect([l.logStartOffset, l.logEndOffset]).toEqual([0, leo]);
    expect(fs.readdirSync(l.dir).filter((f) => f.endsWith(".cleaned") || f.endsWith(".swap"))).toEqual([]);
  });

  it("groups consecutive segments while their sizes fit segment.bytes, keeping each group's first base", async () => {
    const l = openCompacted({ "segment.bytes": 4000 });
    for (let i = 0; i < 40; i++) {
      appendKeyed(l, [{ key: `k${i % 4}`, value: "v".repeat(150) }]);
      if (i % 4 === 3) l.roll(); // ten segments of ~900 bytes
    }
    sealed(l);
    expect(l.numberOfSegments).toBe(11);
    const before = readRecords(l);
    const cleaner = cleanerFor(l, root, time);
    await cleaner.cleanNow(l);
    // Groups are sized by the segments before cleaning (as in Kafka): four fit in 4000 bytes.
    expect(l.segmentBaseOffsets()).toEqual([0, 16, 32, 40]);
    expect(readRecords(l)).toEqual(latestPerKey(before));
    // Now small, they merge on the next cleaning.
    await cleaner.cleanNow(l);
    expect(l.segmentBaseOffsets()).toEqual([0, 40]);
    expect(readRecords(l)).toEqual(latestPerKey(before));
  });

  it("keeps tombstones until delete.retention.ms after the cleaning that first kept them", async () => {
    const l = openCompacted({ "delete.retention.ms": 1000 });
    appendKeyed(l, [{ key: "a", value: "1" }, { key: "b", value: "1" }]);
    appendKeyed(l, [{ key: "a", value: null }]);
    appendKeyed(l, [{ key: "c", value: "1" }]);
    sealed(l);
    const cleaner = cleanerFor(l, root, time);

    await cleaner.cleanNow(l);
    expect(readRecords(l).map((r) => [r.offset, r.key, r.value])).toEqual([
      [1, "b", "1"],
      [2, "a", null],
      [3, "c", "1"],
    ]);
    const tombstoneBatch = readBatches(l).find((b) => b.records.some((r) => r.value === null))!;
    expect(tombstoneBatch.header.attributes & ATTR.DELETE_HORIZON).toBe(ATTR.DELETE_HORIZON);
    expect(Number(tombstoneBatch.header.baseTimestamp)).toBe(time.now() + 1000);
    expect(tombstoneBatch.records[0]!.timestamp).toBe(1_000_000); // the record keeps its timestamp

    time.advance(999);
    await cleaner.cleanNow(l);
    expect(readRecords(l).map((r) => r.offset)).toEqual([1, 2, 3]);

    time.advance(1);
    const result = await cleaner.cleanNow(l);
    expect(result?.stats.tombstonesRemoved).toBe(1);
    expect(readRecords(l).map((r) => [r.offset, r.key])).toEqual([
      [1, "b"],
      [3, "c"],
    ]);
  });

  it("does not compact records younger than min.compaction.lag.ms", async () => {
    const l = openCompacted({ "min.compaction.lag.ms": 60_000 });
    appendKeyed(l, [{ key: "a", value: "old" }], { timestamp: time.now() - 120_000 });
    appendKeyed(l, [{ key: "b", value: "old" }], { timestamp: time.now() - 120_000 });
    appendKeyed(l, [{ key: "a", value: "young" }], { timestamp: time.now() - 10_000 });
    sealed(l);
    const cleaner = cleanerFor(l, root, time);

    const first = await cleaner.cleanNow(l);
    expect(first?.endOffset).toBe(2); // stops before the young batch
    expect(readRecords(l).map((r) => r.value)).toEqual(["old", "old", "young"]);

    time.advance(50_000);
    const second = await cleaner.cleanNow(l);
    expect(second?.endOffset).toBe(3);
    expect(readRecords(l).map((r) => [r.key, r.value])).toEqual([
      ["b", "old"],
      ["a", "young"],
    ]);
  });

  it("leaves the active segment and everything at or above the high watermark untouched", async () => {
    const l = openCompacted();
    for (let i = 0; i < 6; i++) appendKeyed(l, [{ key: "k", value: `v${i}` }]);
    l.roll();
    for (let i = 6; i < 9; i++) appendKeyed(l, [{ key: "k", value: `v${i}` }]);
    l.updateHighWatermark(4);
    const before = readBatches(l);

    await cleanerFor(l, root, time).cleanNow(l);
    const after = readBatches(l);
    // Below the HW only the latest "k" there survives; from the HW on every batch is byte-identical.
    expect(after.map((b) => Number(b.header.baseOffset))).toEqual([3, 4, 5, 6, 7, 8]);
    for (const b of after.slice(1)) expect(b.bytes).toEqual(before[Number(b.header.baseOffset)]!.bytes);

    // With the high watermark at the log end, the active segment is still left alone.
    l.updateHighWatermark(l.logEndOffset);
    await cleanerFor(l, root, time).cleanNow(l);
    expect(readBatches(l).map((b) => Number(b.header.baseOffset))).toEqual([5, 6, 7, 8]);
  });

  it.each([
    ["gzip", Compression.GZIP],
    ["lz4", Compression.LZ4],
    ["snappy", Compression.SNAPPY],
    ["zstd", Compression.ZSTD],
  ])("rewrites %s batches with the same codec", async (_name, codec) => {
    const l = openCompacted();
    writeRandom(l, 20, 13, 10, { compression: codec });
    sealed(l);
    const before = readRecords(l);
    await cleanerFor(l, root, time).cleanNow(l);
    const batches = readBatches(l);
    expect(batches.flatMap((b) => b.records)).toEqual(latestPerKey(before));
    for (const b of batches) expect(b.header.attributes & 0x07).toBe(codec);
  });

  it("keeps a producer's last batch, emptied, with its producer id, epoch and sequence", async () => {
    const l = openCompacted();
    appendKeyed(l, [{ key: "a", value: "1" }, { key: "b", value: "1" }], { producerId: 7, producerEpoch: 3, baseSequence: 0 });
    appendKeyed(l, [{ key: "a", value: "2" }, { key: "b", value: "2" }], { producerId: 7, producerEpoch: 3, baseSequence: 2 });
    appendKeyed(l, [{ key: "a", value: "3" }, { key: "b", value: "3" }]);
    appendKeyed(l, [{ key: "c", value: "1" }]);
    sealed(l);
    await cleanerFor(l, root, time).cleanNow(l);

    const batches = readBatches(l);
    expect(batches.map((b) => Number(b.header.baseOffset))).toEqual([2, 4, 6]);
    const kept = batches[0]!.header;
    expect(kept).toMatchObject({ producerId: 7n, producerEpoch: 3, baseSequence: 2, lastOffsetDelta: 1, recordCount: 0 });
    expect(l.logEndOffset).toBe(7);
  });

  it("drops a batch that loses all its records, unless it ends the cleaned range", async () => {
    const l = openCompacted();
    appendKeyed(l, [{ key: "a", value: "1" }, { key: "b", value: "1" }]);
    appendKeyed(l, [{ key: "a", value: "2" }]);
    appendKeyed(l, [{ key: "b", value: "2" }, { key: "a", value: "3" }]);
    sealed(l);
    await cleanerFor(l, root, time).cleanNow(l);
    expect(readBatches(l).map((b) => Number(b.header.baseOffset))).toEqual([3]);
  });

  it("keeps control batches and does not crash on keyless records", async () => {
    const l = openCompacted();
    appendKeyed(l, [{ key: null, value: "no key" }, { key: "a", value: "1" }]);
    appendKeyed(l, [{ key: "\u0000\u0000\u0000\u0000", value: "marker" }], { control: true, producerId: 1, producerEpoch: 0 });
    appendKeyed(l, [{ key: "a", value: "2" }]);
    sealed(l);
    const result = await cleanerFor(l, root, time).cleanNow(l);
    expect(result?.stats.invalidRecords).toBe(1);
    expect(readBatches(l).map((b) => [Number(b.header.baseOffset), b.records.length])).toEqual([
      [2, 1],
      [3, 1],
    ]);
  });

  it("writes the cleaner checkpoint and cleans only when the dirty ratio calls for it", async () => {
    const l = openCompacted({ "min.cleanable.dirty.ratio": 0.5 });
    writeRandom(l, 30, 5);
    sealed(l);
    const cleaner = cleanerFor(l, root, time);
    expect(await cleaner.runPass()).toBe(true);
    const end = l.segmentBaseOffsets().at(-1)!;
    expect(checkpointOnDisk(root, l)).toBe(end);
    expect(cleaner.checkpointOf(l, root)).toBe(end);

    // Nothing dirty since: the pass skips the log.
    expect(await cleaner.runPass()).toBe(false);

    // A little new data stays below the ratio; a restarted cleaner reads the checkpoint back.
    appendKeyed(l, [{ key: "key-1", value: "new" }]);
    sealed(l);
    const restarted = cleanerFor(l, root, time);
    expect(restarted.checkpointOf(l, root)).toBe(end);
    expect(await restarted.runPass()).toBe(false);

    // Much more dirty data than clean: cleaned, and the checkpoint moves to the new end.
    writeRandom(l, 30, 5);
    sealed(l);
    expect(await restarted.runPass()).toBe(true);
    expect(checkpointOnDisk(root, l)).toBe(l.segmentBaseOffsets().at(-1));
    expect(readRecords(l).map((r) => r.key).sort()).toEqual(["key-0", "key-1", "key-2", "key-3", "key-4"]);
  });

  it("cleans a log whose oldest dirty record passed max.compaction.lag.ms whatever its ratio", async () => {
    const l = openCompacted({ "min.cleanable.dirty.ratio": 0.9, "max.compaction.lag.ms": 3_600_000 });
    for (let i = 0; i < 10; i++) appendKeyed(l, [{ key: `k${i}`, value: "v".repeat(200) }], { timestamp: time.now() });
    sealed(l);
    const cleaner = cleanerFor(l, root, time);
    await cleaner.cleanNow(l);
    appendKeyed(l, [{ key: "k0", value: "new" }], { timestamp: time.now() });
    sealed(l);
    // One small dirty segment against ten clean records: far below the ratio, and still young.
    expect(await cleaner.runPass()).toBe(false);
    time.advance(3_600_001);
    expect(await cleaner.runPass()).toBe(true);
    expect(readRecords(l).filter((r) => r.key === "k0").map((r) => r.value)).toEqual(["new"]);
  });

  it("lowers the checkpoint when the log is truncated below it", async () => {
    const l = openCompacted();
    writeRandom(l, 10, 3);
    sealed(l);
    const cleaner = cleanerFor(l, root, time);
    await cleaner.cleanNow(l);
    expect(cleaner.checkpointOf(l, root)).toBe(50);
    l.truncateTo(48);
    // Truncation removes whole batches, so the log may now end below 48.
    expect(l.logEndOffset).toBeLessThanOrEqual(48);
    expect(cleaner.checkpointOf(l, root)).toBe(l.logEndOffset);
    expect(checkpointOnDisk(root, l)).toBe(l.logEndOffset);
  });

  it("matches a model over rounds of random appends, rolls and cleanings", async () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const l = openCompacted({ "segment.bytes": 1500 });
    const cleaner = cleanerFor(l, root, time);
    const appended = new Map<number, ReadRecord>();
    const codecs = [Compression.NONE, Compression.GZIP, Compression.LZ4];
    for (let round = 0; round < 8; round++) {
      for (let b = 0; b < 15; b++) {
        const records: TestRecord[] = [];
        for (let i = 1 + random(4); i > 0; i--) {
          records.push({ key: `key-${random(12)}`, value: random(10) === 0 ? null : `r${round}-${b}-${i}-${"z".repeat(random(30))}` });
        }
        const base = appendKeyed(l, records, { compression: codecs[random(3)], timestamp: 1_000_000 });
        records.forEach((r, i) => appended.set(base + i, { offset: base + i, key: r.key, value: r.value, timestamp: 1_000_000 }));
        if (random(6) === 0) l.roll();
      }
      l.updateHighWatermark(l.logEndOffset - random(5));
      const leo = l.logEndOffset;
      const end = (await cleaner.cleanNow(l))!.endOffset;
      expect(l.logEndOffset).toBe(leo);

      const read = readRecords(l);
      for (const r of read) expect(r).toEqual(appended.get(r.offset)); // only original records, unmoved
      const present = new Set(read.map((r) => r.offset));
      for (const r of latestPerKey([...appended.values()])) expect(present.has(r.offset)).toBe(true);
      // Below the cleaned point no key appears twice.
      const cleanedKeys = read.filter((r) => r.offset < end).map((r) => r.key);
      expect(new Set(cleanedKeys).size).toBe(cleanedKeys.length);
    }
  });

  it("uses a full offset map for what fits and cleans the rest on the next pass", async () => {
    const l = openCompacted();
    for (let i = 0; i < 20; i++) appendKeyed(l, [{ key: `k${i}`, value: "1" }, { key: `k${i}`, value: "2" }]);
    sealed(l);
    const before = readRecords(l);
    // 10 entries of offset map: each batch adds 2 records.
    const cleaner = cleanerFor(l, root, time, { "log.cleaner.dedupe.buffer.size": 96 * 10, "log.cleaner.io.buffer.load.factor": 1 });
    const first = await cleaner.cleanNow(l);
    expect(first!.endOffset).toBeGreaterThan(0);
    expect(first!.endOffset).toBeLessThan(40);
    let passes = 1;
    while ((await cleaner.cleanNow(l))!.endOffset < 40) passes++;
    expect(passes).toBeGreaterThan(1);
    expect(readRecords(l)).toEqual(latestPerKey(before));
  });
});
