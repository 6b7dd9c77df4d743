import type { Clock, Timer } from "../util/clock.ts";

interface Task {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * The clock and timer of a deterministic simulation: one event queue whose virtual time jumps
 * from task to task, ties broken by scheduling order. Every timer of every simulated node is a
 * task here; after each task the promise chains it started run out (they never wait on real
 * I/O in a simulation) before the next, so a run is a pure function of its seed. Used by the
 * Raft and the replication simulations.
 */
export class SimScheduler implements Clock, Timer {
  private readonly heap: Task[] = [];
  private seq = 0;

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  schedule(ms: number, fn: () => void): () => void {
    const task: Task = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  /** Runs the next task due at or before `until` (time moves to it, or to `until`); false when there is none. */
  step(until: number): boolean {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > until) {
        this.current = Math.max(this.current, Math.min(until, top?.at ?? until));
        return false;
      }
      this.pop();
      if (top.cancelled) continue;
      this.current = top.at;
      top.fn();
      return true;
    }
  }

  /** Runs the next task, whenever it is due, and everything it started; false when the queue is empty. */
  async runNext(): Promise<boolean> {
    while (this.heap[0]?.cancelled) this.pop();
    const next = this.heap[0];
    if (!next) return false;
    this.step(next.at);
    await settle();
    return true;
  }

  /** A timer whose tasks die with `kill` (a crashed process's timers never fire). */
  scope(): TimerScope {
    return new TimerScope(this);
  }

  private push(task: Task): void {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every promise chain started by a task run out. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One process incarnation's clock and timer: killing it cancels its pending tasks and refuses new ones. */
export class TimerScope implements Clock, Timer {
  private readonly cancels = new Set<() => void>();
  private dead = false;

  constructor(private readonly scheduler: SimScheduler) {}

  get alive(): boolean {
    return !this.dead;
  }

  now(): number {
    return this.scheduler.now();
  }

  schedule(ms: number, fn: () => void): () => void {
    if (this.dead) return () => {};
    let cancel: () => void = () => {};
    const run = () => {
      this.cancels.delete(cancel);
      if (!this.dead) fn();
    };
    const inner = this.scheduler.schedule(ms, run);
    cancel = () => {
      inner();
      this.cancels.delete(cancel);
    };
    this.cancels.add(cancel);
    return cancel;
  }

  kill(): void {
    this.dead = true;
    for (const cancel of [...this.cancels]) cancel();
  }
}
