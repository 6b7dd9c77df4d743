import { describe, expect, it } from "vitest";
import { runRaftSimulation } from "./raft-simulation.ts";

/**
 * Hundreds of seeded runs of the quorum under faults (raft-simulation.ts). A failing run
 * prints its seed; `RAFT_SIM_SEED=<n> npx vitest run --project unit <this file>` replays it
 * (RAFT_SIM_SEEDS=<count> runs more or fewer seeds).
 */
const only = process.env["RAFT_SIM_SEED"];
const count = Number(process.env["RAFT_SIM_SEEDS"] ?? 200);
const SEEDS = only !== undefined ? [Number(only)] : Array.from({ length: count }, (_, i) => i + 1);

describe("Raft simulation", () => {
  it(`keeps every invariant over ${SEEDS.length} seeds with 1-5 voters and 0-2 observers`, { timeout: 120_000 }, async () => {
    const violations: string[] = [];
    let commits = 0;
    let maxEpoch = 0;
    for (const seed of SEEDS) {
      const r = await runRaftSimulation({ seed, voters: 1 + (seed % 5), observers: seed % 3, faultyMs: 12_000, calmMs: 7_000 });
      violations.push(...r.violations);
      commits += r.committedBatches;
      maxEpoch = Math.max(maxEpoch, r.maxEpoch);
      if (violations.length > 0) break;
    }
    expect(violations).toEqual([]);
    expect(commits).toBeGreaterThan(SEEDS.length * 10);
    expect(maxEpoch).toBeGreaterThan(2);
  });

  it("catches a voter that comes back with an empty disk, which Raft does not allow (the checks can fail)", { timeout: 60_000 }, async () => {
    const SAFETY = /fewer than a majority|different entry|not committed|two leaders/;
    const caught: string[] = [];
    for (let seed = 1; seed <= 20 && caught.length === 0; seed++) {
      const r = await runRaftSimulation({ seed, voters: 3, observers: 0, faultyMs: 12_000, calmMs: 3_000, unsafeVoterDiskLoss: true });
      caught.push(...r.violations.filter((v) => SAFETY.test(v)));
    }
    expect(caught[0]).toMatch(SAFETY);
  });
});
