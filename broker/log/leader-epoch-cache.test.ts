import * as fs from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeaderEpochCache } from "./leader-epoch-cache.ts";
import { makeTmpDir, removeDir } from "./test-support.ts";

let dir: string;
beforeEach(() => {
  dir = makeTmpDir();
});
afterEach(() => removeDir(dir));

describe("LeaderEpochCache", () => {
  it("records epoch start offsets, ignoring repeats of the latest epoch", () => {
    const cache = LeaderEpochCache.load(dir);
    expect(cache.latestEpoch()).toBe(-1);
    expect(cache.assign(1, 0)).toBe(true);
    expect(cache.assign(1, 5)).toBe(false);
    expect(cache.assign(3, 10)).toBe(true);
    expect(cache.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
    ]);
    expect(cache.epochForOffset(9)).toBe(1);
    expect(cache.epochForOffset(10)).toBe(3);
  });

  it("drops conflicting later entries when an epoch is reassigned lower", () => {
    const cache = LeaderEpochCache.load(dir);
    cache.assign(1, 0);
    cache.assign(2, 10);
    cache.assign(3, 20);
    cache.assign(4, 15); // start below epoch 3's: epoch 3 is gone
    expect(cache.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
      { epoch: 4, startOffset: 15 },
    ]);
  });

  it("answers OffsetForLeaderEpoch like Kafka", () => {
    const cache = LeaderEpochCache.load(dir);
    cache.assign(2, 10);
    cache.assign(4, 30);
    cache.assign(7, 50);
    expect(cache.endOffsetFor(7, 80)).toEqual({ leaderEpoch: 7, endOffset: 80 });
    expect(cache.endOffsetFor(4, 80)).toEqual({ leaderEpoch: 4, endOffset: 50 });
    expect(cache.endOffsetFor(5, 80)).toEqual({ leaderEpoch: 4, endOffset: 50 });
    expect(cache.endOffsetFor(1, 80)).toEqual({ leaderEpoch: 1, endOffset: 10 });
    expect(cache.endOffsetFor(9, 80)).toEqual({ leaderEpoch: -1, endOffset: -1 });
    expect(cache.endOffsetFor(-1, 80)).toEqual({ leaderEpoch: -1, endOffset: -1 });
  });

  it("truncates from the end and from the start", () => {
    const cache = LeaderEpochCache.load(dir);
    cache.assign(1, 0);
    cache.assign(2, 10);
    cache.assign(3, 20);
    cache.truncateFromEnd(20);
    expect(cache.latestEpoch()).toBe(2);
    cache.truncateFromStart(15);
    expect(cache.entries()).toEqual([{ epoch: 2, startOffset: 15 }]);
    cache.clear();
    expect(cache.entries()).toEqual([]);
  });

  it("persists to leader-epoch-checkpoint in Kafka's format", () => {
    const cache = LeaderEpochCache.load(dir);
    cache.assign(0, 0);
    cache.assign(5, 123);
    expect(fs.readFileSync(join(dir, "leader-epoch-checkpoint"), "utf8")).toBe("0\n2\n0 0\n5 123\n");
    expect(LeaderEpochCache.load(dir).entries()).toEqual(cache.entries());
  });
});
