import type { Timer } from "../util/clock.ts";

/** Kafka's delay before the next run when one run did not do all there was to do. */
const AGAIN_MS = 10;

/**
 * A periodic controller command that runs only while there is work for it (Kafka's deferred
 * "maybeBalancePartitionLeaders" and "electUncleanLeaders" events): once scheduled it runs
 * `intervalMs` later; a run that stopped at its cap (`more`) runs again at once, otherwise
 * the next is scheduled when `maybeSchedule` finds work again. At most one is pending or
 * running at a time.
 */
export class DeferredControllerTask {
  /** Set from scheduling until the run has finished. */
  private cancel: (() => void) | null = null;

  constructor(
    private readonly clock: Timer,
    private readonly intervalMs: number,
    private readonly run: () => Promise<{ more: boolean }>,
    /** Whether there is work now (checked after each run); false while not the active controller. */
    private readonly needed: () => boolean,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Schedules the next run unless one is pending or `hasWork` (default: `needed`) says there is nothing to do. */
  maybeSchedule(hasWork: () => boolean = this.needed): void {
    if (this.cancel || !hasWork()) return;
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }

  private schedule(delayMs: number): void {
    this.cancel = this.clock.schedule(delayMs, () => {
      this.run().then(
        ({ more }) => this.finished(more),
        (e: unknown) => {
          this.onError(e);
          this.finished(false);
        },
      );
    });
  }

  private finished(more: boolean): void {
    this.cancel = null;
    if (more && this.needed()) this.schedule(AGAIN_MS);
    else this.maybeSchedule();
  }
}
