import { describe, expect, it } from "vitest";
import { runRaftSimulation } from "./raft-simulation.ts";

/**
 * Hundreds of seeded runs of the quorum under faults (raft-simulation.ts). A failing run
 * prints its seed; `RAFT_SIM_SEED=<n> npx vitest run --project unit <this file>` replays it
 * (RAFT_SIM_SEEDS=<count> runs more or fewer seeds).
 */
const only = process.env["RAFT_SIM_SEED"];
const count = Number(process.env["RAFT_SIM_SEEDS"] ?? 300);
const SEEDS = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => i + 1);

describe("Raft simulation", () => {
  it(`keeps every invariant over ${SEEDS.length} seeds with 1-5 voters and 0-2 observers`, { timeout: 120_000 }, async () => {
    const violations: string[] = [];
    let commits = 0;
    let maxEpoch = 0;
    for (const seed of SEEDS) {
      const r = await runRaftSimulation({ seed, voters: 1 + (seed % 5), observers: seed % 3, faultyMs: 15_000, calmMs: 8_000 });
      violations.push(...r.violations);
      commits += r.committedBatches;
      maxEpoch = Math.max(maxEpoch, r.maxEpoch);
      if (violations.length > 0) break;
    }
    expect(violations).toEqual([]);
    expect(commits).toBeGreaterThan(SEEDS.length * 10);
    expect(maxEpoch).toBeGreaterThan(2);
  });
});
