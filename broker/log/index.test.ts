import * as fs from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptIndexError } from "./index-file.ts";
import { OffsetIndex } from "./offset-index.ts";
import { makeTmpDir, removeDir } from "./test-support.ts";
import { TimeIndex } from "./time-index.ts";

let dir: string;
beforeEach(() => {
  dir = makeTmpDir();
});
afterEach(() => removeDir(dir));

describe("OffsetIndex", () => {
  it("finds the largest entry at or below a target", () => {
    const idx = new OffsetIndex(join(dir, "a.index"), 100, 1024, true);
    idx.append(110, 4000);
    idx.append(130, 9000);
    idx.append(150, 13000);
    expect(idx.lookup(99)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(109)).toEqual({ offset: 100, position: 0 });
    expect(idx.lookup(110)).toEqual({ offset: 110, position: 4000 });
    expect(idx.lookup(149)).toEqual({ offset: 130, position: 9000 });
    expect(idx.lookup(1e9)).toEqual({ offset: 150, position: 13000 });
    expect(idx.lastOffset).toBe(150);
  });

  it("rejects entries that don't ascend", () => {
    const idx = new OffsetIndex(join(dir, "a.index"), 0, 1024, true);
    idx.append(10, 100);
    expect(() => idx.append(10, 200)).toThrow();
    expect(() => idx.append(5, 200)).toThrow();
  });

  it("truncates entries at or above an offset, in memory and on disk", () => {
    const path = join(dir, "a.index");
    const idx = new OffsetIndex(path, 0, 4096, true);
    for (let i = 1; i <= 200; i++) idx.append(i * 10, i * 100);
    idx.truncateTo(155);
    expect(idx.entries).toBe(15);
    expect(idx.lookup(1000)).toEqual({ offset: 150, position: 1500 });
    idx.truncateTo(150);
    expect(idx.entries).toBe(14);
    idx.close();
    expect(fs.statSync(path).size).toBe(14 * 8);
    const reopened = new OffsetIndex(path, 0, 4096, false);
    expect(reopened.entries).toBe(14);
    expect(reopened.lookup(1000)).toEqual({ offset: 140, position: 1400 });
  });

  it("is full at segment.index.bytes / 8 entries", () => {
    const idx = new OffsetIndex(join(dir, "a.index"), 0, 20, true);
    idx.append(1, 1);
    expect(idx.isFull()).toBe(false);
    idx.append(2, 2);
    expect(idx.isFull()).toBe(true);
    expect(() => idx.append(3, 3)).toThrow(/full/);
  });

  it("reports a file of the wrong size or with entries out of order as corrupt", () => {
    const path = join(dir, "a.index");
    fs.writeFileSync(path, Buffer.alloc(12));
    expect(() => new OffsetIndex(path, 0, 1024, false).load()).toThrow(CorruptIndexError);
    const bad = Buffer.alloc(16);
    bad.writeInt32BE(5, 0);
    bad.writeInt32BE(100, 4);
    bad.writeInt32BE(3, 8);
    bad.writeInt32BE(200, 12);
    fs.writeFileSync(path, bad);
    expect(() => new OffsetIndex(path, 0, 1024, false).load()).toThrow(CorruptIndexError);
  });
});

describe("TimeIndex", () => {
  it("appends only growing timestamps and finds the largest at or below a target", () => {
    const idx = new TimeIndex(join(dir, "a.timeindex"), 1000, 1200, true);
    idx.maybeAppend(5000, 1010);
    idx.maybeAppend(5000, 1020); // same timestamp: ignored
    idx.maybeAppend(7000, 1030);
    expect(idx.entries).toBe(2);
    expect(() => idx.maybeAppend(9000, 1005)).toThrow();
    expect(idx.lookup(4999)).toEqual({ timestamp: -1, offset: 1000 });
    expect(idx.lookup(6000)).toEqual({ timestamp: 5000, offset: 1010 });
    expect(idx.lookup(7000)).toEqual({ timestamp: 7000, offset: 1030 });
    expect(idx.lastEntry()).toEqual({ timestamp: 7000, offset: 1030 });
  });

  it("keeps one slot free for the final entry and truncates by offset", () => {
    const path = join(dir, "a.timeindex");
    const idx = new TimeIndex(path, 0, 36, true); // 3 slots
    idx.maybeAppend(10, 1);
    idx.maybeAppend(20, 2);
    expect(idx.isFull()).toBe(true);
    idx.maybeAppend(30, 3, true);
    expect(idx.entries).toBe(3);
    idx.truncateTo(2);
    expect(idx.lastEntry()).toEqual({ timestamp: 10, offset: 1 });
    idx.close();
    expect(TimeIndex.peekLastEntry(path, 0)).toEqual({ timestamp: 10, offset: 1 });
  });

  it("round-trips 64-bit timestamps through the file", () => {
    const path = join(dir, "a.timeindex");
    const idx = new TimeIndex(path, 0, 1200, true);
    idx.maybeAppend(1_700_000_000_123, 5);
    idx.close();
    expect(new TimeIndex(path, 0, 1200, false).lastEntry()).toEqual({ timestamp: 1_700_000_000_123, offset: 5 });
  });
});
