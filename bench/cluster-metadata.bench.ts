// Metadata across a three-node cluster (node 0 the controller, nodes 1 and 2 broker-only):
// CreateTopics latency sent to the controller and forwarded through a broker-only node (which
// replies once the topic is in its own metadata), how long after the controller's reply the
// other nodes serve the new topic, the time a SIGKILLed broker takes to be fenced, and the
// time a restarted broker takes to register, catch up and be unfenced.
// Usage: npx tsx bench/cluster-metadata.bench.ts [--topics 200] [--session-ms 3000]
import { parseArgs } from "node:util";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { TestCluster } from "../test/helpers/cluster-nodes.ts";
import type { WireConnection } from "../broker/network/kafka-connection.ts";
import { openWire } from "../test/helpers/groups.ts";

const { values } = parseArgs({ options: { topics: { type: "string", default: "200" }, "session-ms": { type: "string", default: "3000" } } });
const TOPICS = Number(values.topics);
const SESSION_MS = Number(values["session-ms"]);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;

async function create(client: WireConnection, name: string): Promise<number> {
  const t0 = performance.now();
  const r = await client.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000 });
  if (r.topics[0]!.errorCode !== 0) throw new Error(`create ${name}: error ${r.topics[0]!.errorCode} ${r.topics[0]!.errorMessage}`);
  return performance.now() - t0;
}

/** Polls Metadata for `topic` on `client` until it is there; returns ms waited. */
async function visible(client: WireConnection, topic: string): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const md = await client.request(ApiKey.Metadata, 12, { topics: [{ name: topic, topicId: "AAAAAAAAAAAAAAAAAAAAAA" }], allowAutoTopicCreation: false });
    if (md.topics[0]?.errorCode === 0) return performance.now() - t0;
  }
}

async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const brokerIds = async (client: WireConnection) =>
  (await client.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false })).brokers.map((b) => b.nodeId).sort();

const tStart = performance.now();
const cluster = await TestCluster.start(3, { "broker.session.timeout.ms": String(SESSION_MS), "broker.heartbeat.interval.ms": String(Math.max(100, SESSION_MS / 6)) });
console.log(`three nodes started and unfenced in ${(performance.now() - tStart).toFixed(0)} ms`);
const clients = await Promise.all(cluster.nodes.map((n) => openWire(n.bootstrap, "bench")));
try {
  const direct: number[] = [];
  const forwarded: number[] = [];
  const lag: number[] = [];
  for (let i = 0; i < TOPICS; i++) {
    direct.push(await create(clients[0]!, `direct-${i}`));
    lag.push(await visible(clients[2]!, `direct-${i}`));
    forwarded.push(await create(clients[1]!, `forwarded-${i}`));
  }
  console.log(`CreateTopics (3 partitions) to the controller:            ${fmt(direct)}`);
  console.log(`CreateTopics forwarded by a broker-only node:             ${fmt(forwarded)}`);
  console.log(`after the controller's reply, node 2 serves the topic in: ${fmt(lag)}`);

  const killedAt = performance.now();
  await cluster.node(2).stop("SIGKILL");
  await waitUntil("broker 2 fenced", async () => !(await brokerIds(clients[0]!)).includes(2));
  console.log(`SIGKILL to fenced (broker.session.timeout.ms ${SESSION_MS}): ${(performance.now() - killedAt).toFixed(0)} ms`);
  const restartAt = performance.now();
  await cluster.node(2).launch();
  const listening = performance.now() - restartAt;
  await waitUntil("broker 2 back", async () => (await brokerIds(clients[0]!)).includes(2));
  console.log(`restart to unfenced and listening: ${listening.toFixed(0)} ms (metadata of ${2 * TOPICS + 1} topics replayed from its own copy, then caught up)`);
} finally {
  for (const c of clients) c.close();
  await cluster.destroy();
}
