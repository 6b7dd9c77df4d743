import * as fs from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LogManager, type LogManagerOptions } from "./log-manager.ts";
import { appendBatch, makeTmpDir, ManualTime, removeDir } from "./test-support.ts";

let root: string;
let time: ManualTime;
const managers: LogManager[] = [];
beforeEach(() => {
  root = makeTmpDir();
  time = new ManualTime();
});
afterEach(() => {
  for (const m of managers.splice(0)) for (const l of m.allLogs()) l.close();
  removeDir(root);
});

function manager(dirs = [join(root, "d1")], extra: Partial<LogManagerOptions> = {}): LogManager {
  const m = new LogManager({
    config: { "log.dirs": dirs, "log.initial.task.delay.ms": 1000 },
    defaultLogConfig: { "segment.bytes": 2000, "file.delete.delay.ms": 500 },
    clock: time,
    timer: time,
    ...extra,
  });
  m.startup();
  managers.push(m);
  return m;
}

/** Simulates a crash: files are closed but nothing is flushed, checkpointed or marked clean. */
function crash(m: LogManager): void {
  for (const l of m.allLogs()) l.close();
  managers.splice(managers.indexOf(m), 1);
}

function fill(m: LogManager, topic: string, partition: number, batches: number): void {
  const log = m.getOrCreateLog(topic, partition);
  for (let i = 0; i < batches; i++) appendBatch(log, { count: 5, valueSize: 150 });
}

describe("LogManager", () => {
  it("keeps log end, log start and high watermark across a clean restart", () => {
    const dir = join(root, "d1");
    let m = manager();
    fill(m, "orders", 0, 6);
    fill(m, "orders", 1, 1);
    const log = m.getLog("orders", 0)!;
    log.updateHighWatermark(25);
    log.deleteRecordsBefore(12);
    m.shutdown();
    expect(fs.existsSync(join(dir, ".kafka_cleanshutdown"))).toBe(true);
    expect(fs.readFileSync(join(dir, "replication-offset-checkpoint"), "utf8")).toBe("0\n2\norders 0 25\norders 1 0\n");
    expect(fs.readFileSync(join(dir, "recovery-point-offset-checkpoint"), "utf8")).toBe("0\n2\norders 0 30\norders 1 5\n");

    m = manager();
    expect(fs.existsSync(join(dir, ".kafka_cleanshutdown"))).toBe(false);
    const again = m.getLog("orders", 0)!;
    expect([again.logStartOffset, again.logEndOffset, again.highWatermark, again.recoveryPoint]).toEqual([12, 30, 25, 30]);
    expect(m.getLog("orders", 1)!.logEndOffset).toBe(5);
    expect(m.allLogs().length).toBe(2);
  });

  it("checkpoints high watermarks every replica.high.watermark.checkpoint.interval.ms from the start, as Kafka's ReplicaManager does", () => {
    const dir = join(root, "d1");
    const m = manager([dir], { config: { "log.dirs": [dir], "log.initial.task.delay.ms": 30_000, "replica.high.watermark.checkpoint.interval.ms": 200 } });
    fill(m, "t", 0, 2);
    m.getLog("t", 0)!.updateHighWatermark(7);
    time.advance(200);
    expect(fs.readFileSync(join(dir, "replication-offset-checkpoint"), "utf8")).toBe("0\n1\nt 0 7\n");
    m.getLog("t", 0)!.updateHighWatermark(10);
    time.advance(200);
    expect(fs.readFileSync(join(dir, "replication-offset-checkpoint"), "utf8")).toBe("0\n1\nt 0 10\n");
  });

  it("recovers after a crash using the checkpoints written on schedule", () => {
    const dir = join(root, "d1");
    let m = manager();
    fill(m, "t", 0, 4);
    m.getLog("t", 0)!.updateHighWatermark(20);
    m.getLog("t", 0)!.deleteRecordsBefore(3);
    time.advance(60_000); // checkpoints (and the roll flushes) run
    expect(m.getLog("t", 0)!.recoveryPoint).toBe(10);
    fill(m, "t", 0, 1);
    crash(m);
    const tail = join(dir, "t-0", "00000000000000000020.log");
    fs.truncateSync(tail, fs.statSync(tail).size - 10); // the last write was torn

    m = manager();
    const log = m.getLog("t", 0)!;
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.recoveryPoint]).toEqual([3, 20, 20, 10]);
  });

  it("deletes a log by renaming it to topic-N.<uuid>-delete, then removing it", () => {
    const dir = join(root, "d1");
    const m = manager();
    fill(m, "gone", 3, 1);
    expect(m.deleteLog("gone", 3)).toBe(true);
    const left = fs.readdirSync(dir).filter((n) => n.startsWith("gone-3"));
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^gone-3\.[0-9a-f]{32}-delete$/);
    expect(m.getLog("gone", 3)).toBeUndefined();
    time.advance(500);
    return waitFor(() => !fs.existsSync(join(dir, left[0]!)));
  });

  it("removes -delete dirs left by a previous run and does not load them", () => {
    const dir = join(root, "d1");
    fs.mkdirSync(join(dir, "x-0.0123456789abcdef0123456789abcdef-delete"), { recursive: true });
    const m = manager();
    expect(m.allLogs()).toEqual([]);
    time.advance(60_000);
    return waitFor(() => !fs.existsSync(join(dir, "x-0.0123456789abcdef0123456789abcdef-delete")));
  });

  it("runs retention every log.retention.check.interval.ms", () => {
    const m = manager([join(root, "d1")], { defaultLogConfig: { "segment.bytes": 2000, "retention.ms": 10_000 } });
    fill(m, "t", 0, 6);
    const log = m.getLog("t", 0)!;
    log.updateHighWatermark(30);
    time.current = 1_000_000 + 1_000_000; // records carry timestamp 1_000_000
    time.advance(300_000);
    expect(log.logStartOffset).toBe(30);
  });

  it("spreads logs over log dirs and reports their sizes", () => {
    const m = manager([join(root, "a"), join(root, "b")]);
    fill(m, "t", 0, 1);
    fill(m, "t", 1, 2);
    fill(m, "t", 2, 0);
    const dirs = m.describeLogDirs();
    expect(dirs.map((d) => d.partitions.length)).toEqual([2, 1]);
    const sizes = Object.fromEntries(dirs.flatMap((d) => d.partitions.map((p) => [p.partition, p.sizeInBytes])));
    expect(sizes).toEqual({ 0: 856, 1: 1712, 2: 0 });
    expect(dirs[0]!.errorCode).toBe(0);
    expect(dirs[0]!.totalBytes).toBeGreaterThan(0);
  });

  it("applies topic config overrides to logs it loads", () => {
    let m = manager();
    fill(m, "t", 0, 1);
    m.shutdown();
    m = manager([join(root, "d1")], { topicConfig: (topic) => (topic === "t" ? { "retention.ms": "123" } : undefined) });
    expect(m.getLog("t", 0)!.config["retention.ms"]).toBe(123);
    expect(m.getLog("t", 0)!.config["segment.bytes"]).toBe(2000);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
