// Replication on a real three-node cluster (node 0 is the controller): topics with three
// replicas and min.insync.replicas=2, followers that copy their leaders' logs byte for byte,
// a leader SIGKILLed while an idempotent producer sends with acks=all (every acknowledged
// record is read back once, in order), the killed broker catching up and rejoining the ISR,
// and acks=all refused when only one replica is left.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../broker/protocol/records/record-batch.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { openWire, waitFor } from "./helpers/groups.ts";
import { kcat, parseKcatJson } from "./helpers/run.ts";

const TOPIC = "replicated";
let cluster: TestCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await TestCluster.start(3, { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500" });
  kafka = new Kafka({ clientId: "replication-it", brokers: [cluster.node(0).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: "min.insync.replicas", value: "2" }] }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
});

interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

async function partitions(): Promise<PartitionState[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    return md.topics[0]!.partitions.map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: [...p.isr].sort() }));
  } finally {
    await admin.disconnect();
  }
}

/** The bytes of a partition's log segments on one node, in offset order. */
function logBytes(nodeId: number, partition: number): Buffer {
  const dir = join(cluster.node(nodeId).dataDir, "logs", `${TOPIC}-${partition}`);
  const segments = readdirSync(dir).filter((f) => f.endsWith(".log")).sort();
  return Buffer.concat(segments.map((f) => readFileSync(join(dir, f))));
}

async function consumeAll(bootstrap: string): Promise<{ partition: number; key: string | null; payload: string | null }[]> {
  const r = await kcat(bootstrap, ["-C", "-t", TOPIC, "-o", "beginning", "-e", "-J"], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return parseKcatJson(r.stdout);
}

describe("three replicas per partition", () => {
  it("places each partition on all three brokers, in sync, with leaders spread", async () => {
    const ps = await partitions();
    expect(ps).toHaveLength(3);
    for (const p of ps) {
      expect([...p.replicas].sort()).toEqual([0, 1, 2]);
      expect(p.isr).toEqual([0, 1, 2]);
    }
    expect(new Set(ps.map((p) => p.leader)).size).toBe(3);
  });

  it("followers hold byte-identical copies of what the leaders acknowledged with acks=all (kcat)", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `k${i % 30}:v${i}`);
    const p = await kcat(cluster.node(1).bootstrap, ["-P", "-t", TOPIC, "-K:", "-X", "acks=all"], { input: lines.join("\n") + "\n", timeoutMs: 60_000 });
    expect(p.code, p.stderr).toBe(0);
    for (const partition of [0, 1, 2]) {
      await waitFor(`partition ${partition} identical on all nodes`, () => {
        const [a, b, c] = [0, 1, 2].map((n) => logBytes(n, partition));
        return a!.length > 0 && a!.equals(b!) && a!.equals(c!);
      });
    }
    expect(await consumeAll(cluster.node(2).bootstrap)).toHaveLength(3000);
  });

  it("a leader SIGKILLed under an idempotent acks=all producer: every acknowledged record is consumed once, in order", async () => {
    const before = await partitions();
    // A partition led by a broker-only node (node 0 is the controller, which must stay up to elect).
    const target = before.find((p) => p.leader !== 0)!;
    const victim = target.leader;
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    await producer.connect();
    const acked: string[] = [];
    const failed: string[] = [];
    try {
      for (let i = 0; i < 400; i++) {
        if (i === 150) await cluster.node(victim).stop("SIGKILL");
        const value = `kill-${i}`;
        try {
          await producer.send({ topic: TOPIC, acks: -1, messages: [{ value, partition: target.partition }] });
          acked.push(value);
        } catch {
          failed.push(value);
        }
      }
    } finally {
      await producer.disconnect();
    }
    expect(acked.length).toBeGreaterThan(300);
    const after = await partitions();
    const moved = after.find((p) => p.partition === target.partition)!;
    expect(moved.leader).not.toBe(victim);
    expect(moved.isr).not.toContain(victim);

    const got = (await consumeAll(cluster.node(0).bootstrap)).filter((m) => m.partition === target.partition && m.payload?.startsWith("kill-")).map((m) => m.payload!);
    // Every acknowledged record exactly once, in the order it was sent.
    expect(new Set(got).size).toBe(got.length);
    const ackedSet = new Set(acked);
    expect(got.filter((v) => ackedSet.has(v))).toEqual(acked);
    // Nothing appears that was never sent.
    expect(got.every((v) => ackedSet.has(v) || failed.includes(v))).toBe(true);
  });

  it("the killed broker restarts, catches up from the new leaders and rejoins every ISR", async () => {
    const down = cluster.nodes.find((n) => !n.alive)!;
    const id = cluster.nodes.indexOf(down);
    await down.launch();
    await waitFor("all ISRs full again", async () => (await partitions()).every((p) => p.isr.length === 3), 60_000);
    for (const partition of [0, 1, 2]) {
      await waitFor(`node ${id} holds partition ${partition} as its leader does`, async () => {
        const leader = (await partitions()).find((p) => p.partition === partition)!.leader;
        return logBytes(id, partition).equals(logBytes(leader, partition));
      });
    }
  });

  it("with two of three brokers down, acks=all is refused with NOT_ENOUGH_REPLICAS and acks=1 still works", async () => {
    await cluster.node(1).stop("SIGKILL");
    await cluster.node(2).stop("SIGKILL");
    // Fenced after the session timeout: node 0 leads everything with an ISR of itself.
    await waitFor("node 0 alone in every ISR", async () => (await partitions()).every((p) => p.leader === 0 && p.isr.length === 1), 60_000);
    const wire = await openWire(cluster.node(0).bootstrap);
    try {
      const records = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from("lonely"), headers: [] }] });
      const produce = (acks: number) =>
        wire.request(ApiKey.Produce, 9, { acks, timeoutMs: 5000, transactionalId: null, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
      expect((await produce(-1)).responses[0]!.partitionResponses[0]!.errorCode).toBe(19);
      expect((await produce(1)).responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    } finally {
      wire.close();
    }
  });
});
