import * as fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BATCH } from "../protocol/records/batch-header.ts";
import { LogSegment, type SegmentSettings } from "./log-segment.ts";
import { silentLogger } from "./log-logger.ts";
import { baseOffsetsOf, makeBatch, testTimestampSearch } from "./test-batches.ts";
import { makeTmpDir, ManualTime, removeDir } from "./test-support.ts";

let dir: string;
let time: ManualTime;
beforeEach(() => {
  dir = makeTmpDir();
  time = new ManualTime();
});
afterEach(() => removeDir(dir));

function settings(indexIntervalBytes = 0): SegmentSettings {
  return { indexIntervalBytes, maxIndexBytes: 1 << 20, rollJitterMs: 0, clock: time, logger: silentLogger };
}

/** A segment at base 100 with batches of 5 records: 100-104, 105-109, ... */
function filled(batches: number, indexIntervalBytes = 0): { segment: LogSegment; data: Buffer[] } {
  const segment = LogSegment.create(dir, 100, settings(indexIntervalBytes));
  const data: Buffer[] = [];
  for (let i = 0; i < batches; i++) {
    const b = makeBatch({ baseOffset: 100 + i * 5, count: 5, timestamp: 10_000 + i * 100, timestampStep: 10 });
    segment.append(b, 104 + i * 5);
    data.push(b);
  }
  return { segment, data };
}

describe("LogSegment", () => {
  it("names its files by zero-padded base offset", () => {
    filled(1).segment.close();
    expect(fs.readdirSync(dir).sort()).toEqual(["00000000000000000100.index", "00000000000000000100.log", "00000000000000000100.timeindex"]);
  });

  it("reads from the whole batch containing an offset in its middle", () => {
    const { segment, data } = filled(10);
    for (const interval of [0, 4096]) {
      segment.indexIntervalBytes = interval;
      const r = segment.read(117, 1 << 20, Infinity, false)!;
      expect(baseOffsetsOf(r)).toEqual([115, 120, 125, 130, 135, 140, 145]);
      expect(r.subarray(0, data[3]!.length).equals(data[3]!)).toBe(true);
    }
    expect(segment.read(149, 1000, Infinity, false)!.equals(data[9]!)).toBe(true);
    expect(segment.read(150, 1000, Infinity, false)).toBeUndefined();
  });

  it("returns whole batches within maxBytes, at least one with minOneMessage", () => {
    const { segment, data } = filled(4);
    const size = data[0]!.length;
    expect(baseOffsetsOf(segment.read(100, size * 2 + 10, Infinity, false)!)).toEqual([100, 105]);
    expect(segment.read(100, size - 1, Infinity, false)!.length).toBe(0);
    expect(baseOffsetsOf(segment.read(100, 1, Infinity, true)!)).toEqual([100]);
  });

  it("stops before the batch that reaches maxOffset (the high watermark)", () => {
    const { segment } = filled(4);
    expect(baseOffsetsOf(segment.read(100, 1 << 20, 110, false)!)).toEqual([100, 105]);
    expect(baseOffsetsOf(segment.read(100, 1 << 20, 112, false)!)).toEqual([100, 105]);
    expect(segment.read(110, 1 << 20, 110, true)!.length).toBe(0);
  });

  it("finds offsets by timestamp, per batch or per record with a search", () => {
    const { segment } = filled(10, 0);
    // Batch i holds timestamps 10000 + i*100 + {0,10,20,30,40}.
    expect(segment.findOffsetByTimestamp(10_325, 0)).toEqual({ timestamp: 10_340, offset: 115 });
    expect(segment.findOffsetByTimestamp(10_325, 0, testTimestampSearch)).toEqual({ timestamp: 10_330, offset: 118 });
    expect(segment.findOffsetByTimestamp(0, 0, testTimestampSearch)).toEqual({ timestamp: 10_000, offset: 100 });
    expect(segment.findOffsetByTimestamp(0, 112, testTimestampSearch)).toEqual({ timestamp: 10_220, offset: 112 });
    expect(segment.findOffsetByTimestamp(99_999, 0)).toBeUndefined();
    expect(segment.findMaxTimestamp(testTimestampSearch)).toEqual({ timestamp: 10_940, offset: 149 });
  });

  it("rebuilds identical indexes on recover()", () => {
    const { segment } = filled(50, 200);
    const before = [segment.offsetIndex.entries, segment.offsetIndex.lookup(200), segment.timeIndex.lookup(12_000)];
    expect(segment.recover()).toBe(0);
    expect([segment.offsetIndex.entries, segment.offsetIndex.lookup(200), segment.timeIndex.lookup(12_000)]).toEqual(before);
    // Recovery also writes the final time index entry that rolling or closing would add.
    expect(segment.timeIndex.lastEntry()).toEqual({ timestamp: 10_000 + 49 * 100 + 40, offset: 349 });
    expect(segment.nextOffset).toBe(350);
  });

  it("truncates the whole batch containing an offset", () => {
    const { segment, data } = filled(10, 0);
    expect(segment.truncateTo(122)).toBe(data[0]!.length * 6);
    expect(segment.nextOffset).toBe(120);
    expect(segment.size).toBe(data[0]!.length * 4);
    expect(segment.maxTimestampSoFar).toBe(10_340);
    expect(segment.offsetIndex.lastOffset).toBeLessThan(120);
    expect(segment.truncateTo(500)).toBe(0);
  });

  it("rolls by size, by record time span, by wall-clock age without timestamps", () => {
    const { segment } = filled(1);
    const p = { maxSegmentBytes: 1 << 20, maxSegmentMs: 1000, maxTimestampInMessages: 10_500, maxOffsetInMessages: 200, messagesSize: 100, now: time.now() };
    expect(segment.shouldRoll(p)).toBe(false);
    expect(segment.shouldRoll({ ...p, maxSegmentBytes: segment.size + 99 })).toBe(true);
    expect(segment.shouldRoll({ ...p, maxTimestampInMessages: 11_041 })).toBe(true);
    expect(segment.shouldRoll({ ...p, maxOffsetInMessages: 100 + 2 ** 31 })).toBe(true);

    const untimed = LogSegment.create(dir, 0, settings());
    untimed.append(makeBatch({ baseOffset: 0, timestamp: -1 }), 0);
    const q = { ...p, maxTimestampInMessages: -1, maxOffsetInMessages: 1 };
    expect(untimed.shouldRoll(q)).toBe(false);
    expect(untimed.shouldRoll({ ...q, now: time.now() + 1001 })).toBe(true);
  });

  it("reopens lazily and rebuilds a corrupt index on first use", () => {
    const { segment } = filled(20, 100);
    const entries = segment.offsetIndex.entries;
    segment.close();
    fs.writeFileSync(segment.offsetIndex.path, Buffer.alloc(13, 0xff));
    const reopened = LogSegment.open(dir, 100, settings(100));
    expect(reopened.maxTimestampSoFar).toBe(10_000 + 19 * 100 + 40);
    expect(baseOffsetsOf(reopened.read(151, 1 << 20, Infinity, false)!)[0]).toBe(150);
    expect(reopened.offsetIndex.entries).toBe(entries);
    expect(reopened.nextOffset).toBe(200);
  });

  it("recover() truncates a torn last batch and a bad CRC", () => {
    const { segment, data } = filled(6);
    const size = data[0]!.length;
    segment.close();
    const path = segment.path;
    fs.truncateSync(path, size * 6 - 7);
    let s = LogSegment.open(dir, 100, settings());
    expect(s.recover()).toBe(size - 7);
    expect(s.nextOffset).toBe(125);
    s.close();
    const bytes = fs.readFileSync(path);
    bytes[size * 2 + BATCH.HEADER_SIZE + 3]! ^= 0xff;
    fs.writeFileSync(path, bytes);
    s = LogSegment.open(dir, 100, settings());
    expect(s.recover()).toBe(size * 3);
    expect(s.recoveryProblem).toMatch(/CRC/);
    expect(s.nextOffset).toBe(110);
  });
});
