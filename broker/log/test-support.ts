import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock, Timer } from "../util/clock.ts";
import { logConfig, type LogConfig } from "./log-config.ts";
import { Log, type LogOptions } from "./log.ts";
import { appendInfo, makeBatch, type TestBatchOptions } from "./test-batches.ts";

/** Test utility: a simulated clock and timer; `advance` runs due tasks in time order. */
export class ManualTime implements Clock, Timer {
  private tasks: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];
  private seq = 0;
  constructor(public current = 1_000_000) {}

  now(): number {
    return this.current;
  }

  schedule(ms: number, fn: () => void): () => void {
    const task = { at: this.current + ms, seq: this.seq++, fn, cancelled: false };
    this.tasks.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  advance(ms = 0): void {
    const until = this.current + ms;
    for (;;) {
      const due = this.tasks.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = until;
    this.tasks = this.tasks.filter((t) => !t.cancelled);
  }

  get pendingTasks(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }
}

export function makeTmpDir(prefix = "samsa-log-"): string {
  return fs.mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function openTestLog(dir: string, time: ManualTime, config: Partial<Record<keyof LogConfig, number | string>> = {}, extra: Partial<LogOptions> = {}): Log {
  return Log.open({
    dir,
    topic: "t",
    partition: 0,
    config: logConfig(config),
    clock: time,
    timer: time,
    ...extra,
  });
}

/** Appends one batch at the log end; returns it. */
export function appendBatch(log: Log, o: Omit<TestBatchOptions, "baseOffset"> & { baseOffset?: number } = {}): Buffer {
  const batch = makeBatch({ baseOffset: log.logEndOffset, ...o });
  log.append(batch, appendInfo(batch));
  return batch;
}
