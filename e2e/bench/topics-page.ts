// Console scale: the Topics page with many topics. Starts a broker, creates N one-partition
// topics, starts the console against it (KAFKA_BROKERS) and times the page (first, middle
// and last page, a search) as a signed-in browser session sees it, plus the metadata
// snapshot it pages from. Then, without a broker, the console's own work for 10,000 and
// 50,000 topics: decoding the Metadata response, indexing it, searching and paging.
// Prints figures; asserts nothing.
//   npx tsx e2e/bench/topics-page.ts [topics=6000]
// The broker keeps three files open per partition (log, index, time index), so N is bounded
// by `ulimit -n` / 3 (20,000 open files here: about 6,500 topics).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { Kafka, logLevel } from "kafkajs";
import { APIS } from "../../broker/protocol/generated/apis.ts";
import type { MetadataResponse } from "../../broker/protocol/generated/message/MetadataResponse.ts";
import { Reader } from "../../broker/protocol/primitives/reader.ts";
import { Writer } from "../../broker/protocol/primitives/writer.ts";
import { buildSnapshot, pageTopics } from "../../server/kafka/snapshot.ts";
import { ROOT, freePort, startConsole, stopConsole } from "../support/console-process.ts";

const N = Number(process.argv[2] ?? 6000);
const dir = mkdtempSync(join(tmpdir(), "samsa-bench-"));
const kafkaPort = await freePort();
const broker = spawn(process.execPath, [join(ROOT, "bin", "samsa.js"), "broker", "--override", "node.id=0", "--override", `listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`, "--override", `log.dirs=${join(dir, "logs")}`, "--override", "offsets.topic.replication.factor=1"], { stdio: ["ignore", "pipe", "inherit"] });
await new Promise<void>((r) => broker.stdout!.on("data", (d: Buffer) => d.toString().includes("started, listening") && r()));
const bootstrap = `127.0.0.1:${kafkaPort}`;

process.on("exit", () => broker.kill("SIGKILL"));

const kafka = new Kafka({ clientId: "bench", brokers: [bootstrap], logLevel: logLevel.NOTHING, requestTimeout: 120_000 });
const admin = kafka.admin();
await admin.connect();
let t = performance.now();
for (let i = 0; i < N; i += 500) {
  const topics = Array.from({ length: Math.min(500, N - i) }, (_, j) => ({ topic: `bench-${String(i + j).padStart(6, "0")}`, numPartitions: 1, replicationFactor: 1 }));
  const s = performance.now();
  await admin.createTopics({ topics, waitForLeaders: false, timeout: 120_000 });
  if ((i / 500) % 4 === 3) console.log(`  ${i + topics.length} topics (last batch of 500 took ${(performance.now() - s).toFixed(0)} ms)`);
}
console.log(`created ${N} topics in ${((performance.now() - t) / 1000).toFixed(1)} s`);
await admin.disconnect();

const httpPort = await freePort();
const password = "bench-password";
const consoleDir = join(dir, "console");
const { child } = await startConsole({ PORT: String(httpPort), KAFKA_BROKERS: bootstrap, SAMSA_DATA_DIR: consoleDir, SAMSA_ADMIN_PASSWORD: password, SAMSA_METADATA_INTERVAL_MS: "5000" });
const base = `http://localhost:${httpPort}`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
try {
  const page = await browser.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/`);
  const time = async (label: string, path: string, runs = 20) => {
    const ms: number[] = [];
    let paging = "";
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      const res = await page.request.get(`${base}${path}`);
      const html = await res.text();
      ms.push(performance.now() - s);
      paging = /data-server-ms="([\d.]+)"/.exec(html)?.[1] ?? "?";
      if (!res.ok()) throw new Error(`${path}: HTTP ${res.status()}`);
    }
    ms.sort((a, b) => a - b);
    console.log(`${label.padEnd(28)} median ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, p90 ${ms[Math.floor(ms.length * 0.9)]!.toFixed(1)} ms (search+page on the server: ${paging} ms)`);
  };
  await time("topics page 1", "/topics");
  await time("topics page 100", "/topics?page=100");
  await time("topics last page", `/topics?page=${Math.ceil(N / 50)}`);
  await time("topics search 'bench-0099'", "/topics?q=bench-0099");
  // The snapshot itself: a Metadata request for every topic, decoded and indexed.
  const { ClusterConnection } = await import("../../server/kafka/cluster.ts");
  const conn = new ClusterConnection("bench", [bootstrap]);
  const snaps: number[] = [];
  for (let i = 0; i < 10; i++) {
    t = performance.now();
    await conn.snapshot(0);
    snaps.push(performance.now() - t);
  }
  snaps.sort((a, b) => a - b);
  console.log(`${"metadata snapshot".padEnd(28)} median ${snaps[5]!.toFixed(1)} ms for ${(await conn.snapshot()).totals.topics} topics`);
  await conn.close();
} finally {
  await browser.close();
  await stopConsole(child);
  broker.kill("SIGTERM");
  await new Promise((r) => broker.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
}

// ---- the console's own work, without a broker ----------------------------------------------
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const topics of [10_000, 50_000]) {
  const m: MetadataResponse = {
    ...APIS[3].response.defaults(),
    clusterId: "bench",
    controllerId: 0,
    brokers: [{ nodeId: 0, host: "localhost", port: 9092, rack: null }],
    topics: Array.from({ length: topics }, (_, i) => ({
      errorCode: 0,
      name: `bench-${String(i).padStart(6, "0")}`,
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
  const page: number[] = [];
  const search: number[] = [];
  for (let i = 0; i < 15; i++) {
    let t0 = performance.now();
    const decoded = APIS[3].response.decode(new Reader(bytes), 12);
    decode.push(performance.now() - t0);
    t0 = performance.now();
    const snap = buildSnapshot(decoded);
    index.push(performance.now() - t0);
    t0 = performance.now();
    pageTopics(snap, { page: Math.floor(topics / 100), pageSize: 50 });
    page.push(performance.now() - t0);
    t0 = performance.now();
    pageTopics(snap, { query: "bench-0099", pageSize: 50 });
    search.push(performance.now() - t0);
  }
  console.log(
    `${topics} topics, no broker: Metadata response ${(bytes.length / 1024).toFixed(0)} KiB, decode ${median(decode).toFixed(1)} ms, ` +
      `index ${median(index).toFixed(1)} ms, one page ${median(page).toFixed(3)} ms, search ${median(search).toFixed(2)} ms (medians)`,
  );
}
