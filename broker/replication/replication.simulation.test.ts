import { describe, expect, it } from "vitest";
import { runReplicationSimulation, type SimulationResult } from "./simulation/replication-simulation.ts";

/**
 * The deterministic replication simulation (issue 9): a real QuorumController, 3 or 5
 * brokers (ReplicaManagers over real logs, replica fetchers, AlterPartition), a producer
 * with acks=all and acks=1, and faults (kill -9, power loss of unflushed tails, cut links,
 * drops, delays, slow brokers) on one seeded scheduler; invariants are checked after every
 * event (see simulation/replication-invariants.ts), and the healed cluster must hold every
 * acks=all acknowledged record.
 *
 * SEED=123 replays one seed and prints its faults and partition changes;
 * SEEDS=1000 FIRST_SEED=1 runs another range (bench/replication-simulation.ts prints totals).
 */

const DURATION_MS = 3000;
const single = process.env.SEED === undefined ? null : Number(process.env.SEED);
const seeds = Number(process.env.SEEDS ?? 200);
const first = Number(process.env.FIRST_SEED ?? 1);

function describeFailure(r: SimulationResult): string {
  return [
    `seed ${r.seed} (${r.brokers} brokers, ${r.partitions} partitions): ${r.violations.length} violation(s), ${r.lostAckedAll} acks=all record(s) lost`,
    ...r.violations.map((v) => `  ${v}`),
    `  replay: SEED=${r.seed} npx vitest run --project unit broker/replication/replication.simulation.test.ts`,
  ].join("\n");
}

describe("replication simulation", () => {
  it(
    single === null ? `keeps every invariant over ${seeds} seeds of faults` : `keeps every invariant for seed ${single}`,
    async () => {
      const failures: string[] = [];
      const totals = { events: 0, crashes: 0, powerLosses: 0, elections: 0, ackedAll: 0, ackedOne: 0, lostAckedOne: 0 };
      const range = single === null ? Array.from({ length: seeds }, (_, i) => first + i) : [single];
      for (const seed of range) {
        const r = await runReplicationSimulation(seed, { durationMs: DURATION_MS, trace: single === null ? undefined : (line) => console.log(line) });
        for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
        if (r.violations.length > 0 || r.lostAckedAll > 0) failures.push(describeFailure(r));
      }
      expect(failures.join("\n\n")).toBe("");
      // The faults happened and the traffic got through: a run that tests nothing fails too.
      expect(totals.ackedAll).toBeGreaterThan(0);
      if (single === null) {
        expect(totals.crashes).toBeGreaterThan(seeds / 2);
        expect(totals.powerLosses).toBeGreaterThan(0);
        expect(totals.elections).toBeGreaterThan(0);
      }
    },
    600_000,
  );
});
