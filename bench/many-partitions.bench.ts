/**
 * Many partitions through one LogManager: creates N single-segment logs with a few small
 * records each, then reports open file descriptors (entries of /proc/self/fd), RSS, the
 * time to create them, small-append and read rates (over a hot set of 500 partitions and
 * round-robin over all N), the clean shutdown, and the startup (load) time of N logs.
 * Each N runs in its own process so the RSS figures don't mix. Prints figures; asserts
 * nothing.
 *
 *   npx tsx bench/many-partitions.bench.ts               (N = 10000 and 20000)
 *   npx tsx bench/many-partitions.bench.ts 5000 30000
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeInt64 } from "../broker/log/batch-view.ts";
import { LogManager } from "../broker/log/log-manager.ts";
import type { Log } from "../broker/log/log.ts";
import { makeBatch } from "../broker/log/test-batches.ts";

const RECORDS_PER_LOG = 3;
const HOT_SET = 500;
const OPS = 100_000;

const clock = { now: () => Date.now() };
const timer = {
  schedule(ms: number, fn: () => void) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

function openFds(): number {
  try {
    return fs.readdirSync("/proc/self/fd").length;
  } catch {
    return NaN; // EMFILE: the table is full
  }
}
const rssMb = (): string => `${(process.memoryUsage().rss / (1024 * 1024)).toFixed(0)} MB`;
const seconds = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;
const rate = (n: number, secs: number): string => `${Math.round(n / secs).toLocaleString("en-US")}/s`;

function manager(dir: string): LogManager {
  const m = new LogManager({
    config: { "log.dirs": [dir], "log.initial.task.delay.ms": 3_600_000, "log.cleaner.enable": false },
    clock,
    timer,
  });
  m.startup();
  return m;
}

/** One 100-byte record at the log end (the base offset isn't covered by the CRC). */
const batch = makeBatch({ baseOffset: 0, count: 1, valueSize: 100, timestamp: Date.now() });
function appendOne(log: Log): void {
  const offset = log.logEndOffset;
  writeInt64(batch, offset, 0);
  log.append(batch, { firstOffset: offset, lastOffset: offset, maxTimestamp: Date.now(), crcVerified: true });
}

function child(n: number): void {
  const dir = fs.mkdtempSync(join(tmpdir(), "samsa-many-"));
  const baseFds = openFds();
  const line = (what: string, extra = "") => console.log(`  ${what.padEnd(34)} fds +${String(openFds() - baseFds).padStart(6)}  rss ${rssMb().padStart(7)}${extra}`);
  let m: LogManager | undefined;
  let created = 0;
  try {
    m = manager(dir);
    let start = process.hrtime.bigint();
    const logs: Log[] = [];
    for (let i = 0; i < n; i++) {
      const log = m.getOrCreateLog(`bench-${i}`, 0);
      for (let r = 0; r < RECORDS_PER_LOG; r++) appendOne(log);
      logs.push(log);
      created++;
    }
    line(`created ${n} logs`, `  in ${seconds(start).toFixed(2)} s`);

    start = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) appendOne(logs[i % HOT_SET]!);
    line(`appends over ${HOT_SET} partitions`, `  ${rate(OPS, seconds(start))}`);

    start = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) appendOne(logs[i % n]!);
    line(`appends round-robin over ${n}`, `  ${rate(OPS, seconds(start))}`);

    for (const log of logs) log.updateHighWatermark(log.logEndOffset);
    start = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) logs[i % HOT_SET]!.read(0, 1024 * 1024, Infinity, true);
    line(`reads over ${HOT_SET} partitions`, `  ${rate(OPS, seconds(start))}`);

    start = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) logs[i % n]!.read(0, 1024 * 1024, Infinity, true);
    line(`reads round-robin over ${n}`, `  ${rate(OPS, seconds(start))}`);

    start = process.hrtime.bigint();
    m.shutdown();
    m = undefined;
    logs.length = 0;
    line("clean shutdown", `  in ${seconds(start).toFixed(2)} s`);

    start = process.hrtime.bigint();
    m = manager(dir);
    const loadSecs = seconds(start);
    line(`startup: loaded ${m.allLogs().length} logs`, `  in ${loadSecs.toFixed(2)} s`);

    start = process.hrtime.bigint();
    let records = 0;
    for (const log of m.allLogs()) {
      log.updateHighWatermark(log.logEndOffset);
      if (log.read(0, 1024 * 1024, Infinity, true).records.length > 0) records++;
    }
    line(`read every log once after load`, `  ${records} non-empty in ${seconds(start).toFixed(2)} s`);
    m.shutdown();
    m = undefined;
    line("clean shutdown");
  } catch (e) {
    console.log(`  FAILED after ${created} logs (fds +${openFds() - baseFds}): ${(e as Error).message}`);
  } finally {
    try {
      m?.shutdown();
    } catch {
      // Already reported.
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  child(Number(args[1]));
} else {
  const sizes = args.length > 0 ? args.map(Number) : [10_000, 20_000];
  const self = fileURLToPath(import.meta.url);
  console.log(`Many partitions through one LogManager, ${RECORDS_PER_LOG} records of 100 B each; temp dir ${tmpdir()}; fd limit: ${fdLimit()}`);
  for (const n of sizes) {
    console.log(`${n} logs:`);
    spawnSync(process.execPath, [...process.execArgv, self, "--child", String(n)], { stdio: "inherit" });
  }
}

function fdLimit(): string {
  try {
    const row = fs.readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    return row?.split(/\s{2,}/)[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}
