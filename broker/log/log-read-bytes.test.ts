import { createRequire, syncBuiltinESMExports } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { appendBatch, makeTmpDir, ManualTime, openTestLog, removeDir } from "./test-support.ts";

// The log reads with fs.readSync (io.ts); counting what it returns is the disk cost of a fetch.
const fs = createRequire(import.meta.url)("node:fs") as typeof import("node:fs");
const realReadSync = fs.readSync;

let dir: string | undefined;
afterEach(() => {
  fs.readSync = realReadSync;
  syncBuiltinESMExports();
  if (dir) removeDir(dir);
  dir = undefined;
});

function countingReads(): { bytes: number } {
  const counted = { bytes: 0 };
  fs.readSync = ((...args: Parameters<typeof realReadSync>) => {
    const n = realReadSync(...args);
    counted.bytes += n;
    return n;
  }) as typeof realReadSync;
  syncBuiltinESMExports();
  return counted;
}

describe("log read cost", () => {
  it("a fetch at a batch boundary does not read the large batch before it", () => {
    dir = makeTmpDir();
    const log = openTestLog(dir, new ManualTime());
    // Large batches (as a producer's 1 MB batches): each has its own index entry, keyed by its last offset.
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      starts.push(log.logEndOffset);
      appendBatch(log, { count: 200, valueSize: 1000 });
    }
    const read = countingReads();
    // A follower's fetch: its log end is the first offset of the next batch.
    const records = log.read(starts[2]!, 1 << 20, log.logEndOffset, true).records;
    expect(records.length).toBeGreaterThan(150_000);
    // The batches returned plus about an index interval of scanning, not the batch before them too.
    expect(read.bytes).toBeLessThan(records.length + 16 * 1024);
    log.close();
  });
});
