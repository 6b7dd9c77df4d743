import * as fs from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BATCH } from "../protocol/records/batch-header.ts";
import { filenamePrefix } from "./log-files.ts";
import type { Log } from "./log.ts";
import { baseOffsetsOf } from "./test-batches.ts";
import { appendBatch, makeTmpDir, ManualTime, openTestLog, removeDir } from "./test-support.ts";

let dir: string;
let time: ManualTime;
const open: Log[] = [];
beforeEach(() => {
  dir = makeTmpDir();
  time = new ManualTime();
});
afterEach(() => {
  for (const l of open.splice(0)) l.close();
  removeDir(dir);
});

const BATCH_BYTES = 856; // 5 records of 150 bytes
const file = (base: number, suffix = ".log") => join(dir, filenamePrefix(base) + suffix);

/** A log of `batches` 5-record batches, two per segment (0, 10, 20, ...), left without clean shutdown. */
function writeLog(batches: number): void {
  const log = openTestLog(dir, time, { "segment.bytes": 2000 });
  for (let i = 0; i < batches; i++) appendBatch(log, { count: 5, valueSize: 150, leaderEpoch: i < 2 ? 1 : 2 });
  log.close();
}

function reopen(opts: { clean?: boolean; recoveryPoint?: number; logStartOffset?: number } = {}): Log {
  const log = openTestLog(dir, time, { "segment.bytes": 2000 }, { hadCleanShutdown: opts.clean ?? false, recoveryPoint: opts.recoveryPoint ?? 0, logStartOffset: opts.logStartOffset });
  open.push(log);
  return log;
}

function readAll(log: Log): number[] {
  const out: number[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const bases = baseOffsetsOf(log.read(offset, 1 << 20, log.logEndOffset, true).records);
    if (bases.length === 0) break;
    out.push(...bases);
    offset = bases.at(-1)! + 5;
  }
  return out;
}

function flipByte(path: string, position: number): void {
  const bytes = fs.readFileSync(path);
  bytes[position]! ^= 0xff;
  fs.writeFileSync(path, bytes);
}

describe("Log recovery", () => {
  it("truncates a torn tail (file cut mid-batch) and keeps appending after it", () => {
    writeLog(5);
    fs.truncateSync(file(20), BATCH_BYTES - 100);
    const log = reopen();
    expect(log.logEndOffset).toBe(20);
    expect(log.segmentBaseOffsets()).toEqual([0, 10, 20]);
    expect(fs.statSync(file(20)).size).toBe(0);
    appendBatch(log, { count: 5 });
    expect(readAll(log)).toEqual([0, 5, 10, 15, 20]);
  });

  it("a torn tail is found even with the clean-shutdown marker (the tail must frame)", () => {
    writeLog(5);
    fs.truncateSync(file(20), BATCH_BYTES - 100);
    expect(reopen({ clean: true }).logEndOffset).toBe(20);
  });

  it("truncates at a corrupted CRC in the middle and deletes everything after it", () => {
    writeLog(6);
    flipByte(file(10), BATCH_BYTES + BATCH.HEADER_SIZE + 20); // inside batch 15-19's records
    const log = reopen();
    expect(log.logEndOffset).toBe(15);
    expect(log.segmentBaseOffsets()).toEqual([0, 10]);
    expect(fs.existsSync(file(20))).toBe(false);
    expect(readAll(log)).toEqual([0, 5, 10]);
    expect(log.leaderEpochCache.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
    ]);
    expect(log.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 2, endOffset: 15 });
  });

  it("drops garbage appended after the last batch", () => {
    writeLog(3);
    fs.appendFileSync(file(10), Buffer.alloc(500, 0x42));
    const log = reopen();
    expect(log.logEndOffset).toBe(15);
    expect(fs.statSync(file(10)).size).toBe(BATCH_BYTES);
    expect(readAll(log)).toEqual([0, 5, 10]);
  });

  it("only re-validates segments from the recovery point on", () => {
    writeLog(6);
    flipByte(file(0), BATCH_BYTES + BATCH.HEADER_SIZE + 20); // below the recovery point: trusted
    flipByte(file(20), BATCH.HEADER_SIZE + 20);
    const log = reopen({ recoveryPoint: 20 });
    expect(log.logEndOffset).toBe(20);
    expect(log.recoveryPoint).toBe(20);
  });

  it("after a clean shutdown trusts the files and sets the recovery point to the log end", () => {
    writeLog(6);
    const log = reopen({ clean: true, recoveryPoint: 0 });
    expect(log.logEndOffset).toBe(30);
    expect(log.recoveryPoint).toBe(30);
    const unclean = openTestLog(dir, time, {}, { hadCleanShutdown: false, recoveryPoint: 10 });
    open.push(unclean);
    expect(unclean.recoveryPoint).toBe(10);
  });

  it("rebuilds a missing index", () => {
    writeLog(6);
    fs.rmSync(file(10, ".index"));
    fs.rmSync(file(10, ".timeindex"));
    const log = reopen({ clean: true });
    expect(fs.existsSync(file(10, ".index"))).toBe(true);
    expect(baseOffsetsOf(log.read(17, 1 << 20, 30, false).records)).toEqual([15]);
  });

  it("rebuilds a corrupt index when it is first used", () => {
    const log0 = openTestLog(dir, time, { "segment.bytes": 100_000, "index.interval.bytes": 100 });
    for (let i = 0; i < 40; i++) appendBatch(log0, { count: 5, valueSize: 150 });
    log0.close();
    const bad = Buffer.alloc(80);
    for (let i = 0; i < 10; i++) {
      bad.writeInt32BE(100 - i, i * 8); // descending offsets
      bad.writeInt32BE(i * 1000, i * 8 + 4);
    }
    fs.writeFileSync(file(0, ".index"), bad);
    const log = openTestLog(dir, time, { "segment.bytes": 100_000, "index.interval.bytes": 100 }, { hadCleanShutdown: true });
    open.push(log);
    expect(baseOffsetsOf(log.read(123, 1 << 20, 200, false).records)[0]).toBe(120);
    log.close();
    expect(fs.statSync(file(0, ".index")).size).toBe(8 * 39);
  });

  it("removes leftovers of deletion, compaction and checkpoint writes, and orphan indexes", () => {
    writeLog(2);
    for (const name of ["00000000000000000000.log.deleted", "00000000000000000005.log.cleaned", "00000000000000000007.log.swap", "x.tmp", filenamePrefix(99) + ".index"]) {
      fs.writeFileSync(join(dir, name), "junk");
    }
    reopen();
    expect(fs.readdirSync(dir).sort()).toEqual([
      "00000000000000000000.index",
      "00000000000000000000.log",
      "00000000000000000000.timeindex",
      "leader-epoch-checkpoint",
    ]);
  });

  it("rebuilds leader epochs from recovered batches when the checkpoint is gone", () => {
    writeLog(6);
    fs.rmSync(join(dir, "leader-epoch-checkpoint"));
    const log = reopen();
    expect(log.leaderEpochCache.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 10 },
    ]);
  });

  it("keeps the checkpointed log start offset, and starts over when the log ends below it", () => {
    writeLog(6);
    let log = reopen({ clean: true, logStartOffset: 12 });
    expect([log.logStartOffset, log.logEndOffset]).toEqual([12, 30]);
    log.close();
    open.length = 0;
    log = reopen({ clean: true, logStartOffset: 50 });
    expect([log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets()]).toEqual([50, 50, [50]]);
  });
});
