import type { Clock, Timer } from "../../util/clock.ts";

/** mulberry32: a small, fast, seedable generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Task {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * The clock and timer of a simulation: virtual time that jumps from one scheduled task to
 * the next, ties broken by scheduling order, so a run is a pure function of its seed.
 * `step` runs one task; the caller then lets promise chains settle before the next.
 */
export class SimScheduler implements Clock, Timer {
  private heap: Task[] = [];
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

  /** Runs the next task due at or before `until`; false when there is none. */
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

  private push(t: Task): void {
    const h = this.heap;
    h.push(t);
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
