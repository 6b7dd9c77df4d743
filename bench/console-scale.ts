// Console scale: the console's pages on a cluster with many topics and groups. Starts one
// broker process, seeds it with N single-partition topics (CreateTopics in batches of 500), a
// few hundred messages spread over some of them, and G consumer groups with committed offsets
// (OffsetCommit without a member: generation -1, empty member id, which Kafka allows for a
// group with no members; each group commits below the log end, so lag is not zero). Then it
// starts the console against that broker (KAFKA_BROKERS), signs in, and times the pages as a
// signed-in HTTP session gets them: median and p90 of the response time over repeated
// requests on loopback, which is the server's time to render the page. Then, without a broker,
// the console's own work on a Metadata response of 10,000 and 50,000 topics.
// Prints figures; asserts nothing.
//
//   npx tsx bench/console-scale.ts [--topics 10000] [--groups 2000] [--messages 400] [--runs 20]
//                                  [--kafka samsa|apache]
//
// --kafka apache seeds and times the same against one Apache Kafka node (scripts/apache-kafka.sh,
// the reference) instead of a Samsa broker.
//
// If the broker cannot hold N topics (it keeps files open per partition, and `ulimit -n`
// bounds them), seeding stops at the last batch that was created, says why, and the pages are
// measured with the topics that exist.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { Kafka, logLevel } from "kafkajs";
import { APIS, ApiKey } from "../broker/protocol/generated/apis.ts";
import type { MetadataResponse } from "../broker/protocol/generated/message/MetadataResponse.ts";
import { Reader } from "../broker/protocol/primitives/reader.ts";
import { Writer } from "../broker/protocol/primitives/writer.ts";
import { ROOT, startConsole, stopConsole } from "../e2e/support/console-process.ts";
import { freePort } from "../test/helpers/ports.ts";
import { ApacheKafka } from "../test/helpers/apache-kafka.ts";
import { kafkaErrorName } from "../server/kafka/errors.ts";
import { buildSnapshot, pageTopics } from "../server/kafka/snapshot.ts";
import { WireConnection } from "../broker/network/kafka-connection.ts";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const TOPICS = arg("topics", 10_000);
const GROUPS = arg("groups", 2000);
const MESSAGES = arg("messages", 400);
const RUNS = arg("runs", 20);
const KAFKA = process.argv.includes("--kafka") ? process.argv[process.argv.indexOf("--kafka") + 1] : "samsa";
if (KAFKA !== "samsa" && KAFKA !== "apache") throw new Error("--kafka takes samsa or apache");
/** Topics that receive messages (the first ones), and so carry lag. */
const HOT = Math.min(100, TOPICS);

const topicName = (i: number) => `bench-${String(i).padStart(6, "0")}`;
const groupName = (i: number) => `bench-group-${String(i).padStart(5, "0")}`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), "samsa-bench-"));
let brokerErr = "";
let brokerExit: string | null = null;
let broker: ChildProcess | undefined;
let apache: ApacheKafka | undefined;
let bootstrap: string;
if (KAFKA === "apache") {
  const cluster = await ApacheKafka.start();
  apache = cluster;
  bootstrap = cluster.bootstrap;
  // Its JVM runs in its own process group: kill it too if this script ends early.
  process.on("exit", () => {
    try {
      process.kill(-cluster.pid, "SIGKILL");
    } catch {
      // already stopped
    }
  });
  console.log(`Apache Kafka (one node) at ${bootstrap}`);
} else {
  const kafkaPort = await freePort();
  const child = spawn(
    process.execPath,
    [join(ROOT, "bin", "samsa.js"), "broker", "--override", "node.id=0", "--override", `listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`, "--override", `log.dirs=${join(dir, "logs")}`, "--override", "offsets.topic.replication.factor=1"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  broker = child;
  child.stderr!.on("data", (d: Buffer) => (brokerErr = (brokerErr + d.toString()).slice(-4000)));
  child.once("exit", (code, signal) => (brokerExit = `broker exited (${code ?? signal})`));
  await new Promise<void>((r) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("started, listening") && r()));
  process.on("exit", () => child.kill("SIGKILL"));
  bootstrap = `127.0.0.1:${kafkaPort}`;
}
const wire = await WireConnection.open(bootstrap, { timeoutMs: 120_000 });

// ---- topics ---------------------------------------------------------------------------------
let created = 0;
let stopReason: string | null = null;
let t0 = performance.now();
for (let i = 0; i < TOPICS && !stopReason; i += 500) {
  const names = Array.from({ length: Math.min(500, TOPICS - i) }, (_, j) => topicName(i + j));
  const s = performance.now();
  try {
    const r = await wire.request(ApiKey.CreateTopics, wire.version(ApiKey.CreateTopics, 0, 7), {
      timeoutMs: 120_000,
      validateOnly: false,
      topics: names.map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
    });
    const failed = r.topics.filter((t) => t.errorCode !== 0);
    created += r.topics.length - failed.length;
    if (failed.length > 0) stopReason = `CreateTopics refused ${failed.length} of ${names.length} topics: ${kafkaErrorName(failed[0]!.errorCode)} ${failed[0]!.errorMessage ?? ""}`;
  } catch (err) {
    stopReason = `CreateTopics failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  // A topic is usable once its partition is led; a broker out of file descriptors fails here.
  // Apache Kafka answers CreateTopics once the controller has committed the topics, before the
  // broker leads them: give it up to a minute.
  let probe = await listLatest(names.slice(-1)).catch((e: unknown) => e);
  for (let tries = 0; apache && probe instanceof Error && tries < 300; tries++) {
    await new Promise((r) => setTimeout(r, 200));
    probe = await listLatest(names.slice(-1)).catch((e: unknown) => e);
  }
  if (stopReason || probe instanceof Error) await new Promise((r) => setTimeout(r, 1000));
  if (brokerExit) stopReason = `${brokerExit}: ${brokerErr.trim().split("\n").slice(-3).join(" | ")}`;
  else if (probe instanceof Error) stopReason ??= `the last topic of the batch is not readable: ${probe.message}`;
  if ((i / 500) % 4 === 3 || stopReason) console.log(`  ${created} topics (last batch of ${names.length} took ${ms(performance.now() - s)})`);
}
console.log(`created ${created} of ${TOPICS} topics in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
if (stopReason) console.log(`STOPPED SEEDING TOPICS: ${stopReason}`);
if (brokerExit) {
  console.log(`the broker is gone; its last output:\n${brokerErr}`);
  process.exit(1);
}
const hot = Math.min(HOT, created);

// ---- messages -------------------------------------------------------------------------------
const kafka = new Kafka({ clientId: "bench", brokers: [bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 120_000 });
const producer = kafka.producer();
await producer.connect();
t0 = performance.now();
for (let i = 0; i < MESSAGES; i += 100) {
  await producer.sendBatch({
    topicMessages: Array.from({ length: hot }, (_, t) => ({
      topic: topicName(t),
      messages: Array.from({ length: Math.ceil(Math.min(100, MESSAGES - i) / hot) }, (_, k) => ({ value: `m${i + k}` })),
    })).filter((tm) => tm.messages.length > 0),
    acks: -1,
  });
}
await producer.disconnect();
const ends = await listLatest(Array.from({ length: hot }, (_, t) => topicName(t)));
const produced = [...ends.values()].reduce((n, x) => n + Number(x), 0);
console.log(`produced ${produced} messages over ${hot} topics in ${ms(performance.now() - t0)}`);

// ---- groups ---------------------------------------------------------------------------------
// Group g commits topic (g mod hot) at end - 1 - (g mod 3) (lag 1..3) and one cold topic at 0.
t0 = performance.now();
const fcv = wire.version(ApiKey.FindCoordinator, 0, 6);
const ocv = wire.version(ApiKey.OffsetCommit, 2, 8);
let committedGroups = 0;
let commitError: string | null = null;
for (let g = 0; g < GROUPS && !commitError; g += 200) {
  const ids = Array.from({ length: Math.min(200, GROUPS - g) }, (_, k) => g + k);
  await Promise.all(
    ids.map(async (i) => {
      const groupId = groupName(i);
      // Apache Kafka creates __consumer_offsets on the first FindCoordinator and answers
      // COORDINATOR_NOT_AVAILABLE (15) or COORDINATOR_LOAD_IN_PROGRESS (14) until it is loaded; clients retry.
      let fcErr = -1;
      for (let tries = 0; tries < 300; tries++) {
        const fc = await wire.request(ApiKey.FindCoordinator, fcv, fcv >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0 });
        fcErr = fcv >= 4 ? (fc.coordinators[0]?.errorCode ?? -1) : fc.errorCode;
        if (fcErr !== 14 && fcErr !== 15) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      if (fcErr !== 0) {
        commitError ??= `FindCoordinator ${groupId}: ${kafkaErrorName(fcErr)}`;
        return;
      }
      const hotTopic = topicName(i % hot);
      const end = Number(ends.get(hotTopic) ?? 0n);
      const cold = topicName(hot + ((i * 7) % Math.max(1, created - hot)));
      const topics = [{ name: hotTopic, offset: Math.max(0, end - 1 - (i % 3)) }, ...(created > hot ? [{ name: cold, offset: 0 }] : [])];
      const commit = () =>
        wire.request(ApiKey.OffsetCommit, ocv, {
          groupId,
          generationIdOrMemberEpoch: -1,
          memberId: "",
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: topics.map((t) => ({ name: t.name, partitions: [{ partitionIndex: 0, committedOffset: BigInt(t.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: "" }] })),
        });
      let r = await commit();
      // Retriable while the coordinator loads (14, 15, 16), as on Apache Kafka just after __consumer_offsets is made.
      const retriable = () => r.topics.flatMap((t) => t.partitions).some((p) => p.errorCode === 14 || p.errorCode === 15 || p.errorCode === 16);
      for (let tries = 0; retriable() && tries < 300; tries++) {
        await new Promise((res) => setTimeout(res, 200));
        r = await commit();
      }
      const bad = r.topics.flatMap((t) => t.partitions).find((p) => p.errorCode !== 0);
      if (bad) commitError ??= `OffsetCommit ${groupId}: ${kafkaErrorName(bad.errorCode)}`;
      else committedGroups++;
    }),
  );
}
console.log(`committed offsets for ${committedGroups} of ${GROUPS} groups in ${ms(performance.now() - t0)}${commitError ? ` (stopped: ${commitError})` : ""}`);
const lg = await wire.request(ApiKey.ListGroups, wire.version(ApiKey.ListGroups, 0, 4), { statesFilter: [] });
console.log(`ListGroups lists ${lg.groups.length} groups`);
wire.close();

// ---- the console ----------------------------------------------------------------------------
const httpPort = await freePort();
const password = "bench-password";
const { child } = await startConsole({ PORT: String(httpPort), KAFKA_BROKERS: bootstrap, SAMSA_DATA_DIR: join(dir, "console"), SAMSA_ADMIN_PASSWORD: password, SAMSA_METADATA_INTERVAL_MS: "5000" });
const base = `http://localhost:${httpPort}`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/`);
  console.log(`\nconsole pages on ${apache ? "Apache Kafka" : "Samsa"} (${created} topics, ${committedGroups} groups; ${RUNS} requests each after one warm-up; HTTP on loopback = server time)`);
  const time = async (label: string, path: string, check: (html: string) => string) => {
    const times: number[] = [];
    let note = "";
    for (let i = 0; i <= RUNS; i++) {
      const s = performance.now();
      const res = await page.request.get(`${base}${path}`);
      const html = await res.text();
      if (i > 0) times.push(performance.now() - s); // the first request warms caches
      if (!res.ok()) {
        console.log(`  ${label.padEnd(34)} HTTP ${res.status()}`);
        return;
      }
      note = check(html);
    }
    times.sort((a, b) => a - b);
    console.log(`  ${label.padEnd(34)} median ${ms(times[Math.floor(times.length / 2)]!).padStart(9)}, p90 ${ms(times[Math.ceil(times.length * 0.9) - 1]!).padStart(9)}  ${note}`);
  };
  const count = (html: string, testId: string) => html.split(`data-testid="${testId}"`).length - 1;
  await time("topics, first page", "/topics", (h) => `${count(h, "topic-row")} rows`);
  await time("topics, search 'bench-0012'", "/topics?q=bench-0012", (h) => `${count(h, "topic-row")} rows`);
  await time("groups, first page with lag", "/groups", (h) => {
    const lags = [...h.matchAll(/data-testid="group-lag"[^>]*>([^<]*)</g)].map((m) => m[1]);
    return `${count(h, "group-row")} rows, lag of the first: ${lags.slice(0, 4).join(", ")}`;
  });
  await time("groups, page 20 with lag", "/groups?page=20", (h) => `${count(h, "group-row")} rows`);
  await time("groups, search 'group-019'", "/groups?q=group-019", (h) => `${count(h, "group-row")} rows`);
  // A hot topic: its page reads every group's offsets to list the groups consuming it.
  await time(`topic ${topicName(0)} detail`, `/topics/${topicName(0)}`, (h) => `${count(h, "topic-consumer-row")} consuming groups`);
  await time("broker 0 detail", "/brokers/0", (h) => `${count(h, "broker-partition-row")} partition rows`);
  await time("state changes, stored history", "/state-changes", (h) => `${count(h, "history-row")} history rows`);
} finally {
  await browser.close();
  await stopConsole(child);
  if (broker) {
    const b = broker;
    b.kill("SIGTERM");
    await new Promise((r) => (brokerExit ? r(null) : b.once("exit", r)));
  }
  await apache?.destroy();
  rmSync(dir, { recursive: true, force: true });
}

// ---- the console's own work, without a broker -----------------------------------------------
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log("");
for (const topics of [10_000, 50_000]) {
  const m: MetadataResponse = {
    ...APIS[3].response.defaults(),
    clusterId: "bench",
    controllerId: 0,
    brokers: [{ nodeId: 0, host: "localhost", port: 9092, rack: null }],
    topics: Array.from({ length: topics }, (_, i) => ({
      errorCode: 0,
      name: topicName(i),
      topicId: "AAAAAAAAAAAAAAAAAAAAAA",
      isInternal: false,
      topicAuthorizedOperations: -2147483648,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: 0, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }],
    })),
  };
  const w = new Writer(1 << 20);
  APIS[3].response.encode(w, m, 12);
  const bytes = w.finish();
  const decode: number[] = [];
  const index: number[] = [];
  const one: number[] = [];
  const search: number[] = [];
  for (let i = 0; i < 15; i++) {
    let t = performance.now();
    const decoded = APIS[3].response.decode(new Reader(bytes), 12);
    decode.push(performance.now() - t);
    t = performance.now();
    const snap = buildSnapshot(decoded);
    index.push(performance.now() - t);
    t = performance.now();
    pageTopics(snap, { page: Math.floor(topics / 100), pageSize: 50 });
    one.push(performance.now() - t);
    t = performance.now();
    pageTopics(snap, { query: "bench-0099", pageSize: 50 });
    search.push(performance.now() - t);
  }
  console.log(
    `${topics} topics, no broker: Metadata response ${(bytes.length / 1024).toFixed(0)} KiB, decode ${median(decode).toFixed(1)} ms, ` +
      `index ${median(index).toFixed(1)} ms, one page ${median(one).toFixed(3)} ms, search ${median(search).toFixed(2)} ms (medians)`,
  );
}

/** Log end offsets of partition 0 of the given topics (ListOffsets, latest). */
async function listLatest(topics: string[]): Promise<Map<string, bigint>> {
  const r = await wire.request(ApiKey.ListOffsets, wire.version(ApiKey.ListOffsets, 1, 9), {
    replicaId: -1,
    isolationLevel: 0,
    topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] })),
  });
  const out = new Map<string, bigint>();
  for (const t of r.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`ListOffsets ${t.name}-${p.partitionIndex}: ${kafkaErrorName(p.errorCode)}`);
      out.set(t.name, p.offset);
    }
  }
  return out;
}
