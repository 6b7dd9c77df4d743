/**
 * Runs the deterministic replication simulation over many seeds and prints what it did:
 * seeds, events, crashes (and power losses), elections, acknowledged records, lost acks=all
 * records (must be 0) and invariant violations, with each failing seed's replay command.
 *
 *   npx tsx bench/replication-simulation.ts [seeds=2000] [firstSeed=1] [durationMs=4000]
 */
import { runReplicationSimulation, type SimulationResult } from "../broker/replication/simulation/replication-simulation.ts";

const seeds = Number(process.argv[2] ?? 2000);
const first = Number(process.argv[3] ?? 1);
const durationMs = Number(process.argv[4] ?? 4000);
const totals = { events: 0, crashes: 0, powerLosses: 0, lostUnflushedOffsets: 0, networkFaults: 0, messagesDropped: 0, elections: 0, produced: 0, ackedAll: 0, ackedOne: 0, lostAckedAll: 0, lostAckedOne: 0, invariantChecks: 0 };
const failures: SimulationResult[] = [];
const started = performance.now();
for (let seed = first; seed < first + seeds; seed++) {
  const r = await runReplicationSimulation(seed, { durationMs });
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
  if (r.violations.length > 0 || r.lostAckedAll > 0) {
    failures.push(r);
    console.log(`seed ${seed} FAILED: ${r.violations[0]}\n  replay: SEED=${seed} npx vitest run --project unit broker/replication/replication.simulation.test.ts`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`seeds run: ${seeds} (from ${first}, ${durationMs} simulated ms of faults each) in ${seconds.toFixed(1)} s`);
for (const [k, v] of Object.entries(totals)) console.log(`${k}: ${v}`);
console.log(`failing seeds: ${failures.length}${failures.length ? ` (${failures.map((f) => f.seed).join(", ")})` : ""}`);
console.log(`invariant violations: ${failures.reduce((n, f) => n + f.violations.length, 0)}`);
process.exitCode = failures.length > 0 ? 1 : 0;
