import * as fs from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendKeyed, readRecords } from "./cleaner-test-support.ts";
import { logConfig } from "./log-config.ts";
import { LogManager, type LogManagerConfig } from "./log-manager.ts";
import { OffsetMap, offsetMapCapacity } from "./offset-map.ts";
import { makeTmpDir, ManualTime, openTestLog, removeDir } from "./test-support.ts";

let root: string;
let time: ManualTime;
let manager: LogManager | undefined;
beforeEach(() => {
  root = makeTmpDir("samsa-cleaner-task-");
  time = new ManualTime(1_000_000_000);
});
afterEach(() => {
  manager?.shutdown();
  manager = undefined;
  removeDir(root);
});

function start(config: Partial<LogManagerConfig> = {}): LogManager {
  manager = new LogManager({
    config: { "log.dirs": [join(root, "d")], "log.cleaner.backoff.ms": 1000, ...config },
    defaultLogConfig: { "segment.bytes": 100_000 },
    clock: time,
    timer: time,
  });
  manager.startup();
  return manager;
}

function writeDuplicates(m: LogManager, topic: string, policy: string): void {
  const log = m.getOrCreateLog(topic, 0, { "cleanup.policy": policy });
  for (let i = 0; i < 30; i++) appendKeyed(log, [{ key: `k${i % 3}`, value: `v${i}` }]);
  log.updateHighWatermark(log.logEndOffset);
  log.roll();
}

/** Runs the timer tasks due now and lets the cleaning they started finish. */
async function tick(ms = 0): Promise<void> {
  time.advance(ms);
  await manager!.cleaner!.whenIdle();
}

describe("LogCleaner in LogManager", () => {
  it("cleans compacted logs on its own, then waits log.cleaner.backoff.ms between idle passes", async () => {
    const m = start();
    writeDuplicates(m, "compacted", "compact");
    writeDuplicates(m, "plain", "delete");
    const compacted = m.getLog("compacted", 0)!;
    const plain = m.getLog("plain", 0)!;

    await tick(); // the first pass runs at startup
    expect(readRecords(compacted).map((r) => r.offset)).toEqual([27, 28, 29]);
    expect(readRecords(plain)).toHaveLength(30);
    expect(fs.readFileSync(join(root, "d", "cleaner-offset-checkpoint"), "utf8")).toBe("0\n1\ncompacted 0 30\n");

    await tick(); // a pass that cleaned is followed at once by another, which finds nothing
    for (let i = 0; i < 30; i++) appendKeyed(compacted, [{ key: `k${i % 3}`, value: `again${i}` }]);
    compacted.updateHighWatermark(compacted.logEndOffset);
    compacted.roll();
    await tick(999);
    expect(readRecords(compacted)).toHaveLength(33);
    await tick(1);
    expect(readRecords(compacted).map((r) => r.offset)).toEqual([57, 58, 59]);
  });

  it("applies both compaction and retention to compact,delete logs", async () => {
    const m = start();
    writeDuplicates(m, "both", "compact,delete");
    const log = m.getLog("both", 0)!;
    await tick();
    expect(readRecords(log)).toHaveLength(3);
    log.updateConfig(logConfig({ "cleanup.policy": "compact,delete", "retention.ms": 1000 }));
    expect(m.cleanupLogs(time.now() + 1_000_000_000)).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(30);
  });

  it("does not start with log.cleaner.enable=false, and drops a deleted log's checkpoint", async () => {
    let m = start({ "log.cleaner.enable": false });
    expect(m.cleaner).toBeUndefined();
    m.shutdown();
    m = start();
    writeDuplicates(m, "gone", "compact");
    writeDuplicates(m, "kept", "compact");
    await tick(); // one log per pass, the next pass right after
    await tick();
    const checkpoint = join(root, "d", "cleaner-offset-checkpoint");
    expect(fs.readFileSync(checkpoint, "utf8")).toBe("0\n2\ngone 0 30\nkept 0 30\n");
    m.deleteLog("gone", 0);
    expect(fs.readFileSync(checkpoint, "utf8")).toBe("0\n1\nkept 0 30\n");
  });
});

describe("OffsetMap", () => {
  it("maps short and long keys to their latest offset", () => {
    const map = new OffsetMap(10);
    const long = Buffer.alloc(100, 1);
    const longToo = Buffer.alloc(100, 1);
    longToo[99] = 2;
    map.put(Buffer.from("a"), 1);
    map.put(long, 2);
    map.put(Buffer.from("a"), 3);
    expect([map.get(Buffer.from("a")), map.get(long), map.get(longToo), map.get(Buffer.from("b"))]).toEqual([3, 2, -1, -1]);
    expect([map.size, map.latestOffset]).toEqual([2, 3]);
    // A 16-byte key never collides with a digest (17 characters).
    map.put(Buffer.alloc(16, 1), 4);
    expect(map.get(long)).toBe(2);
    expect(map.canHold(7)).toBe(true);
    expect(map.canHold(8)).toBe(false);
    map.clear();
    expect([map.size, map.latestOffset]).toEqual([0, -1]);
  });

  it("sizes itself from the dedupe buffer", () => {
    expect(offsetMapCapacity(134217728, 0.9)).toBe(1258291);
  });
});

describe("compaction topic configs", () => {
  it("has Kafka's defaults", () => {
    const c = logConfig();
    expect([c["delete.retention.ms"], c["min.compaction.lag.ms"], c["max.compaction.lag.ms"], c["min.cleanable.dirty.ratio"]]).toEqual([
      86400000,
      0,
      Infinity,
      0.5,
    ]);
  });

  it("rolls a compacted log's active segment by max.compaction.lag.ms, so it gets cleaned in time", () => {
    for (const [policy, segments] of [["compact", 2], ["delete", 1]] as const) {
      const log = openTestLog(join(root, policy), time, { "cleanup.policy": policy, "max.compaction.lag.ms": 1000 });
      appendKeyed(log, [{ key: "a", value: "1" }], { timestamp: 1_000_000 });
      appendKeyed(log, [{ key: "a", value: "2" }], { timestamp: 1_002_000 });
      expect(log.numberOfSegments).toBe(segments);
      log.close();
    }
  });

  it("parses and validates them as Kafka does", () => {
    const c = logConfig({ "min.cleanable.dirty.ratio": "0.25", "max.compaction.lag.ms": "9223372036854775807", "min.compaction.lag.ms": "100" });
    expect([c["min.cleanable.dirty.ratio"], c["max.compaction.lag.ms"], c["min.compaction.lag.ms"]]).toEqual([0.25, Infinity, 100]);
    expect(() => logConfig({ "min.cleanable.dirty.ratio": "1.5" })).toThrow(/no more than 1/);
    expect(() => logConfig({ "min.cleanable.dirty.ratio": "-0.1" })).toThrow(/at least 0/);
    expect(() => logConfig({ "delete.retention.ms": "1.5" })).toThrow(/Invalid value/);
    expect(() => logConfig({ "max.compaction.lag.ms": "0" })).toThrow(/at least 1/);
    expect(() => logConfig({ "min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5" })).toThrow(/conflicts/);
  });
});
