import type { Timer } from "../util/clock.ts";

/**
 * Background tasks of the log layer (retention, checkpoints, flushes, delayed deletes) run
 * on the broker's injected Timer, so a simulation drives them with its own clock.
 */
export type Cancel = () => void;

/** setTimeout overflows beyond 2^31-1 ms; longer waits are chained. */
const MAX_TIMER_MS = 2147483647;

/** Runs `task` once after `delayMs` (never if Infinity); a throw goes to `onError`. */
export function scheduleOnce(timer: Timer, delayMs: number, task: () => void, onError: (e: unknown) => void): Cancel {
  if (!Number.isFinite(delayMs)) return () => {};
  let cancelled = false;
  let cancelTimer: Cancel = () => {};
  const wait = (remaining: number): void => {
    const step = Math.min(Math.max(0, remaining), MAX_TIMER_MS);
    cancelTimer = timer.schedule(step, () => {
      if (cancelled) return;
      if (remaining > step) return wait(remaining - step);
      try {
        task();
      } catch (e) {
        onError(e);
      }
    });
  };
  wait(delayMs);
  return () => {
    cancelled = true;
    cancelTimer();
  };
}

/** Runs `task` after `initialDelayMs`, then every `periodMs`, until cancelled. */
export function schedulePeriodic(
  timer: Timer,
  initialDelayMs: number,
  periodMs: number,
  task: () => void,
  onError: (e: unknown) => void,
): Cancel {
  if (!Number.isFinite(periodMs) || periodMs <= 0) return () => {};
  let cancelled = false;
  let cancelNext: Cancel = () => {};
  const run = (delay: number): void => {
    cancelNext = scheduleOnce(
      timer,
      delay,
      () => {
        if (cancelled) return;
        try {
          task();
        } finally {
          if (!cancelled) run(periodMs);
        }
      },
      onError,
    );
  };
  run(initialDelayMs);
  return () => {
    cancelled = true;
    cancelNext();
  };
}
