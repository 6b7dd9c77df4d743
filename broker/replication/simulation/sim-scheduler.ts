import type { Clock, Timer } from "../../util/clock.ts";

interface Task {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * The simulation's one event queue and its clock: every timer of every node (fetch
 * backoffs, purgatory expiries, heartbeats, session checks, network deliveries) is a task
 * here, run in (time, insertion) order. After each task the microtasks it started (the
 * promise chains of fetchers, the controller and produce requests) run to completion before
 * the next task, so a run is a pure function of the seed.
 */
export class SimScheduler implements Clock, Timer {
  private readonly heap: Task[] = [];
  private seq = 0;
  private current: number;

  constructor(startMs = 1_000_000) {
    this.current = startMs;
  }

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

  /** Runs the next task and everything it started; false when the queue is empty. */
  async runNext(): Promise<boolean> {
    this.dropCancelled();
    const task = this.pop();
    if (!task) return false;
    this.current = Math.max(this.current, task.at);
    task.fn();
    await settle();
    return true;
  }

  /** A timer whose tasks die with `kill` (a crashed process's timers never fire). */
  scope(): TimerScope {
    return new TimerScope(this);
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
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

  private pop(): Task | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Task, b: Task): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every promise chain started by a task run out (they never wait on real I/O here). */
function settle(): Promise<void> {
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
