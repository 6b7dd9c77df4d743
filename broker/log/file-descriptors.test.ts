import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FilePool } from "./file-pool.ts";
import { LogManager } from "./log-manager.ts";
import { appendBatch, ManualTime, removeDir } from "./test-support.ts";

const PROC_FD = "/proc/self/fd";
const haveProcFd = fs.existsSync(PROC_FD);
const openDescriptors = (): number => fs.readdirSync(PROC_FD).length;

let root: string;
beforeEach(() => {
  // A tmpfs when there is one: these tests count descriptors, and 3,000 directory fsyncs on a disk are slow.
  root = fs.mkdtempSync(join(fs.existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "samsa-fds-"));
});
afterEach(() => removeDir(root));

describe("FilePool", () => {
  function files(n: number): string[] {
    return Array.from({ length: n }, (_, i) => {
      const path = join(root, `f${i}`);
      fs.writeFileSync(path, `file ${i}`);
      return path;
    });
  }
  const readAll = (fd: number): string => {
    const buf = Buffer.alloc(64);
    return buf.subarray(0, fs.readSync(fd, buf, 0, 64, 0)).toString();
  };

  it("opens on first use and closes the least recently used file when full", () => {
    const pool = new FilePool(2);
    const [a, b, c] = files(3).map((p) => pool.file(p));
    expect(pool.openFiles).toBe(0);
    expect(readAll(a!.fd)).toBe("file 0");
    expect(readAll(b!.fd)).toBe("file 1");
    void a!.fd; // a is now the most recently used
    expect(readAll(c!.fd)).toBe("file 2");
    expect([a!.isOpen, b!.isOpen, c!.isOpen]).toEqual([true, false, true]);
    expect(pool.openFiles).toBe(2);
    // An evicted file reopens transparently.
    expect(readAll(b!.fd)).toBe("file 1");
    expect([a!.isOpen, b!.isOpen, c!.isOpen]).toEqual([false, true, true]);
    expect(pool.evictions).toBe(2);
    pool.closeAll();
    expect(pool.openFiles).toBe(0);
    expect(readAll(a!.fd)).toBe("file 0");
    a!.close();
    expect(() => a!.fd).toThrow(/is closed/);
  });

  it("reopens a renamed file under its new name and never creates a missing one", () => {
    const pool = new FilePool(1);
    const [p0, p1] = files(2);
    const a = pool.file(p0!);
    void a.fd;
    fs.renameSync(p0!, `${p0}.moved`);
    a.movedTo(`${p0}.moved`);
    void pool.file(p1!).fd; // evicts a
    expect(readAll(a.fd)).toBe("file 0");
    const missing = pool.file(join(root, "missing"));
    expect(() => missing.fd).toThrow(/ENOENT/);
    expect(fs.existsSync(join(root, "missing"))).toBe(false);
  });
});

describe.skipIf(!haveProcFd)("descriptors of many logs", () => {
  const PARTITIONS = 3000;
  const POOL = 200;
  const isEmpty = (i: number) => i % 3 === 0;
  const batchesOf = (i: number) => (isEmpty(i) ? 0 : 1 + (i % 3));

  function manager(time: ManualTime): LogManager {
    const m = new LogManager({
      config: { "log.dirs": [join(root, "d")], "log.cleaner.enable": false },
      maxOpenSegmentFiles: POOL,
      clock: time,
      timer: time,
    });
    m.startup();
    return m;
  }

  it(
    `holds at most maxOpenSegmentFiles (${POOL}) descriptors for ${PARTITIONS} partitions, none for an empty one, and keeps serving them all`,
    () => {
      const time = new ManualTime();
      const before = openDescriptors();
      let m = manager(time);
      for (let i = 0; i < PARTITIONS; i++) {
        const log = m.getOrCreateLog(`topic-${i}`, 0);
        for (let b = 0; b < batchesOf(i); b++) appendBatch(log, { count: 2, valueSize: 50 });
      }
      // The bound: the pool's capacity, whatever the partition count (was 3 per partition).
      expect(openDescriptors() - before).toBeLessThanOrEqual(POOL);
      expect(m.filePool.openFiles).toBeLessThanOrEqual(POOL);
      expect(m.filePool.evictions).toBeGreaterThan(0);
      for (let i = 0; i < PARTITIONS; i += 3) expect(m.getLog(`topic-${i}`, 0)!.segmentsSnapshot()[0]!.hasOpenDescriptor).toBe(false);

      // Every log still reads and appends, though most descriptors were evicted (twice over).
      const check = (mgr: LogManager, extra: number) => {
        for (let i = 0; i < PARTITIONS; i++) {
          const log = mgr.getLog(`topic-${i}`, 0)!;
          const records = 2 * batchesOf(i) + extra;
          expect(log.logEndOffset).toBe(records);
          log.updateHighWatermark(log.logEndOffset);
          const read = log.read(0, 1 << 20, log.highWatermark, true).records;
          expect(read.length > 0).toBe(records > 0);
        }
        expect(openDescriptors() - before).toBeLessThanOrEqual(POOL);
      };
      check(m, 0);
      for (let i = 0; i < PARTITIONS; i++) appendBatch(m.getLog(`topic-${i}`, 0)!);
      check(m, 1);

      // Shutdown closes everything; a restart loads them all within the same bound.
      m.shutdown();
      expect(openDescriptors()).toBeLessThanOrEqual(before);
      m = manager(time);
      expect(m.allLogs()).toHaveLength(PARTITIONS);
      expect(openDescriptors() - before).toBeLessThanOrEqual(POOL);
      check(m, 1);
      m.shutdown();
      expect(openDescriptors()).toBeLessThanOrEqual(before);
    },
    120_000,
  );

  it("an empty partition holds no descriptor; one with a few records at most its active .log", () => {
    const time = new ManualTime();
    const m = manager(time);
    const before = openDescriptors();
    const empty = m.getOrCreateLog("empty", 0);
    expect(openDescriptors()).toBe(before);
    const small = m.getOrCreateLog("small", 0);
    for (let b = 0; b < 3; b++) appendBatch(small, { count: 3 });
    small.flush();
    expect(openDescriptors()).toBe(before + 1);
    expect(small.segmentsSnapshot()[0]!.hasOpenDescriptor).toBe(true);
    expect(empty.segmentsSnapshot()[0]!.hasOpenDescriptor).toBe(false);
    m.shutdown();
    expect(openDescriptors()).toBe(before);
  });
});
