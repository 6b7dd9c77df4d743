// The load generators the throughput benches share: Kafka's producer perf test, kcat produce
// and consume timed as whole commands, and the fixed-rate latency probe (Kafka's Java client).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "../test/helpers/run.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const KAFKA_TOOL = join(ROOT, "scripts", "kafka-tool.sh");
export const PERF_PRODUCER_PROPS = ["batch.size=262144", "linger.ms=10", "enable.idempotence=false", "compression.type=none"];
export const KCAT_PRODUCE = ["-X", "linger.ms=20", "-X", "batch.size=1000000", "-X", "batch.num.messages=100000", "-X", "queue.buffering.max.messages=2000000", "-X", "queue.buffering.max.kbytes=2000000"];

/** Runs one of Kafka's tools (scripts/kafka-tool.sh); throws on a non-zero exit. */
export async function kafkaTool(name: string, args: string[], timeoutMs = 600_000) {
  const r = await run(KAFKA_TOOL, [name, ...args], { timeoutMs });
  if (r.code !== 0) throw new Error(`${name} exited ${r.code ?? r.signal}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return r;
}

/** kafka-producer-perf-test at full speed: its records/s and its own ack latency figures. */
export async function producerPerf(bootstrap: string, topic: string, records: number, size: number, acks: string): Promise<{ rate: number; note: string }> {
  const r = await kafkaTool("kafka-producer-perf-test", [
    "--topic", topic, "--num-records", String(records), "--record-size", String(size), "--throughput", "-1",
    "--producer-props", `bootstrap.servers=${bootstrap}`, `acks=${acks}`, ...PERF_PRODUCER_PROPS,
  ]);
  // "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, p50 ms 50th, p95 ms 95th, p99 ms 99th, p999 ms 99.9th."
  const m = /(\d+) records sent, ([\d.]+) records\/sec .*?([\d.]+) ms avg latency.*?(\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/.exec(r.stdout);
  if (!m) throw new Error(`unexpected kafka-producer-perf-test output: ${r.stdout.slice(-300)}`);
  if (Number(m[1]) !== records) throw new Error(`sent ${m[1]} of ${records}`);
  return { rate: Number(m[2]), note: `ack latency under full load: avg ${m[3]} ms, p50 ${m[4]} ms, p99 ${m[6]} ms` };
}

export function sh(q: string): string {
  return `'${q.replace(/'/g, `'\\''`)}'`;
}

/** Runs a bash command line (pipefail) and times it as a whole. */
export async function timed(cmd: string): Promise<{ secs: number; stdout: string }> {
  const t0 = performance.now();
  const r = await run("bash", ["-c", `set -o pipefail; ${cmd}`], { timeoutMs: 600_000 });
  const secs = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`${cmd.slice(0, 60)}… exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`);
  return { secs, stdout: r.stdout };
}

/** kcat -P of a payload file (one record a line), `extra` kcat options after the shared ones; records/s over the whole command. */
export async function kcatProduce(bootstrap: string, topic: string, file: string, records: number, extra: string[] = []): Promise<{ rate: number }> {
  const { secs } = await timed(`kcat -P -b ${sh(bootstrap)} -t ${sh(topic)} ${[...KCAT_PRODUCE, ...extra].map(sh).join(" ")} < ${sh(file)}`);
  return { rate: records / secs };
}

/** kcat -C of `records` records from the beginning; records/s over the whole command. */
export async function kcatConsume(bootstrap: string, topic: string, records: number): Promise<{ rate: number }> {
  const { secs, stdout } = await timed(`kcat -C -b ${sh(bootstrap)} -t ${sh(topic)} -o beginning -e -q -c ${records} | wc -l`);
  const n = Number(stdout.trim());
  if (n !== records) throw new Error(`kcat read ${n} of ${records} records`);
  return { rate: records / secs };
}

export interface Pct {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LatencyFigures {
  e2e50: number;
  e2e99: number;
  ack50: number;
  ack99: number;
  note: string;
}

let latencyClasses: string | undefined;

/**
 * End-to-end and ack latency at a fixed rate (bench/java/FixedRateLatency.java, compiled once
 * against Kafka's client jars): `rate` records/s of `size` bytes for `seconds` to partition 0
 * of `topic`, the first `warmupSeconds` left out.
 */
export async function fixedRateLatency(bootstrap: string, topic: string, o: { rate: number; seconds: number; size: number; warmupSeconds: number; acks?: string }): Promise<{ latency: LatencyFigures }> {
  const cp = (await run(KAFKA_TOOL, ["--classpath"])).stdout.trim();
  if (!latencyClasses) {
    const src = join(ROOT, "bench", "java", "FixedRateLatency.java");
    const dir = join(tmpdir(), `samsa-bench-java-${createHash("sha256").update(readFileSync(src)).digest("hex").slice(0, 12)}`);
    if (!existsSync(join(dir, "FixedRateLatency.class"))) {
      mkdirSync(dir, { recursive: true });
      const r = await run("javac", ["-cp", cp, "-d", dir, src], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`javac: ${r.stderr}`);
    }
    latencyClasses = dir;
  }
  const r = await run(
    "java",
    ["-Xmx256m", "-XX:+UseSerialGC", `-Dlog4j.configuration=file:${join(ROOT, "scripts", "apache-kafka", "log4j.properties")}`, "-cp", `${latencyClasses}:${cp}`, "FixedRateLatency",
      bootstrap, topic, String(o.rate), String(o.seconds), String(o.size), o.acks ?? "all", String(o.warmupSeconds)],
    { timeoutMs: (o.seconds + 120) * 1000 },
  );
  const line = r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
  if (r.code !== 0 || !line) throw new Error(`FixedRateLatency exited ${r.code ?? r.signal}: ${r.stderr.trim().slice(-300)}`);
  const j = JSON.parse(line) as { sent: number; received: number; errors: number; sendsMoreThan10msLate: number; e2e: Pct | null; ack: Pct | null };
  if (!j.e2e || !j.ack) throw new Error(`no latency figures: ${line}`);
  const note = `${j.received}/${j.sent} received, ${j.errors} send errors, ${j.sendsMoreThan10msLate} sends >10 ms behind schedule; e2e p99.9 ${j.e2e.p999.toFixed(1)} ms max ${j.e2e.max.toFixed(1)} ms`;
  if (j.received < j.sent || j.errors > 0) throw new Error(note);
  return { latency: { e2e50: j.e2e.p50, e2e99: j.e2e.p99, ack50: j.ack.p50, ack99: j.ack.p99, note } };
}
