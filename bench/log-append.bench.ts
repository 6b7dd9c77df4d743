/**
 * Log append/read throughput: ~1 MiB batches of 100 B and 1 KiB records appended to a temp
 * dir (no fsync, as with Kafka's default flush settings), then read back sequentially with
 * 1 MiB fetches. Prints figures; asserts nothing.
 *
 *   npx tsx bench/log-append.bench.ts            (SAMSA_BENCH_MB=512 to write more)
 */
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeInt64 } from "../broker/log/batch-view.ts";
import { logConfig } from "../broker/log/log-config.ts";
import { Log } from "../broker/log/log.ts";
import { appendInfo, makeBatch } from "../broker/log/test-batches.ts";

const TOTAL_MB = Number(process.env.SAMSA_BENCH_MB ?? 256);
const BATCH_BYTES = 1024 * 1024;

const clock = { now: () => Date.now() };
const timer = {
  schedule(ms: number, fn: () => void) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

function run(recordSize: number, crcVerified: boolean, totalMb = TOTAL_MB, quiet = false): void {
  const dir = fs.mkdtempSync(join(tmpdir(), "samsa-bench-"));
  try {
    const count = Math.floor(BATCH_BYTES / (recordSize + 8));
    const batch = makeBatch({ baseOffset: 0, count, valueSize: recordSize, timestamp: Date.now() });
    const info = appendInfo(batch);
    const log = Log.open({ dir, topic: "bench", partition: 0, config: logConfig(), clock, timer });
    const batches = Math.ceil((totalMb * 1024 * 1024) / batch.length);

    let start = process.hrtime.bigint();
    for (let i = 0; i < batches; i++) {
      const first = log.logEndOffset;
      // Re-stamping the base offset needs no new CRC (it isn't covered).
      writeInt64(batch, first, 0);
      log.append(batch, { firstOffset: first, lastOffset: first + info.lastOffset, maxTimestamp: info.maxTimestamp, crcVerified });
    }
    const appendSecs = Number(process.hrtime.bigint() - start) / 1e9;
    const bytes = log.size;
    log.updateHighWatermark(log.logEndOffset);

    start = process.hrtime.bigint();
    let offset = 0;
    let read = 0;
    while (offset < log.logEndOffset) {
      const r = log.read(offset, BATCH_BYTES, log.highWatermark, true).records;
      read += r.length;
      offset += (r.length / batch.length) * count;
    }
    const readSecs = Number(process.hrtime.bigint() - start) / 1e9;
    log.close();

    if (quiet) return;
    const mb = bytes / (1024 * 1024);
    const recs = batches * count;
    console.log(
      `${String(recordSize).padStart(5)} B records, ${count} per batch, CRC ${crcVerified ? "trusted " : "checked "}: ` +
        `append ${(mb / appendSecs).toFixed(0).padStart(5)} MB/s (${((recs / appendSecs) / 1e6).toFixed(1)}M rec/s), ` +
        `read ${((read / (1024 * 1024)) / readSecs).toFixed(0).padStart(5)} MB/s, ${mb.toFixed(0)} MB in ${log.numberOfSegments} segment(s)`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`Log append/read, ${TOTAL_MB} MB per case, temp dir ${tmpdir()}`);
run(100, false, 64, true); // warm up the JIT and the page cache
run(1024, true, 64, true);
for (const size of [100, 1024]) {
  run(size, false);
  run(size, true);
}
