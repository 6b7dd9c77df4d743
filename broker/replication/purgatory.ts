import type { Timer } from "../util/clock.ts";

/**
 * An operation that waits for a condition (enough fetchable bytes, replicas catching up)
 * or a deadline, whichever comes first: Kafka's DelayedOperation.
 */
export interface DelayedOperation {
  /** Checks the condition; returns true when the operation completed (it then resolves itself). */
  tryComplete(): boolean;
  /** Called once when the deadline passes first. */
  expire(): void;
}

/**
 * Parks delayed operations under the keys whose changes can complete them (e.g. "topic-0"),
 * as Kafka's DelayedOperationPurgatory does. A key's watchers are re-checked when the key
 * changes; each operation completes or expires exactly once.
 */
export class Purgatory {
  private readonly watchers = new Map<string, Set<Watched>>();

  constructor(private readonly timer: Timer) {}

  /** Completes `op` at once if it can, otherwise watches it until a key change or the timeout. */
  tryCompleteElseWatch(op: DelayedOperation, keys: readonly string[], timeoutMs: number): void {
    if (op.tryComplete()) return;
    const watched: Watched = { op, keys, done: false, cancelTimer: () => {} };
    for (const key of keys) {
      let set = this.watchers.get(key);
      if (!set) this.watchers.set(key, (set = new Set()));
      set.add(watched);
    }
    watched.cancelTimer = this.timer.schedule(timeoutMs, () => {
      if (this.finish(watched)) op.expire();
    });
  }

  /** Re-checks the operations watching `key`, e.g. after an append to that partition. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key);
    if (!set) return;
    for (const watched of [...set]) {
      if (!watched.done && watched.op.tryComplete()) this.finish(watched);
    }
  }

  get size(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  /** Expires everything now (shutdown). */
  expireAll(): void {
    for (const set of [...this.watchers.values()]) {
      for (const watched of [...set]) if (this.finish(watched)) watched.op.expire();
    }
  }

  private finish(watched: Watched): boolean {
    if (watched.done) return false;
    watched.done = true;
    watched.cancelTimer();
    for (const key of watched.keys) {
      const set = this.watchers.get(key);
      set?.delete(watched);
      if (set?.size === 0) this.watchers.delete(key);
    }
    return true;
  }
}

interface Watched {
  op: DelayedOperation;
  keys: readonly string[];
  done: boolean;
  cancelTimer: () => void;
}
