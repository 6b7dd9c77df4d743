/**
 * What replication costs, on one three-node cluster in one run (node 0 the controller and a
 * broker, nodes 1 and 2 broker-only, as `samsa cluster` lays it out):
 *
 * - produce throughput to a topic with replication factor 3 and acks=all (min.insync.replicas
 *   2) against one with replication factor 1 and acks=1, both led by node 1, one partition
 *   each, with kcat (librdkafka, large batches) and `kafka-producer-perf-test`, at each
 *   record size;
 * - end-to-end and ack latency p50/p99 at a fixed rate on a replication-factor-3 topic
 *   (bench/java/FixedRateLatency.java: Kafka's Java producer and consumer, acks=all);
 * - follower catch-up: node 2 stopped (SIGTERM), N MB produced to partitions it follows,
 *   node 2 restarted; the time from its restart until its logs hold as many bytes as the
 *   leader's, and until it is back in every ISR;
 * - for every phase, each broker process's CPU seconds (/proc user+sys) and CPU seconds per
 *   MiB of record values.
 *
 *   npx tsx bench/replication.ts [--records 200000] [--sizes 100,1024] [--tools kcat,perf]
 *       [--latency-rate 1000] [--latency-seconds 10] [--catchup-mb 200] [--only produce,latency,catchup]
 *
 * To profile the brokers (node refuses --cpu-prof in NODE_OPTIONS), see bench/cpu-profile.cjs:
 *   SAMSA_CPU_PROF_DIR=/tmp/prof NODE_OPTIONS="--require $PWD/bench/cpu-profile.cjs" npx tsx bench/replication.ts
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { WireConnection } from "../broker/network/kafka-connection.ts";
import { TestCluster } from "../test/helpers/cluster-nodes.ts";
import { cpuSeconds } from "./proc-stats.ts";
import { kcatPayloadFile } from "./kcat-payload.ts";
import { fixedRateLatency, kcatProduce, type LatencyFigures, producerPerf } from "./load-tools.ts";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "200000" },
    sizes: { type: "string", default: "100,1024" },
    tools: { type: "string", default: "kcat,perf" },
    "latency-rate": { type: "string", default: "1000" },
    "latency-seconds": { type: "string", default: "10" },
    "latency-size": { type: "string", default: "1024" },
    "catchup-mb": { type: "string", default: "200" },
    only: { type: "string", default: "produce,latency,catchup" },
  },
});
const RECORDS = Number(values.records);
const SIZES = values.sizes.split(",").map(Number);
const TOOLS = values.tools.split(",");
const ONLY = new Set(values.only.split(","));
const LAT_RATE = Number(values["latency-rate"]);
const LAT_SECONDS = Number(values["latency-seconds"]);
const LAT_SIZE = Number(values["latency-size"]);
const CATCHUP_MB = Number(values["catchup-mb"]);
const MiB = 1024 * 1024;
const LEADER = 1;
const FOLLOWER = 2;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- phases -------------------------------------------------------------------------------------

interface Row {
  name: string;
  /** records/s, for throughput rows. */
  rate?: number;
  size?: number;
  /** MiB of record values the phase moved (for CPU per MiB). */
  mib?: number;
  /** Catch-up: MiB/s, seconds to equal bytes, seconds to full ISR. */
  catchup?: { mibPerSec: number; bytesSecs: number; isrSecs: number };
  latency?: LatencyFigures;
  note?: string;
  error?: string;
  /** CPU seconds per node, by node id. */
  cpu: number[];
}
const rows: Row[] = [];

function cpuOf(cluster: TestCluster): number[] {
  return cluster.nodes.map((n) => (n.alive ? cpuSeconds([n.pid]) : 0));
}

/** Runs fn, charging each node the CPU seconds it used meanwhile (a node restarted during fn counts from its restart). */
async function phase(cluster: TestCluster, name: string, fn: () => Promise<Omit<Row, "name" | "cpu">>): Promise<Row> {
  const pids0 = cluster.nodes.map((n) => (n.alive ? n.pid : -1));
  const cpu0 = cpuOf(cluster);
  let r: Omit<Row, "name" | "cpu">;
  try {
    r = await fn();
  } catch (e) {
    r = { error: (e instanceof Error ? e.message : String(e)).split("\n").slice(0, 3).join(" | ").slice(0, 300) };
  }
  const cpu1 = cpuOf(cluster);
  const cpu = cluster.nodes.map((n, i) => cpu1[i]! - (n.alive && n.pid === pids0[i] ? cpu0[i]! : 0));
  const row = { name, cpu, ...r };
  rows.push(row);
  console.log(`  ${name}: ${describe(row)}; CPU s ${cpu.map((c) => c.toFixed(1)).join(" / ")}${row.note ? `; ${row.note}` : ""}`);
  return row;
}

function describe(r: Row): string {
  if (r.error) return `ERROR ${r.error}`;
  if (r.catchup) return `${r.catchup.mibPerSec.toFixed(1)} MiB/s (${r.mib!.toFixed(0)} MiB in ${r.catchup.bytesSecs.toFixed(1)} s; back in every ISR after ${r.catchup.isrSecs.toFixed(1)} s)`;
  if (r.latency) return `e2e p50 ${r.latency.e2e50.toFixed(1)} p99 ${r.latency.e2e99.toFixed(1)} ms, ack p50 ${r.latency.ack50.toFixed(1)} p99 ${r.latency.ack99.toFixed(1)} ms`;
  if (r.rate !== undefined) return `${Math.round(r.rate).toLocaleString("en-US")} rec/s ${((r.rate * r.size!) / MiB).toFixed(1)} MiB/s`;
  return "";
}

// ---- topics -------------------------------------------------------------------------------------

/** Creates a topic whose partitions have exactly these replicas (the first leads) and waits until every ISR is full. */
async function createTopic(cluster: TestCluster, name: string, assignments: number[][]): Promise<void> {
  const wire = await WireConnection.open(cluster.node(0).bootstrap, { timeoutMs: 60_000 });
  try {
    const rf = assignments[0]!.length;
    const r = await wire.request(ApiKey.CreateTopics, wire.version(ApiKey.CreateTopics, 0, 7), {
      timeoutMs: 60_000,
      validateOnly: false,
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: rf > 1 ? [{ name: "min.insync.replicas", value: "2" }] : [] }],
    });
    const t = r.topics[0]!;
    if (t.errorCode !== 0) throw new Error(`CreateTopics ${name} refused: error ${t.errorCode} ${t.errorMessage ?? ""}`);
  } finally {
    wire.close();
  }
  await waitFullIsr(cluster, name, 60_000);
}

async function isrs(cluster: TestCluster, topic: string): Promise<{ leader: number; isr: number[]; replicas: number[] }[]> {
  const wire = await WireConnection.open(cluster.node(0).bootstrap, { timeoutMs: 10_000 });
  try {
    const md = await wire.request(ApiKey.Metadata, wire.version(ApiKey.Metadata, 1, 12), { topics: [{ name: topic, topicId: "AAAAAAAAAAAAAAAAAAAAAA" }], allowAutoTopicCreation: false });
    return (md.topics[0]?.partitions ?? []).map((p) => ({ leader: p.leaderId, isr: p.isrNodes, replicas: p.replicaNodes }));
  } finally {
    wire.close();
  }
}

async function waitFullIsr(cluster: TestCluster, topic: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ps = await isrs(cluster, topic);
    if (ps.length > 0 && ps.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)) return;
    if (Date.now() > deadline) throw new Error(`${topic}: ISRs not full after ${timeoutMs / 1000} s: ${JSON.stringify(ps)}`);
    await sleep(100);
  }
}

/** Bytes in a node's segment files of a topic's partitions. */
function logBytes(cluster: TestCluster, node: number, topic: string, partitions: number): number {
  let n = 0;
  for (let p = 0; p < partitions; p++) {
    const dir = join(cluster.node(node).dataDir, "logs", `${topic}-${p}`);
    try {
      for (const f of readdirSync(dir)) if (f.endsWith(".log")) n += statSync(join(dir, f)).size;
    } catch {
      // not created yet
    }
  }
  return n;
}

// ---- the run ------------------------------------------------------------------------------------

async function producePhases(cluster: TestCluster, dir: string): Promise<void> {
  for (const size of SIZES) {
    const file = kcatPayloadFile(dir, size, RECORDS);
    const mib = (RECORDS * size) / MiB;
    for (const tool of TOOLS) {
      for (const rf of [1, 3] as const) {
        const topic = `${tool}-rf${rf}-${size}`;
        await createTopic(cluster, topic, [rf === 1 ? [LEADER] : [LEADER, FOLLOWER, 0]]);
        const acks = rf === 1 ? "1" : "all";
        const name = `produce ${size} B ${tool} RF ${rf} acks=${acks}`;
        await phase(cluster, name, async () => {
          const r = tool === "kcat" ? await kcatProduce(cluster.bootstrap, topic, file, RECORDS, ["-X", `acks=${acks === "all" ? -1 : 1}`]) : await producerPerf(cluster.bootstrap, topic, RECORDS, size, acks);
          return { ...r, size, mib };
        });
      }
    }
    rmSync(file, { force: true });
  }
}

async function latencyPhase(cluster: TestCluster): Promise<void> {
  await createTopic(cluster, "latency-rf3", [[LEADER, FOLLOWER, 0]]);
  await phase(cluster, `latency RF 3 acks=all, ${LAT_RATE}/s × ${LAT_SIZE} B for ${LAT_SECONDS} s`, async () => {
    const r = await fixedRateLatency(cluster.bootstrap, "latency-rf3", { rate: LAT_RATE, seconds: LAT_SECONDS, size: LAT_SIZE, warmupSeconds: LAT_SECONDS > 2 ? 1 : 0 });
    return { ...r, note: r.latency.note, mib: (LAT_RATE * LAT_SECONDS * LAT_SIZE) / MiB };
  });
}

async function catchupPhase(cluster: TestCluster, dir: string): Promise<void> {
  const topic = "catchup";
  const partitions = 3;
  await createTopic(cluster, topic, Array.from({ length: partitions }, () => [LEADER, FOLLOWER, 0]));
  const size = 1024;
  const records = Math.round((CATCHUP_MB * MiB) / size);
  const file = kcatPayloadFile(dir, size, records);
  const follower = cluster.node(FOLLOWER);
  await follower.stop("SIGTERM");
  // acks=all still succeeds on nodes 0 and 1 (min ISR 2) once node 2 has left the ISR.
  await kcatProduce(cluster.bootstrap, topic, file, records, ["-X", "acks=-1"]);
  rmSync(file, { force: true });
  const target = logBytes(cluster, LEADER, topic, partitions);
  const before = logBytes(cluster, FOLLOWER, topic, partitions);
  await phase(cluster, `follower catch-up ${CATCHUP_MB} MiB of 1 KiB records over ${partitions} partitions`, async () => {
    await follower.launch();
    const t0 = performance.now();
    let bytesSecs = 0;
    for (;;) {
      if (logBytes(cluster, FOLLOWER, topic, partitions) >= target) {
        bytesSecs = (performance.now() - t0) / 1000;
        break;
      }
      if (performance.now() - t0 > 600_000) throw new Error("the follower did not catch up within 600 s");
      await sleep(50);
    }
    await waitFullIsr(cluster, topic, 120_000);
    const isrSecs = (performance.now() - t0) / 1000;
    const mib = (target - before) / MiB;
    return { mib, catchup: { mibPerSec: mib / bytesSecs, bytesSecs, isrSecs }, note: `log bytes copied ${(target - before).toLocaleString("en-US")}, counted from the restarted process listening` };
  });
}

function printTable(): void {
  const rf1 = new Map(rows.filter((r) => r.name.includes("RF 1")).map((r) => [r.name.replace(/RF 1 acks=1/, ""), r]));
  const header = ["", "result", "RF3/RF1", "CPU s node 0 / 1 / 2", "CPU s per MiB node 0 / 1 / 2 (sum)"];
  const lines: string[][] = [header];
  for (const r of rows) {
    const base = r.name.includes("RF 3") ? rf1.get(r.name.replace(/RF 3 acks=all/, "")) : undefined;
    const ratio = base?.rate && r.rate && !r.error && !base.error ? (r.rate / base.rate).toFixed(2) : "";
    const perMib = r.mib && !r.error ? `${r.cpu.map((c) => (c / r.mib!).toFixed(3)).join(" / ")} (${(r.cpu.reduce((a, b) => a + b, 0) / r.mib).toFixed(3)})` : "";
    lines.push([r.name, r.error ? "error (see above)" : describe(r), ratio, r.cpu.map((c) => c.toFixed(1)).join(" / "), perMib]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log("");
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => (j === 0 || j === 1 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  console.log(`replication bench: ${RECORDS} records per produce run, sizes ${SIZES.join(", ")} B, tools ${TOOLS.join(", ")}; topics led by node ${LEADER}, RF 3 replicas [${LEADER}, ${FOLLOWER}, 0], min.insync.replicas 2`);
  const cluster = await TestCluster.start(3, { "num.partitions": "1", "group.initial.rebalance.delay.ms": "0" });
  console.log(`cluster up in ${((performance.now() - t0) / 1000).toFixed(1)} s; broker pids ${cluster.nodes.map((n) => n.pid).join(", ")}${process.env.NODE_OPTIONS ? `; NODE_OPTIONS=${process.env.NODE_OPTIONS}` : ""}`);
  const dir = mkdtempSync(join(tmpdir(), "samsa-bench-replication-"));
  process.on("SIGINT", () => void cluster.destroy().then(() => process.exit(130)));
  try {
    // Unmeasured warm-up: V8's JIT and the page cache, on the replicated path.
    await createTopic(cluster, "warmup", [[LEADER, FOLLOWER, 0]]);
    const warm = kcatPayloadFile(dir, 1024, 50_000);
    await kcatProduce(cluster.bootstrap, "warmup", warm, 50_000, ["-X", "acks=-1"]);
    if (ONLY.has("produce")) await producePhases(cluster, dir);
    if (ONLY.has("latency")) await latencyPhase(cluster);
    if (ONLY.has("catchup")) await catchupPhase(cluster, dir);
  } finally {
    // A clean stop, so bench/cpu-profile.cjs writes its profiles.
    await Promise.all(cluster.nodes.slice(1).map((n) => n.stop("SIGTERM")));
    await cluster.node(0).stop("SIGTERM");
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable();
  console.log(`
Throughput: records/s and MiB/s (2^20 bytes) of record values; kcat is the wall time of the whole command, perf is
kafka-producer-perf-test's own rate (batch.size 256 KiB, linger.ms 10, no idempotence). RF3/RF1: the RF 3 acks=all rate
over the RF 1 acks=1 rate of the same tool and size (three replicas on two cores cost about three times the CPU of one,
so about 0.33 is the limit here). CPU s: each broker process's user+sys seconds over the phase (tool start-up included);
per MiB: over the MiB of record values produced (catch-up: copied). Latency: FixedRateLatency (Java producer and consumer
in one JVM), end-to-end = send() to the consumer's poll returning the record, ack = send() to the producer's callback.
total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
