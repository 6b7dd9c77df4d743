/** Time and timers, injected so state machines run under a simulated clock in tests. */
export interface Clock {
  now(): number;
}

export interface Timer {
  /** Runs `fn` after `ms`; returns a cancel function. */
  schedule(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock & Timer = {
  now: () => Date.now(),
  schedule(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
