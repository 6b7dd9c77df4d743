import * as fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { BATCH } from "../protocol/records/batch-header.ts";
import { logConfig } from "./log-config.ts";
import { UnexpectedAppendOffsetError, type Log } from "./log.ts";
import { appendInfo, baseOffsetsOf, makeBatch, testTimestampSearch } from "./test-batches.ts";
import { appendBatch, makeTmpDir, ManualTime, openTestLog, removeDir } from "./test-support.ts";

let dir: string;
let time: ManualTime;
let log: Log | undefined;
beforeEach(() => {
  dir = makeTmpDir();
  time = new ManualTime();
});
afterEach(() => {
  log?.close();
  log = undefined;
  removeDir(dir);
});

function expectKafkaError(fn: () => unknown, code: number): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError);
    expect((e as KafkaError).code).toBe(code);
    return;
  }
  throw new Error("expected a KafkaError");
}

/** Every batch is 5 records of 150 bytes: 856 bytes on disk, two per 2000-byte segment. */
function fill(l: Log, batches: number, o: Parameters<typeof appendBatch>[1] = {}): void {
  for (let i = 0; i < batches; i++) appendBatch(l, { count: 5, valueSize: 150, ...o });
}

describe("Log append and read", () => {
  it("appends batches with assigned offsets and reads them back", () => {
    log = openTestLog(dir, time);
    const b1 = appendBatch(log, { count: 3 });
    const b2 = appendBatch(log, { count: 2 });
    expect(log.logEndOffset).toBe(5);
    log.updateHighWatermark(5);
    const r = log.read(0, 1 << 20, log.highWatermark, false);
    expect(r.records.equals(Buffer.concat([b1, b2]))).toBe(true);
    expect(r).toMatchObject({ highWatermark: 5, logStartOffset: 0, logEndOffset: 5 });
    expect(baseOffsetsOf(log.read(4, 1 << 20, 5, false).records)).toEqual([3]);
  });

  it("accepts several batches in one append, and offset gaps (a compacted leader)", () => {
    log = openTestLog(dir, time);
    const records = Buffer.concat([makeBatch({ baseOffset: 0, count: 2 }), makeBatch({ baseOffset: 7, count: 3 })]);
    log.append(records, appendInfo(records));
    expect(log.logEndOffset).toBe(10);
    expect(baseOffsetsOf(log.read(3, 1 << 20, 10, false).records)).toEqual([7]);
  });

  it("rejects offsets below the log end, out of order, or not matching the caller's", () => {
    log = openTestLog(dir, time);
    appendBatch(log, { count: 5 });
    const stale = makeBatch({ baseOffset: 3 });
    expect(() => log!.append(stale, appendInfo(stale))).toThrow(UnexpectedAppendOffsetError);
    const disordered = Buffer.concat([makeBatch({ baseOffset: 10, count: 5 }), makeBatch({ baseOffset: 12 })]);
    expectKafkaError(() => log!.append(disordered, appendInfo(disordered)), ErrorCode.UNKNOWN_SERVER_ERROR);
    const b = makeBatch({ baseOffset: 5 });
    expectKafkaError(() => log!.append(b, { ...appendInfo(b), lastOffset: 9 }), ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(log.logEndOffset).toBe(5);
  });

  it("rejects corrupt batches: bad CRC, bad magic, torn", () => {
    log = openTestLog(dir, time);
    const b = makeBatch({ baseOffset: 0, count: 2 });
    const badCrc = Buffer.from(b);
    badCrc[badCrc.length - 1]! ^= 1;
    expectKafkaError(() => log!.append(badCrc, appendInfo(b)), ErrorCode.CORRUPT_MESSAGE);
    log.append(badCrc, { ...appendInfo(b), crcVerified: true }); // the leader's validator vouched for it
    const badMagic = makeBatch({ baseOffset: 2 });
    badMagic.writeInt8(1, BATCH.MAGIC);
    expectKafkaError(() => log!.append(badMagic, appendInfo(badMagic)), ErrorCode.CORRUPT_MESSAGE);
    const torn = makeBatch({ baseOffset: 2 }).subarray(0, 70);
    expectKafkaError(() => log!.append(torn, { firstOffset: 2, lastOffset: 2, maxTimestamp: 0 }), ErrorCode.CORRUPT_MESSAGE);
  });

  it("throws OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset] and is empty at the bounds", () => {
    log = openTestLog(dir, time);
    fill(log, 2);
    log.updateHighWatermark(5);
    expectKafkaError(() => log!.read(11, 100, 10, false), ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(log.read(10, 100, 10, false).records.length).toBe(0);
    // Between the high watermark and the log end a consumer gets nothing, not an error.
    expect(log.read(7, 1 << 20, log.highWatermark, true).records.length).toBe(0);
    log.deleteRecordsBefore(5);
    expectKafkaError(() => log!.read(4, 100, 10, false), ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it("stops at the high watermark for consumers and the log end for followers", () => {
    log = openTestLog(dir, time);
    fill(log, 4);
    log.updateHighWatermark(10);
    expect(baseOffsetsOf(log.read(0, 1 << 20, log.highWatermark, false).records)).toEqual([0, 5]);
    expect(baseOffsetsOf(log.read(0, 1 << 20, log.logEndOffset, false).records)).toEqual([0, 5, 10, 15]);
    expect(log.updateHighWatermark(99)).toBe(20);
    expect(() => log!.maybeIncrementHighWatermark(21)).toThrow();
  });

  it("continues in the next segment when the fetch offset is past the current one", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000 });
    fill(log, 6);
    expect(log.segmentBaseOffsets()).toEqual([0, 10, 20]);
    log.updateHighWatermark(30);
    expect(baseOffsetsOf(log.read(7, 1 << 20, 30, false).records)).toEqual([5]);
    expect(baseOffsetsOf(log.read(10, 1 << 20, 30, false).records)).toEqual([10, 15]);
    // An offset past the last batch of its segment (a gap, as after compaction) is served
    // from the next segment.
    log.roll(40);
    const b = makeBatch({ baseOffset: 40, count: 5 });
    log.append(b, appendInfo(b));
    log.updateHighWatermark(45);
    expect(log.segmentBaseOffsets()).toEqual([0, 10, 20, 40]);
    expect(baseOffsetsOf(log.read(33, 1 << 20, 45, false).records)).toEqual([40]);
  });
});

describe("Log rolling", () => {
  it("rolls when the next append would exceed segment.bytes", () => {
    log = openTestLog(dir, time, { "segment.bytes": 3000 });
    fill(log, 10);
    expect(log.size).toBe(8560);
    expect(log.segmentBaseOffsets()).toEqual([0, 15, 30, 45]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".log")).length).toBe(log.numberOfSegments);
  });

  it("rolls by segment.ms on the record timestamps, or on the clock without them", () => {
    log = openTestLog(dir, time, { "segment.ms": 60_000 });
    appendBatch(log, { timestamp: 1_000_000 });
    appendBatch(log, { timestamp: 1_059_000 });
    expect(log.numberOfSegments).toBe(1);
    appendBatch(log, { timestamp: 1_060_001 });
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);

    const dir2 = makeTmpDir();
    const untimed = openTestLog(dir2, time, { "segment.ms": 60_000 });
    appendBatch(untimed, { timestamp: -1 });
    time.advance(59_000);
    appendBatch(untimed, { timestamp: -1 });
    expect(untimed.numberOfSegments).toBe(1);
    time.advance(1_001);
    appendBatch(untimed, { timestamp: -1 });
    expect(untimed.segmentBaseOffsets()).toEqual([0, 2]);
    untimed.close();
    removeDir(dir2);
  });

  it("rolls when an index is full", () => {
    log = openTestLog(dir, time, { "segment.index.bytes": 8 * 3, "index.interval.bytes": 1 });
    fill(log, 12);
    expect(log.numberOfSegments).toBeGreaterThan(2);
    log.updateHighWatermark(log.logEndOffset);
    expect(baseOffsetsOf(log.read(0, 1 << 20, 60, false).records)[0]).toBe(0);
  });

  it("flushes rolled segments in the background, advancing the recovery point", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000 });
    fill(log, 3);
    expect(log.recoveryPoint).toBe(0);
    time.advance(0);
    expect(log.recoveryPoint).toBe(10);
  });

  it("fsyncs after flush.messages messages or flush.ms", () => {
    log = openTestLog(dir, time, { "flush.messages": 10 });
    fill(log, 1);
    expect(log.recoveryPoint).toBe(0);
    fill(log, 1);
    expect(log.recoveryPoint).toBe(10);
    log.close();
    log = openTestLog(makeTmpDirFor(), time, { "flush.ms": 1000 });
    fill(log, 1);
    expect(log.recoveryPoint).toBe(0);
    time.advance(1000);
    fill(log, 1);
    expect(log.recoveryPoint).toBe(10);
  });
});

const extraDirs: string[] = [];
function makeTmpDirFor(): string {
  const d = makeTmpDir();
  extraDirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of extraDirs.splice(0)) removeDir(d);
});

describe("Log retention and DeleteRecords", () => {
  it("deletes segments older than retention.ms, never at or above the high watermark", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000, "retention.ms": 10_000, "file.delete.delay.ms": 5000 });
    fill(log, 2, { timestamp: 1_000 });
    fill(log, 2, { timestamp: 2_000 });
    fill(log, 2, { timestamp: 50_000 });
    expect(log.segmentBaseOffsets()).toEqual([0, 10, 20]);
    log.updateHighWatermark(15);
    expect(log.deleteOldSegments(20_000)).toBe(1); // segment 10 is not wholly below the HW
    expect(log.logStartOffset).toBe(10);
    log.updateHighWatermark(30);
    expect(log.deleteOldSegments(20_000)).toBe(1);
    expect(log.segmentBaseOffsets()).toEqual([20]);
    expect(log.logStartOffset).toBe(20);
    // Deleted files are renamed first, removed after file.delete.delay.ms.
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".deleted")).length).toBe(6);
    time.advance(5000);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".deleted")).length).toBe(0);
    expectKafkaError(() => log!.read(5, 100, 30, false), ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it("deletes the active segment too when everything expired, keeping an empty one", () => {
    log = openTestLog(dir, time, { "retention.ms": 1000 });
    fill(log, 3, { timestamp: 1_000 });
    log.updateHighWatermark(15);
    expect(log.deleteOldSegments(10_000)).toBe(1);
    expect(log.segmentBaseOffsets()).toEqual([15]);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([15, 15]);
    expect(log.deleteOldSegments(10_000)).toBe(0);
    appendBatch(log);
    expect(log.logEndOffset).toBe(16);
  });

  it("keeps infinite retention with retention.ms -1 and only deletes with the delete policy", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000, "retention.ms": -1 });
    fill(log, 6, { timestamp: 1 });
    log.updateHighWatermark(30);
    expect(log.deleteOldSegments(1e12)).toBe(0);
    log.updateConfig(logConfig({ "segment.bytes": 2000, "retention.ms": 1, "cleanup.policy": "compact" }));
    expect(log.deleteOldSegments(1e12)).toBe(0);
  });

  it("deletes the oldest segments while the log exceeds retention.bytes", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000, "retention.ms": -1 });
    fill(log, 8);
    log.updateHighWatermark(40);
    const sizes = log.segmentBaseOffsets().length;
    expect(sizes).toBe(4);
    const total = log.size;
    log.updateConfig(logConfig({ "segment.bytes": 2000, "retention.ms": -1, "retention.bytes": Math.floor(total / 2) }));
    expect(log.deleteOldSegments()).toBe(2);
    expect(log.size).toBeLessThanOrEqual(Math.floor(total / 2));
    expect(log.logStartOffset).toBe(20);
  });

  it("DeleteRecords raises the log start offset up to the high watermark and drops whole segments below", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000 });
    fill(log, 6);
    log.updateHighWatermark(22);
    expectKafkaError(() => log!.deleteRecordsBefore(23), ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(log.deleteRecordsBefore(12)).toBe(12);
    expect(log.segmentBaseOffsets()).toEqual([10, 20]);
    // The fetch offset may be inside a batch; the whole batch comes back.
    expect(baseOffsetsOf(log.read(12, 1 << 20, 22, false).records)).toEqual([10, 15]);
    expect(log.fetchOffsetByTimestamp(-2)!.offset).toBe(12);
    expect(log.deleteRecordsBefore(5)).toBe(12);
  });
});

describe("Log truncation and leader epochs", () => {
  it("assigns epochs from appended batches and truncates them with the log", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000 });
    fill(log, 2, { leaderEpoch: 0 });
    fill(log, 2, { leaderEpoch: 3 });
    log.assignEpochStartOffset(5, 20);
    fill(log, 2, { leaderEpoch: 5 });
    expect(log.leaderEpochCache.entries()).toEqual([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
      { epoch: 5, startOffset: 20 },
    ]);
    expect(log.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 20 });
    expect(log.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 5, endOffset: 30 });
    expect(log.endOffsetForEpoch(9)).toBeUndefined();
    log.updateHighWatermark(30);

    expect(log.truncateTo(17)).toBe(true); // mid-batch: the whole batch 15-19 goes
    expect([log.logEndOffset, log.highWatermark]).toEqual([15, 15]);
    expect(log.segmentBaseOffsets()).toEqual([0, 10]);
    expect(log.latestEpoch()).toBe(3);
    expect(log.truncateTo(15)).toBe(false);
    appendBatch(log, { count: 5, leaderEpoch: 6 });
    expect(log.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 15 });
  });

  it("truncateFullyAndStartAt empties the log at a new offset", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000 });
    fill(log, 5, { leaderEpoch: 2 });
    log.truncateFullyAndStartAt(1000);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.recoveryPoint]).toEqual([1000, 1000, 1000, 1000]);
    expect(log.leaderEpochCache.entries()).toEqual([]);
    expect(log.segmentBaseOffsets()).toEqual([1000]);
    appendBatch(log, { count: 5 });
    expect(log.logEndOffset).toBe(1005);
  });

  it("truncating below the first segment starts over", () => {
    log = openTestLog(dir, time);
    log.truncateFullyAndStartAt(100);
    fill(log, 2);
    expect(log.truncateTo(50)).toBe(true);
    expect([log.logStartOffset, log.logEndOffset]).toEqual([50, 50]);
  });
});

describe("Log ListOffsets", () => {
  it("answers latest, earliest, max timestamp and by timestamp", () => {
    log = openTestLog(dir, time, { "segment.bytes": 2000 }, { recordTimestampSearch: testTimestampSearch });
    fill(log, 2, { timestamp: 1000, timestampStep: 10, leaderEpoch: 1 }); // 0-4: 1000..1040, 5-9 same
    fill(log, 2, { timestamp: 5000, timestampStep: 10, leaderEpoch: 2 }); // 10-19: 5000..5040
    fill(log, 1, { timestamp: 2000, timestampStep: 10, leaderEpoch: 2 }); // 20-24: out of order timestamps
    expect(log.fetchOffsetByTimestamp(-1)).toEqual({ timestamp: -1, offset: 25, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(-2)).toEqual({ timestamp: -1, offset: 0, leaderEpoch: 1 });
    expect(log.fetchOffsetByTimestamp(-3)).toEqual({ timestamp: 5040, offset: 14, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(1015)).toEqual({ timestamp: 1020, offset: 2, leaderEpoch: 1 });
    expect(log.fetchOffsetByTimestamp(1041)).toEqual({ timestamp: 5000, offset: 10, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(9999)).toBeUndefined();
  });
});

describe("Log I/O failures", () => {
  it("goes offline with KAFKA_STORAGE_ERROR when its files break", () => {
    log = openTestLog(dir, time);
    appendBatch(log);
    removeDir(dir);
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o500);
    try {
      log.truncateFullyAndStartAt(10);
    } catch (e) {
      if (process.getuid?.() === 0) return; // root ignores permissions
      expect(KafkaError.is(e, ErrorCode.KAFKA_STORAGE_ERROR)).toBe(true);
      expect(log.isOffline).toBe(true);
      expectKafkaError(() => log!.read(0, 10, 1, false), ErrorCode.KAFKA_STORAGE_ERROR);
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });
});
