import * as fs from "node:fs";
import { join } from "node:path";
import { setImmediate as nextImmediate } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { logToClean } from "./cleaner-offsets.ts";
import { appendKeyed, cleanerFor, readRecords, type ReadRecord } from "./cleaner-test-support.ts";
import { CleaningAbortedError, cleanLog } from "./cleaner.ts";
import { filenamePrefix } from "./log-files.ts";
import type { Log } from "./log.ts";
import { OffsetMap } from "./offset-map.ts";
import { makeTmpDir, ManualTime, openTestLog, removeDir } from "./test-support.ts";

let root: string;
let time: ManualTime;
const open: Log[] = [];
beforeEach(() => {
  root = makeTmpDir("samsa-swap-");
  time = new ManualTime(1_000_000_000);
});
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  removeDir(root);
});

const CONFIG = { "cleanup.policy": "compact", "segment.bytes": 100_000 };

function openAt(dir: string): Log {
  const l = openTestLog(dir, time, CONFIG);
  open.push(l);
  return l;
}

function closeLog(l: Log): void {
  l.close();
  open.splice(open.indexOf(l), 1);
}

/** Four small segments of duplicated keys and an empty active one, closed without a clean shutdown. */
function writeLog(dir: string): void {
  const l = openAt(dir);
  for (let i = 0; i < 24; i++) {
    appendKeyed(l, [{ key: `k${i % 5}`, value: `v${i}` }, { key: `j${i % 3}`, value: `w${i}` }]);
    if (i % 6 === 5) l.roll();
  }
  closeLog(l);
}

interface Snapshot {
  records: ReadRecord[];
  bases: number[];
  logEnd: number;
}

function snapshot(dir: string): Snapshot {
  const l = openAt(dir);
  const s = { records: readRecords(l), bases: l.segmentBaseOffsets(), logEnd: l.logEndOffset };
  closeLog(l);
  return s;
}

/**
 * The crash scenarios below are built from two copies of one log: `pre` before cleaning and
 * `post` after (one group: a single cleaned segment at base 0 replacing segments 0, 12, 24, 36).
 */
function prepare(): { pre: string; post: string } {
  const pre = join(root, "pre", "t-0");
  const post = join(root, "post", "t-0");
  writeLog(pre);
  fs.cpSync(pre, post, { recursive: true });
  return { pre, post };
}

async function clean(dir: string): Promise<void> {
  const l = openAt(dir);
  l.updateHighWatermark(l.logEndOffset);
  await cleanerFor(l, join(dir, ".."), time).cleanNow(l);
  closeLog(l);
}

const SEGMENT_FILES = [".log", ".index", ".timeindex"];

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => /\.(cleaned|swap|deleted)$/.test(f));
}

describe("Cleaner swap recovery", () => {
  let pre: string;
  let post: string;
  let before: Snapshot;
  let after: Snapshot;
  let crashed: string;

  beforeEach(async () => {
    ({ pre, post } = prepare());
    before = snapshot(pre);
    await clean(post);
    after = snapshot(post);
    expect(after.bases).toEqual([0, 48]);
    expect(before.bases).toEqual([0, 12, 24, 36, 48]);
    expect(after.records.length).toBeLessThan(before.records.length);
    crashed = join(root, "crashed", "t-0");
    fs.cpSync(pre, crashed, { recursive: true });
  });

  /** Copies the cleaned segment 0 of `post` into the crashed dir with `suffix`. */
  function placeCleaned(suffix: string, files = SEGMENT_FILES): void {
    for (const ext of files) fs.copyFileSync(join(post, filenamePrefix(0) + ext), join(crashed, filenamePrefix(0) + ext + suffix));
  }

  function renameOld(base: number, suffix: string): void {
    for (const ext of SEGMENT_FILES) {
      const f = join(crashed, filenamePrefix(base) + ext);
      if (fs.existsSync(f)) fs.renameSync(f, f + suffix);
    }
  }

  it("drops a .cleaned segment: the old segments stand", () => {
    placeCleaned(".cleaned");
    expect(snapshot(crashed)).toEqual(before);
    expect(leftovers(crashed)).toEqual([]);
  });

  it("completes a swap whose .swap was written before any old segment was renamed", () => {
    placeCleaned(".swap");
    expect(snapshot(crashed)).toEqual(after);
    expect(leftovers(crashed)).toEqual([]);
  });

  it("completes a swap interrupted while renaming the old segments to .deleted", () => {
    placeCleaned(".swap");
    renameOld(0, ".deleted");
    renameOld(12, ".deleted");
    expect(snapshot(crashed)).toEqual(after);
    expect(leftovers(crashed)).toEqual([]);
  });

  it("completes a swap interrupted while renaming .swap files to their live names", () => {
    for (const base of [0, 12, 24, 36]) renameOld(base, ".deleted");
    placeCleaned("", [".log"]);
    placeCleaned(".swap", [".index", ".timeindex"]);
    expect(snapshot(crashed)).toEqual(after);
    expect(leftovers(crashed)).toEqual([]);
  });

  it("drops a .swap at or above a .cleaned offset (an operation that never committed)", () => {
    placeCleaned(".swap");
    placeCleaned(".cleaned", [".log"]);
    expect(snapshot(crashed)).toEqual(before);
    expect(leftovers(crashed)).toEqual([]);
  });
});

describe("Cleaner abort", () => {
  it("leaves the log as it was when the log changes under a cleaning", async () => {
    const dir = join(root, "t-0");
    writeLog(dir);
    const l = openAt(dir);
    l.updateHighWatermark(l.logEndOffset);
    const model = readRecords(l);
    let deleted = false;
    const cleaning = cleanLog(logToClean(l, undefined, time.now()), {
      map: new OffsetMap(1000),
      now: time.now(),
      pause: async () => {
        // Mid-rewrite, DeleteRecords drops the first segment the cleaner is reading.
        if (!deleted && fs.readdirSync(dir).some((f) => f.endsWith(".cleaned"))) {
          deleted = true;
          l.deleteRecordsBefore(12);
          expect(l.segmentBaseOffsets()[0]).toBe(12);
        }
        await nextImmediate();
      },
      yieldBytes: 100,
    });
    await expect(cleaning).rejects.toBeInstanceOf(CleaningAbortedError);
    expect(deleted).toBe(true);
    expect(leftovers(dir).filter((f) => !f.endsWith(".deleted"))).toEqual([]);
    expect(readRecords(l)).toEqual(model.filter((r) => r.offset >= 12));
  });

  it("stops at the next yield on shutdown and removes its .cleaned files", async () => {
    const dir = join(root, "t-0");
    writeLog(dir);
    const l = openAt(dir);
    l.updateHighWatermark(l.logEndOffset);
    const model = readRecords(l);
    const cleaner = cleanerFor(l, root, time);
    const cleaning = cleaner.cleanNow(l);
    // Wait until it is rewriting (a .cleaned segment exists), then shut down.
    for (let i = 0; i < 1000 && !fs.readdirSync(dir).some((f) => f.endsWith(".cleaned")); i++) await nextImmediate();
    expect(fs.readdirSync(dir).some((f) => f.endsWith(".cleaned"))).toBe(true);
    cleaner.shutdown();
    expect(await cleaning).toBeUndefined();
    expect(leftovers(dir)).toEqual([]);
    expect(readRecords(l)).toEqual(model);
    expect(l.segmentBaseOffsets()).toEqual([0, 12, 24, 36, 48]);
  });
});
