import { seededRandom } from "../../util/seeded-random.ts";

/** The simulation's only source of randomness: one seeded stream, so a seed replays exactly. */
export class SimRandom {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = seededRandom(seed);
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A function for code that takes `() => number` (the controller's placement, UUIDs). */
  get source(): () => number {
    return () => this.next();
  }
}
