// A three-node cluster laid out like `samsa cluster --nodes 3`: node 0 runs the controller
// (the metadata quorum's voter) and a broker, nodes 1 and 2 are broker-only nodes that
// follow `__cluster_metadata` and register and heartbeat over the wire. Judged by kcat,
// kafkajs, confluent_kafka and kafka-python: all three brokers are listed by every node, partitions are led by all of them,
// admin requests sent to a broker-only node are forwarded, groups coordinated on any node
// publish to `__state_changes`, a killed broker is fenced after broker.session.timeout.ms
// and rejoins with its data (the console's snapshot lists it offline meanwhile), and SIGTERM
// hands leaderships back through a controlled shutdown.
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../broker/protocol/records/record-batch.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { readStateChanges, waitFor, type StateChange } from "./helpers/groups.ts";
import { rejection } from "./helpers/kafkajs-errors.ts";
import { describeRun, kcat, lastJson, parseKcatJson, runPython } from "./helpers/run.ts";
import { openWire } from "./helpers/groups.ts";

const SESSION_MS = 3000;
let cluster: TestCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await TestCluster.start(3, { "broker.session.timeout.ms": String(SESSION_MS), "broker.heartbeat.interval.ms": "500" });
  // Bootstrapped from a broker-only node only: everything it learns comes through node 1.
  kafka = new Kafka({ clientId: "multi-node-it", brokers: [cluster.node(1).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
});

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
}

async function metadata(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const r = await kcat(bootstrap, ["-L", "-J", ...(topic ? ["-t", topic] : [])], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`kcat -L failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as KcatMetadata;
}

const leaders = (md: KcatMetadata, topic: string) => md.topics.find((t) => t.topic === topic)!.partitions.map((p) => p.leader);

async function consumeAll(bootstrap: string, topic: string): Promise<{ partition: number; payload: string | null }[]> {
  const r = await kcat(bootstrap, ["-C", "-t", topic, "-o", "beginning", "-e", "-J"], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`kcat -C failed: ${r.stderr}`);
  return parseKcatJson(r.stdout);
}

describe("a three-node cluster", () => {
  it("every node lists all three brokers", async () => {
    for (const node of cluster.nodes) {
      const md = await metadata(node.bootstrap);
      expect(md.brokers.map((b) => b.id).sort()).toEqual([0, 1, 2]);
    }
  });

  it("creates topics through a broker-only node, spreads leaders over all nodes, and refuses more replicas than brokers", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: "spread", numPartitions: 6 }], waitForLeaders: true })).toBe(true);
      expect(await rejection(admin.createTopics({ topics: [{ topic: "rf4", numPartitions: 1, replicationFactor: 4 }] }))).toContain("INVALID_REPLICATION_FACTOR");
    } finally {
      await admin.disconnect();
    }
    // The forwarded create is in node 1's own metadata when the reply comes back.
    const fromNode1 = await metadata(cluster.node(1).bootstrap, "spread");
    const byLeader = leaders(fromNode1, "spread");
    for (const id of [0, 1, 2]) expect(byLeader.filter((l) => l === id)).toHaveLength(2);
    // Every node serves the same metadata.
    for (const node of cluster.nodes) expect(leaders(await metadata(node.bootstrap, "spread"), "spread")).toEqual(byLeader);
    // A raw CreateTopics to node 2 with four replicas on three brokers gets Kafka's code and message.
    const wire = await openWire(cluster.node(2).bootstrap);
    try {
      const r = await wire.request(ApiKey.CreateTopics, 7, { topics: [{ name: "rf4", numPartitions: 1, replicationFactor: 4, assignments: [], configs: [] }], timeoutMs: 10_000 });
      expect(r.topics[0]).toMatchObject({ errorCode: 38, errorMessage: "Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered." });
    } finally {
      wire.close();
    }
  });

  it("a partition sent to a node that does not host it is NOT_LEADER_OR_FOLLOWER with its leader named; a missing one is UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const md = await metadata(cluster.node(0).bootstrap, "spread");
    const elsewhere = md.topics[0]!.partitions.find((p) => p.leader !== 0)!;
    const wire = await openWire(cluster.node(0).bootstrap);
    try {
      const records = encodeRecordBatch({ baseTimestamp: BigInt(Date.now()), records: [{ offsetDelta: 0, timestampDelta: 0, key: null, value: Buffer.from("v"), headers: [] }] });
      const produce = (partition: number) =>
        wire.request(ApiKey.Produce, 10, { acks: 1, timeoutMs: 5000, transactionalId: null, topicData: [{ name: "spread", partitionData: [{ index: partition, records }] }] });
      expect((await produce(elsewhere.partition)).responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 6, currentLeader: { leaderId: elsewhere.leader } });
      expect((await produce(99)).responses[0]!.partitionResponses[0]!.errorCode).toBe(3);
      const offsets = await wire.request(ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: "spread", partitions: [{ partitionIndex: elsewhere.partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }, { partitionIndex: 99, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
      });
      expect(offsets.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([6, 3]);
    } finally {
      wire.close();
    }
  });

  it("produces through one node and consumes everything through another (kcat)", async () => {
    const lines = Array.from({ length: 600 }, (_, i) => `k${i}:v${i}`);
    const p = await kcat(cluster.node(2).bootstrap, ["-P", "-t", "spread", "-K:", "-X", "acks=all"], { input: lines.join("\n") + "\n", timeoutMs: 30_000 });
    expect(p.code, p.stderr).toBe(0);
    const got = await consumeAll(cluster.node(0).bootstrap, "spread");
    expect(got).toHaveLength(600);
    expect(new Set(got.map((m) => m.payload))).toEqual(new Set(lines.map((l) => l.split(":")[1])));
    expect(new Set(got.map((m) => m.partition)).size).toBe(6);
  });

  it("confluent_kafka and kafka-python work across the nodes", async () => {
    const r = await runPython("multi_node_clients.py", [cluster.node(1).bootstrap, cluster.node(2).bootstrap], { timeoutMs: 90_000 });
    const summary = lastJson(r.stdout) as { ok: boolean; failed: string[]; passed: string[] } | undefined;
    expect(summary, describeRun(r)).toBeDefined();
    expect(summary!.failed, describeRun(r)).toEqual([]);
    expect(summary!.passed.length).toBeGreaterThanOrEqual(7);
    expect(r.code).toBe(0);
  });

  it("idempotent producers on different nodes get producer ids from distinct controller blocks", async () => {
    const ids: bigint[] = [];
    for (const id of [1, 2]) {
      const wire = await openWire(cluster.node(id).bootstrap);
      try {
        const r = await wire.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        expect(r.errorCode).toBe(0);
        ids.push(r.producerId);
      } finally {
        wire.close();
      }
    }
    // Each broker-only node allocated its own block of 1000 through AllocateProducerIds.
    expect(ids[0]! / 1000n).not.toBe(ids[1]! / 1000n);
  });

  it("a group coordinated on a broker-only node works and its transitions reach __state_changes", async () => {
    const group = await groupCoordinatedBy(2);
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: "spread", fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++seen === 600) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();
    const events = await waitFor(`group ${group} Stable and Empty events from node 2`, async () => {
      const es = (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.machine === "group" && e.subject === group);
      return es.some((e) => e.to === "Stable") && es.some((e) => e.to === "Empty") ? es : false;
    });
    expect(events.every((e) => e.node === 2)).toBe(true);
  });

  it("fences a broker killed with SIGKILL after the session timeout, and it rejoins with its data", async () => {
    const before = leaders(await metadata(cluster.node(0).bootstrap, "spread"), "spread");
    const led = before.map((l, p) => (l === 2 ? p : -1)).filter((p) => p >= 0);
    const killedAt = Date.now();
    await cluster.node(2).stop("SIGKILL");

    const fenced = await waitFor("broker 2 fenced and its partitions offline", async () => {
      const md = await metadata(cluster.node(1).bootstrap, "spread");
      const ls = leaders(md, "spread");
      return !md.brokers.some((b) => b.id === 2) && led.every((p) => ls[p] === -1) ? md : false;
    }, 20_000);
    // Kafka keeps the last in-sync replica in the ISR of a partition that lost its leader.
    for (const p of led) expect(fenced.topics[0]!.partitions[p]).toMatchObject({ leader: -1, isrs: [{ id: 2 }] });
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(SESSION_MS - 500);
    // The console still shows the lost broker: it holds replicas but is not in the metadata.
    const view = new ClusterConnection("multi-node-it", [cluster.node(0).bootstrap]);
    try {
      const snap = await view.snapshot(0);
      expect(snap.brokers.map((b) => b.nodeId)).toEqual([0, 1]);
      expect(snap.offlineBrokers).toEqual([2]);
      expect(snap.totals.offline).toBeGreaterThanOrEqual(led.length);
    } finally {
      await view.close();
    }
    const brokerEvents = async (): Promise<StateChange[]> => (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.machine === "broker" && e.subject === "2");
    expect((await brokerEvents()).at(-1)).toMatchObject({ from: "Active", to: "Fenced", cause: expect.stringMatching(/missed heartbeats/) });
    const offline = await waitFor("partition state changes to OfflinePartition", async () => {
      const es = (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.machine === "partition" && e.to === "OfflinePartition" && e.subject.startsWith("spread-"));
      return es.length >= led.length ? es : false;
    });
    expect(offline.map((e) => e.subject).sort()).toEqual(led.map((p) => `spread-${p}`).sort());

    await cluster.node(2).launch();
    const back = await waitFor("broker 2 back and leading its partitions", async () => {
      const ls = leaders(await metadata(cluster.node(0).bootstrap, "spread"), "spread");
      return led.every((p) => ls[p] === 2) ? ls : false;
    });
    expect(back).toEqual(before);
    const got = await consumeAll(cluster.node(1).bootstrap, "spread");
    expect(got).toHaveLength(600);
  });

  it("SIGTERM on a broker-only node is a controlled shutdown: its partitions go leaderless at once, then it is fenced", async () => {
    const md = await metadata(cluster.node(0).bootstrap, "spread");
    const led = leaders(md, "spread")
      .map((l, p) => (l === 1 ? p : -1))
      .filter((p) => p >= 0);
    await cluster.node(1).stop("SIGTERM");
    // Without a session timeout: the leaderships were handed back before the process exited.
    const ls = leaders(await metadata(cluster.node(0).bootstrap, "spread"), "spread");
    for (const p of led) expect(ls[p]).toBe(-1);
    const events = await waitFor("broker 1 ControlledShutdown then Fenced", async () => {
      const es = (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.machine === "broker" && e.subject === "1");
      const i = es.findIndex((e) => e.to === "ControlledShutdown");
      return i >= 0 && es.slice(i).some((e) => e.to === "Fenced") ? es.slice(i) : false;
    }, 20_000);
    expect(events[0]!.from).toBe("Active");
    await cluster.node(1).launch();
  });
});

/** A group id whose coordinator (its `__consumer_offsets` partition's leader) is node `id`. */
async function groupCoordinatedBy(id: number): Promise<string> {
  const wire = await openWire(cluster.node(0).bootstrap);
  try {
    for (let i = 0; i < 200; i++) {
      const group = `multi-node-group-${i}`;
      const r = await waitFor(`coordinator for ${group}`, async () => {
        const res = await wire.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [group] });
        const c = res.coordinators[0]!;
        return c.errorCode === 0 ? c : false;
      });
      if (r.nodeId === id) return group;
    }
  } finally {
    wire.close();
  }
  throw new Error(`no group among 200 is coordinated by node ${id}`);
}
