/**
 * Samsa next to Apache Kafka (the reference, scripts/apache-kafka.sh) on this machine, in the
 * same run, one system at a time (never both at once: two cores). The same load goes to each:
 *
 * - produce throughput at each record size with Kafka's `kafka-producer-perf-test`
 *   (--throughput -1, acks=1 and acks=all, batch.size 256 KiB, linger.ms 10, no idempotence, no
 *   compression) and with kcat (librdkafka, large batches, its default acks=all);
 * - consume throughput of those records with `kafka-consumer-perf-test` (its fetch rate, which
 *   leaves out the group join) and with kcat (-o beginning -e);
 * - end-to-end and ack latency at a fixed rate (bench/java/FixedRateLatency.java, compiled
 *   against Kafka's client jars: the Java producer and consumer in one JVM, acks=all);
 * - after an unmeasured warm-up (50,000 records of 1 KiB produced and read back: JIT, page
 *   cache), the brokers' CPU while idle for 5 s;
 * - for every phase, the CPU time (user+sys from /proc/<pid>/stat before and after) and peak RSS
 *   (VmHWM, reset through /proc/<pid>/clear_refs before each phase) of the broker processes:
 *   the `samsa broker` node, or the java processes under scripts/apache-kafka.sh (summed over
 *   the nodes of a 3-node cluster).
 *
 * Replication factor 1 runs on one node of each; replication factor 3 (min.insync.replicas 2
 * on both) on a 3-node cluster of each.
 * Prints figures and the ratio Samsa/Kafka; asserts nothing. Topics have one partition.
 *
 *   npx tsx bench/vs-apache-kafka.ts [--records 200000] [--sizes 100,1024] [--only samsa|kafka]
 *       [--skip-rf3] [--latency-rate 1000] [--latency-seconds 10] [--latency-size 1024]
 *
 * At the defaults a full run took 13 minutes on two shared, busy cores (load average 10-30);
 * --skip-rf3 or --only halves it. Kafka's heap is scripts/apache-kafka.sh's (KAFKA_HEAP_OPTS sets it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { WireConnection } from "../broker/network/kafka-connection.ts";
import { kafkaErrorName } from "../server/kafka/errors.ts";
import { BrokerNode } from "../test/helpers/broker-node.ts";
import { clusterPorts } from "../test/helpers/ports.ts";
import { run } from "../test/helpers/run.ts";
import { ApacheKafka } from "../test/helpers/apache-kafka.ts";
import { cpuSeconds, descendants, peakRssMb, resetPeakRss } from "./proc-stats.ts";
import { kcatPayloadFile } from "./kcat-payload.ts";
import { fixedRateLatency, kafkaTool, kcatConsume, kcatProduce, PERF_PRODUCER_PROPS, producerPerf, sh, timed } from "./load-tools.ts";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "200000" },
    sizes: { type: "string", default: "100,1024" },
    only: { type: "string" },
    "skip-rf3": { type: "boolean", default: false },
    "latency-rate": { type: "string", default: "1000" },
    "latency-seconds": { type: "string", default: "10" },
    "latency-size": { type: "string", default: "1024" },
  },
});
const RECORDS = Number(values.records);
const SIZES = values.sizes.split(",").map(Number);
const ONLY = values.only;
if (ONLY !== undefined && ONLY !== "samsa" && ONLY !== "kafka") throw new Error("--only takes samsa or kafka");
const LAT_RATE = Number(values["latency-rate"]);
const LAT_SECONDS = Number(values["latency-seconds"]);
const LAT_SIZE = Number(values["latency-size"]);
/** Records sent in the first second of the latency run are left out (JIT, connections). */
const LAT_WARMUP_S = LAT_SECONDS > 2 ? 1 : 0;

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SAMSA_BIN = join(ROOT, "bin", "samsa.js");
const MiB = 1024 * 1024;
const IDLE_S = 5;

type SystemName = "samsa" | "kafka";

// ---- the broker processes ---------------------------------------------------------------------

interface Target {
  system: SystemName;
  rf: 1 | 3;
  nodes: number;
  bootstrap: string;
  /** The broker processes (JVMs, node processes, and the scripts or launcher above them). */
  pids: number[];
  startMs: number;
  stop(): Promise<void>;
}

async function startSamsa(nodes: number): Promise<Target> {
  const overrides = { "num.partitions": "1", "group.initial.rebalance.delay.ms": "0" };
  const t0 = performance.now();
  if (nodes === 1) {
    const node = await BrokerNode.start(overrides);
    return { system: "samsa", rf: 1, nodes, bootstrap: node.bootstrap, pids: [node.pid], startMs: performance.now() - t0, stop: () => node.destroy() };
  }
  // `samsa cluster`, as an operator runs it: node 0 the controller, the others broker-only.
  const ports = await clusterPorts(nodes);
  const dir = mkdtempSync(join(tmpdir(), "samsa-vs-kafka-"));
  const args = [SAMSA_BIN, "cluster", "--nodes", String(nodes), "--ports", ports.join(","), "--advertised-host", "127.0.0.1", "--data-dir", dir];
  for (const [k, v] of Object.entries(overrides)) args.push("--override", `${k}=${v}`);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`samsa cluster did not start within 120 s:\n${output.slice(-3000)}`)), 120_000);
    child.stdout!.on("data", (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
      if (output.includes("cluster started")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`samsa cluster exited with ${code ?? signal}:\n${output.slice(-3000)}`));
    });
  }).catch((e: unknown) => {
    killGroup(child);
    throw e;
  });
  return {
    system: "samsa",
    rf: 3,
    nodes,
    bootstrap: ports.map((p) => `127.0.0.1:${p}`).join(","),
    pids: [child.pid!, ...descendants(child.pid!)],
    startMs: performance.now() - t0,
    stop: async () => {
      await stopGroup(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startKafka(nodes: number): Promise<Target> {
  const t0 = performance.now();
  const kafka = await ApacheKafka.start({ nodes });
  // The script and its JVMs.
  const pids = [kafka.pid, ...descendants(kafka.pid)];
  return { system: "kafka", rf: nodes === 1 ? 1 : 3, nodes, bootstrap: kafka.bootstrap, pids, startMs: performance.now() - t0, stop: () => kafka.destroy() };
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // gone
  }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  process.kill(-child.pid!, "SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 30_000))]);
  if (timedOut) killGroup(child);
}

// ---- measuring ----------------------------------------------------------------------------------

interface Measured {
  /** records/s (for throughput phases). */
  rate?: number;
  /** Latency figures, ms. */
  latency?: { e2e50: number; e2e99: number; ack50: number; ack99: number; note: string };
  /** A note to print under the table (e.g. the perf tool's own latency figures). */
  note?: string;
  error?: string;
  cpu: number;
  rssMb: number;
  /** Whether rssMb is the peak of this phase (false: since the process started). */
  rssPhase: boolean;
}

async function phase(t: Target, fn: () => Promise<Omit<Measured, "cpu" | "rssMb" | "rssPhase">>): Promise<Measured> {
  const rssPhase = resetPeakRss(t.pids);
  const cpu0 = cpuSeconds(t.pids);
  let r: Omit<Measured, "cpu" | "rssMb" | "rssPhase">;
  try {
    r = await fn();
  } catch (e) {
    r = { error: (e instanceof Error ? e.message : String(e)).split("\n").slice(0, 3).join(" | ").slice(0, 300) };
  }
  return { ...r, cpu: cpuSeconds(t.pids) - cpu0, rssMb: peakRssMb(t.pids), rssPhase };
}

async function kcatProduceAll(t: Target, topic: string, file: string) {
  return kcatProduce(t.bootstrap, topic, file, RECORDS);
}

function latency(t: Target, topic: string) {
  return fixedRateLatency(t.bootstrap, topic, { rate: LAT_RATE, seconds: LAT_SECONDS, size: LAT_SIZE, warmupSeconds: LAT_WARMUP_S });
}

async function consumerPerf(t: Target, topic: string) {
  const r = await kafkaTool("kafka-consumer-perf-test", ["--bootstrap-server", t.bootstrap, "--topic", topic, "--messages", String(RECORDS), "--timeout", "60000", "--group", `perf-${topic}-${Date.now()}`]);
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = r.stdout.trim().split("\n").filter((l) => /^\d{4}-/.test(l)).at(-1);
  const cols = line?.split(",").map((s) => s.trim());
  if (!cols || cols.length < 10) throw new Error(`unexpected kafka-consumer-perf-test output: ${r.stdout.slice(-300)}`);
  const n = Number(cols[4]);
  if (n < RECORDS) throw new Error(`consumed ${n} of ${RECORDS}`);
  return { rate: Number(cols[9]), note: `group join ${cols[6]} ms (left out), fetching ${cols[7]} ms` };
}

// ---- topics -------------------------------------------------------------------------------------

/** Creates the topics (one partition, `rf` replicas, min ISR 2 when replicated); returns the refusal instead if any is refused. */
async function createTopics(t: Target, names: string[], rf: number): Promise<string | null> {
  const wire = await WireConnection.open(t.bootstrap.split(",")[0]!, { timeoutMs: 60_000 });
  try {
    const r = await wire.request(ApiKey.CreateTopics, wire.version(ApiKey.CreateTopics, 0, 7), {
      timeoutMs: 60_000,
      validateOnly: false,
      topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: rf, assignments: [], configs: rf > 1 ? [{ name: "min.insync.replicas", value: "2" }] : [] })),
    });
    const bad = r.topics.find((x) => x.errorCode !== 0);
    if (bad) return `CreateTopics ${bad.name} (replication factor ${rf}) refused: ${kafkaErrorName(bad.errorCode)}${bad.errorMessage ? ` "${bad.errorMessage}"` : ""}`;
    // Ready when every partition has a leader and all its replicas in sync.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const md = await wire.request(ApiKey.Metadata, wire.version(ApiKey.Metadata, 1, 12), {
        topics: names.map((name) => ({ name, topicId: "AAAAAAAAAAAAAAAAAAAAAA" })),
        allowAutoTopicCreation: false,
      });
      const ready = md.topics.every((x) => x.errorCode === 0 && x.partitions.length > 0 && x.partitions.every((p) => p.leaderId >= 0 && p.isrNodes.length >= rf));
      if (ready) return null;
      if (Date.now() > deadline) throw new Error(`topics not ready with ${rf} in-sync replicas after 60 s`);
      await new Promise((res) => setTimeout(res, 200));
    }
  } finally {
    wire.close();
  }
}

// ---- the run ------------------------------------------------------------------------------------

/** results[row][system] */
const results = new Map<string, Map<SystemName, Measured>>();
const rowOrder: string[] = [];
const notes: string[] = [];
const refusals = new Map<string, string>();

function record(row: string, system: SystemName, m: Measured): void {
  if (!results.has(row)) {
    results.set(row, new Map());
    rowOrder.push(row);
  }
  results.get(row)!.set(system, m);
  const detail = m.error ? `ERROR ${m.error}` : m.rate !== undefined ? `${Math.round(m.rate)} rec/s` : m.latency ? `e2e p50 ${m.latency.e2e50.toFixed(1)} ms p99 ${m.latency.e2e99.toFixed(1)} ms` : "";
  console.log(`  ${system} ${row}: ${detail}; broker CPU ${m.cpu.toFixed(1)} s, peak RSS ${m.rssMb.toFixed(0)} MB${m.rssPhase ? "" : " (since start)"}${m.note ? `; ${m.note}` : ""}${m.latency ? `; ${m.latency.note}` : ""}`);
}

async function runLoad(t: Target, dir: string): Promise<void> {
  const rf = t.rf;
  const topics = SIZES.flatMap((s) => [`perf-acks1-${s}`, `perf-acksall-${s}`, `kcat-${s}`]).concat(["latency", "warmup"]);
  const refused = await createTopics(t, topics, rf);
  if (refused) {
    console.log(`  ${t.system} RF ${rf}: ${refused}`);
    refusals.set(`${t.system}/${rf}`, refused);
    return;
  }
  const rfTag = `RF${rf}`;
  // Unmeasured warm-up (the JVM's and V8's JIT, page cache, connections), then the idle cost.
  const warm = Math.min(RECORDS, 50_000);
  await kafkaTool("kafka-producer-perf-test", ["--topic", "warmup", "--num-records", String(warm), "--record-size", "1024", "--throughput", "-1", "--producer-props", `bootstrap.servers=${t.bootstrap}`, "acks=all", ...PERF_PRODUCER_PROPS]);
  await timed(`kcat -C -b ${sh(t.bootstrap)} -t warmup -o beginning -e -q -c ${warm} > /dev/null`);
  record(`${rfTag} idle ${IDLE_S} s`, t.system, await phase(t, async () => (await new Promise((r) => setTimeout(r, IDLE_S * 1000)), {})));
  for (const size of SIZES) {
    const file = kcatPayloadFile(dir, size, RECORDS);
    record(`${rfTag} produce ${size} B perf-test acks=1`, t.system, await phase(t, () => producerPerf(t.bootstrap, `perf-acks1-${size}`, RECORDS, size, "1")));
    record(`${rfTag} produce ${size} B perf-test acks=all`, t.system, await phase(t, () => producerPerf(t.bootstrap, `perf-acksall-${size}`, RECORDS, size, "all")));
    record(`${rfTag} produce ${size} B kcat (acks=all)`, t.system, await phase(t, () => kcatProduceAll(t, `kcat-${size}`, file)));
    record(`${rfTag} consume ${size} B perf-test`, t.system, await phase(t, () => consumerPerf(t, `perf-acks1-${size}`)));
    record(`${rfTag} consume ${size} B kcat`, t.system, await phase(t, () => kcatConsume(t.bootstrap, `kcat-${size}`, RECORDS)));
    rmSync(file, { force: true });
  }
  record(`${rfTag} latency ${LAT_RATE}/s × ${LAT_SIZE} B, ${LAT_SECONDS} s, acks=all`, t.system, await phase(t, () => latency(t, "latency")));
}

async function runTarget(system: SystemName, nodes: number): Promise<void> {
  const label = `${system === "samsa" ? "Samsa" : "Apache Kafka"} ${nodes === 1 ? "one node" : `${nodes}-node cluster`}`;
  console.log(`\n${label}:`);
  const dir = mkdtempSync(join(tmpdir(), "samsa-vs-kafka-data-"));
  let t: Target | undefined;
  try {
    t = await (system === "samsa" ? startSamsa(nodes) : startKafka(nodes));
    livePids = t.pids;
    console.log(`  up in ${(t.startMs / 1000).toFixed(1)} s (${t.bootstrap}); broker processes ${t.pids.join(",")}, RSS at start ${peakRssMb(t.pids).toFixed(0)} MB`);
    await runLoad(t, dir);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.log(`  FAILED: ${msg.slice(0, 2000)}`);
    notes.push(`${label} failed: ${msg.split("\n")[0]}`);
  } finally {
    await t?.stop();
    livePids = [];
    rmSync(dir, { recursive: true, force: true });
  }
}

function sizeOf(row: string): number | undefined {
  const m = / (\d+) B /.exec(row);
  return m ? Number(m[1]) : undefined;
}

function cell(m: Measured | undefined, row: string, missing: string): string {
  if (!m) return missing;
  if (m.error) return `error (see above)`;
  if (m.rate === undefined && !m.latency) return "(CPU and RSS only)";
  if (m.latency) return `${m.latency.e2e50.toFixed(1)}/${m.latency.e2e99.toFixed(1)} ack ${m.latency.ack50.toFixed(1)}/${m.latency.ack99.toFixed(1)} ms`;
  const size = sizeOf(row)!;
  return `${Math.round(m.rate!).toLocaleString("en-US")} rec/s ${((m.rate! * size) / MiB).toFixed(1)} MiB/s`;
}

function ratio(a: Measured | undefined, b: Measured | undefined): string {
  if (!a || !b || a.error || b.error) return "";
  if (a.rate === undefined && !a.latency) return b.cpu > 0 ? `CPU ${(a.cpu / b.cpu).toFixed(2)}` : "";
  if (a.latency && b.latency) return `${(a.latency.e2e50 / b.latency.e2e50).toFixed(2)}/${(a.latency.e2e99 / b.latency.e2e99).toFixed(2)}`;
  return (a.rate! / b.rate!).toFixed(2);
}

function printTable(): void {
  const header = ["", "Samsa", "Apache Kafka", "Samsa/Kafka", "CPU s S | K", "peak RSS MB S | K"];
  const lines: string[][] = [header];
  for (const row of rowOrder) {
    const s = results.get(row)!.get("samsa");
    const k = results.get(row)!.get("kafka");
    const cpu = `${s ? s.cpu.toFixed(1) : "-"} | ${k ? k.cpu.toFixed(1) : "-"}`;
    const rss = `${s ? s.rssMb.toFixed(0) : "-"} | ${k ? k.rssMb.toFixed(0) : "-"}`;
    lines.push([row, cell(s, row, "not run"), cell(k, row, "not run"), ratio(s, k), cpu, rss]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log("");
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

/** The current system's processes, killed if this script exits early (Kafka's JVMs run in their own process group). */
let livePids: number[] = [];
process.on("exit", () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(130));

async function main(): Promise<void> {
  if ((await run("kcat", ["-V"])).code !== 0) throw new Error("kcat is not installed (apt-get install kcat)");
  const t0 = performance.now();
  console.log(`records per throughput run: ${RECORDS}, sizes ${SIZES.join(", ")} B, one partition per topic; latency: ${LAT_RATE} records/s × ${LAT_SIZE} B for ${LAT_SECONDS} s (first ${LAT_WARMUP_S} s left out)`);
  console.log(`perf-test producer props: ${PERF_PRODUCER_PROPS.join(" ")}; Apache Kafka heap: ${process.env.KAFKA_HEAP_OPTS ?? "scripts/apache-kafka.sh's default"}`);
  const systems: SystemName[] = ONLY ? [ONLY as SystemName] : ["samsa", "kafka"];
  for (const s of systems) await runTarget(s, 1);
  if (!values["skip-rf3"]) for (const s of systems) await runTarget(s, 3);

  printTable();
  console.log(`
Throughput cells: records/s and MiB/s (2^20 bytes) of record values; perf-test produce is the tool's own rate, kcat
the wall time of the whole command; perf-test consume is its fetch rate (group join left out). Latency cells: end-to-end
p50/p99, then ack p50/p99, in ms (FixedRateLatency: Java producer and consumer in one JVM at a fixed rate; from send()
to the consumer's poll returning the record, and to the producer's ack). Ratio: Samsa/Kafka (throughput: above 1 means
Samsa is faster; latency: e2e p50/p99, above 1 means Samsa is slower). CPU s: the broker processes' user+sys
seconds over the phase (tool start-up included; the idle row: 5 s with no client); peak RSS: the broker processes' VmHWM over the phase, summed over nodes.`);
  for (const [k, v] of refusals) console.log(`${k === "samsa/3" ? "Samsa RF 3" : k}: ${v}`);
  for (const n of notes) console.log(n);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
