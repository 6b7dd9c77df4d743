// Replication seen by real clients on a three-node cluster (node 0 is the only controller)
// configured as a production one: default.replication.factor 3, min.insync.replicas 2,
// internal topics on three replicas. confluent_kafka and kafka-python create and use topics
// with three replicas (kcat reads their metadata); a follower frozen with SIGSTOP is dropped
// from the ISR by its leader, misses acks=all writes, then catches up byte for byte and rejoins; a group's
// committed offsets outlive the SIGKILL of its coordinator's broker; and a replica restarted
// with SIGTERM or SIGKILL comes back with the high watermark of its checkpoint file, serving
// nothing above it while it leads alone under min ISR and answering ListOffsets latest with
// OFFSET_NOT_AVAILABLE while that high watermark lags its epoch's start, as Kafka 3.9 does.
// (kafkajs topic creation and kcat produce/consume with RF 3 are in replication.test.ts.)
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { ZERO_UUID } from "../broker/protocol/generated/support.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { committedOffsets, produceEach, readStateChanges, waitFor, withWire } from "./helpers/groups.ts";
import { parseTable } from "./helpers/kafka-tools.ts";
import { partitionStates, type PartitionState } from "./helpers/partition-metadata.ts";
import { partitionLogBytes, readHighWatermarkCheckpoint } from "./helpers/replica-files.ts";
import { describeRun, kcat, lastJson, parseKcatJson, runPython } from "./helpers/run.ts";

let cluster: TestCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await TestCluster.start(3, {
    "default.replication.factor": "3",
    "min.insync.replicas": "2",
    "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3",
    // Few __consumer_offsets partitions: quicker to create, still spread over the three nodes.
    "offsets.topic.num.partitions": "6",
    // A silent follower leaves the ISR after 2 s; a silent broker is fenced only after 6 s,
    // so a SIGSTOPped follower is dropped by its leader (lag), not by the controller.
    "replica.lag.time.max.ms": "2000",
    "broker.session.timeout.ms": "6000",
    "broker.heartbeat.interval.ms": "500",
  });
  // Node 0 is never stopped: it is the only controller.
  kafka = new Kafka({ clientId: "replication-clients-it", brokers: [cluster.node(0).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200 } });
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
});

/** Node 0's view of a topic's partitions (node 0 is never stopped: it is the only controller). */
const partitions = (topic: string): Promise<PartitionState[]> => partitionStates(cluster.node(0).bootstrap, topic);

async function createTopic(topic: string, spec: { numPartitions?: number; replicaAssignment?: { partition: number; replicas: number[] }[]; configEntries?: { name: string; value: string }[] }): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    expect(await admin.createTopics({ topics: [{ topic, ...spec }], waitForLeaders: true })).toBe(true);
  } finally {
    await admin.disconnect();
  }
}

async function consumeAll(bootstrap: string, topic: string): Promise<{ partition: number; offset: number; payload: string | null }[]> {
  const r = await kcat(bootstrap, ["-C", "-t", topic, "-o", "beginning", "-e", "-J"], { timeoutMs: 60_000 });
  expect(r.code, describeRun(r)).toBe(0);
  return parseKcatJson(r.stdout);
}

async function produce(bootstrap: string, topic: string, partition: number, values: string[], acks: "all" | "1"): Promise<void> {
  const r = await kcat(bootstrap, ["-P", "-t", topic, "-p", String(partition), "-X", `acks=${acks}`], { input: values.join("\n") + "\n", timeoutMs: 60_000 });
  expect(r.code, describeRun(r)).toBe(0);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("topics with three replicas and min ISR 2 from the Python clients and kcat", () => {
  it("confluent_kafka and kafka-python create, produce with acks=all, read everything back and see 3 replicas, 3 in sync", async () => {
    const r = await runPython("replication_clients.py", [cluster.bootstrap], { timeoutMs: 90_000 });
    const summary = lastJson(r.stdout) as { failed: string[]; passed: string[] } | undefined;
    const context = `${describeRun(r)}\n--- node 0 (tail) ---\n${cluster.node(0).output.slice(-3000)}`;
    expect(summary, context).toBeDefined();
    expect(summary!.failed, context).toEqual([]);
    expect(r.code, context).toBe(0);
    expect(summary!.passed).toHaveLength(11);
  }, 120_000);

  it("kcat's metadata shows the Python clients' topics on three replicas, all in sync, and reads one client's records through another node", async () => {
    for (const topic of ["rf3-confluent", "rf3-kafka-python"]) {
      const r = await kcat(cluster.node(2).bootstrap, ["-L", "-J", "-t", topic]);
      expect(r.code, describeRun(r)).toBe(0);
      const md = JSON.parse(r.stdout) as { topics: { topic: string; partitions: { partition: number; replicas: { id: number }[]; isrs: { id: number }[] }[] }[] };
      const parts = md.topics.find((t) => t.topic === topic)!.partitions;
      expect(parts).toHaveLength(3);
      for (const p of parts) {
        expect(p.replicas.map((x) => x.id).sort()).toEqual([0, 1, 2]);
        expect(p.isrs.map((x) => x.id).sort()).toEqual([0, 1, 2]);
      }
    }
    const got = await consumeAll(cluster.node(1).bootstrap, "rf3-kafka-python");
    expect(new Set(got.map((m) => m.payload))).toEqual(new Set(range(0, 300).map((i) => `v${i}`)));
    expect(got).toHaveLength(300);
  });
});

/** A consumer's Fetch v12 (replica id -1, so with KIP-392 client metadata) of partition 0 from one broker. */
async function consumerFetch(bootstrap: string, topic: string): Promise<{ errorCode: number; highWatermark: number; bytes: number }> {
  const r = await withWire(bootstrap, (c) =>
    c.request(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1_048_576,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1_048_576, replicaDirectoryId: ZERO_UUID }] }],
      forgottenTopicsData: [],
      rackId: "",
    }),
  );
  const p = r.responses[0]!.partitions[0]!;
  return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), bytes: p.records?.length ?? 0 };
}

describe("fetching from a follower (KIP-392)", () => {
  // Kafka 3.9 serves a consumer's Fetch v11+ from a follower, up to the follower's high
  // watermark (FetchParams.fetchOnlyLeader is false once the request carries client
  // metadata); Samsa answers NOT_LEADER_OR_FOLLOWER. Clients only fetch from followers when
  // a leader names a preferred read replica (replica.selector.class), so none does here yet.
  it.fails("a consumer's Fetch v12 to a follower is answered from the follower's log, up to its high watermark", async () => {
    const p = (await partitions("rf3-confluent"))[0]!;
    const follower = p.replicas.find((id) => id !== p.leader)!;
    const fromLeader = await consumerFetch(cluster.node(p.leader).bootstrap, "rf3-confluent");
    const fromFollower = await consumerFetch(cluster.node(follower).bootstrap, "rf3-confluent");
    expect(fromFollower).toEqual(fromLeader);
  });
});

describe("a follower stopped with SIGSTOP", () => {
  const TOPIC = "paused-follower";

  it("leaves the ISR, acks=all still succeeds with two replicas, and after SIGCONT it catches up byte for byte and rejoins", async () => {
    // Leader 1, followers 2 (the one paused) and 0.
    await createTopic(TOPIC, { replicaAssignment: [{ partition: 0, replicas: [1, 2, 0] }] });
    await waitFor("ISR [0,1,2]", async () => (await partitions(TOPIC))[0]!.isr.length === 3);
    await produce(cluster.node(0).bootstrap, TOPIC, 0, range(0, 200).map((i) => `before-${i}`), "all");
    const follower = cluster.node(2);
    process.kill(follower.pid, "SIGSTOP");
    try {
      // A follower as far as its leader's log end is in sync however long it is silent
      // (Kafka's isCaughtUp), so only new records make the leader drop it. This acks=all
      // produce is answered once the ISR has shrunk to [0,1], which still meets min ISR 2.
      await produce(cluster.node(0).bootstrap, TOPIC, 0, range(0, 300).map((i) => `while-stopped-${i}`), "all");
      const p = (await partitions(TOPIC))[0]!;
      expect([p.leader, p.isr]).toEqual([1, [0, 1]]);
    } finally {
      process.kill(follower.pid, "SIGCONT");
    }
    await waitFor("node 2 back in the ISR", async () => (await partitions(TOPIC))[0]!.isr.join() === "0,1,2", 30_000);
    await waitFor("node 2's log identical to the leader's", () => {
      const leader = partitionLogBytes(cluster.node(1).dataDir, TOPIC, 0);
      return leader.length > 0 && leader.equals(partitionLogBytes(follower.dataDir, TOPIC, 0)) && leader.equals(partitionLogBytes(cluster.node(0).dataDir, TOPIC, 0));
    });
    const got = await consumeAll(cluster.node(2).bootstrap, TOPIC);
    expect(got.map((m) => m.payload)).toEqual([...range(0, 200).map((i) => `before-${i}`), ...range(0, 300).map((i) => `while-stopped-${i}`)]);
    expect(got.map((m) => m.offset)).toEqual(range(0, 500));
    // The leader, not the controller fencing a silent broker, took node 2 out: out of sync
    // by lag, back in sync once caught up, as the leader reported them.
    const changes = (await readStateChanges(cluster.node(0).bootstrap)).filter((c) => c.subject === `${TOPIC}-0@2` && ["InSync", "OutOfSync"].includes(c.to));
    expect(changes.map((c) => [c.from, c.to])).toEqual([
      ["InSync", "OutOfSync"],
      ["OutOfSync", "InSync"],
    ]);
    expect(changes[0]!.cause).toMatch(/^replica 2 fell behind: .*replica\.lag\.time\.max\.ms=2000/);
  }, 90_000);
});

/** The coordinator of a group as FindCoordinator answers it (v3: one key), asked of node 0. */
async function coordinatorOf(groupId: string): Promise<number> {
  return withWire(cluster.node(0).bootstrap, async (c) => {
    const r = await c.request(ApiKey.FindCoordinator, 3, { key: groupId, keyType: 0 });
    if (r.errorCode !== 0) throw new Error(`FindCoordinator ${groupId}: error ${r.errorCode}`);
    return r.nodeId;
  });
}

describe("a consumer group whose coordinator's broker is SIGKILLed", () => {
  const TOPIC = "group-orders";
  const COMMITTED = 60;
  const PER_PARTITION = 100;

  it("keeps its committed offsets: OffsetFetch and kafka-consumer-groups show them from the new coordinator, and a new member resumes exactly there", async () => {
    await createTopic(TOPIC, { numPartitions: 2 });
    await produceEach(cluster.node(0).bootstrap, TOPIC, 2, PER_PARTITION, "order");
    // A group whose __consumer_offsets partition is led by node 1 or 2 (node 0 must stay up).
    let groupId = "";
    let coordinator = 0;
    for (let i = 0; coordinator === 0; i++) {
      groupId = `resume-${i}`;
      coordinator = (await waitFor(`the coordinator of ${groupId}`, async () => ({ node: await coordinatorOf(groupId) }))).node;
    }

    // kafkajs commits offset 60 in each partition once it has read offsets 0..59.
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const committed = new Set<number>();
    let allCommitted!: () => void;
    const done = new Promise<void>((resolve) => (allCommitted = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (Number(message.offset) !== COMMITTED - 1 || committed.has(partition)) return;
        await consumer.commitOffsets([{ topic: TOPIC, partition, offset: String(COMMITTED) }]);
        committed.add(partition);
        if (committed.size === 2) allCommitted();
      },
    });
    await done;
    await consumer.disconnect();
    expect(await committedOffsets(cluster.node(coordinator).bootstrap, groupId, TOPIC, 2)).toEqual([COMMITTED, COMMITTED]);

    await cluster.node(coordinator).stop("SIGKILL");
    try {
      const next = await waitFor("a new coordinator serving the group's offsets", async () => {
        const n = await coordinatorOf(groupId);
        if (n === coordinator) return undefined;
        const offsets = await committedOffsets(cluster.node(n).bootstrap, groupId, TOPIC, 2);
        return offsets.join() === `${COMMITTED},${COMMITTED}` ? { node: n } : undefined;
      }, 45_000);
      expect(next.node).not.toBe(coordinator);

      const described = await ApacheKafka.tool("kafka-consumer-groups", ["--bootstrap-server", cluster.node(0).bootstrap, "--describe", "--group", groupId]);
      expect(described.code, describeRun(described)).toBe(0);
      const rows = parseTable(described.stdout, "GROUP").sort((a, b) => Number(a.PARTITION) - Number(b.PARTITION));
      expect(rows.map((r) => [r.PARTITION, r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r.LAG])).toEqual([
        ["0", "60", "100", "40"],
        ["1", "60", "100", "40"],
      ]);

      // librdkafka joins the same group (earliest if it found no offset) and reads from 60 on.
      const resumed = await kcat(cluster.node(0).bootstrap, ["-G", groupId, "-X", "auto.offset.reset=earliest", "-e", "-J", TOPIC], { timeoutMs: 60_000 });
      expect(resumed.code, describeRun(resumed)).toBe(0);
      const got = parseKcatJson(resumed.stdout);
      for (const partition of [0, 1]) {
        expect(got.filter((m) => m.partition === partition).map((m) => m.offset)).toEqual(range(COMMITTED, PER_PARTITION));
      }
    } finally {
      await cluster.node(coordinator).launch();
    }
    await waitFor(`node ${coordinator} back in the ISR of ${TOPIC}`, async () => (await partitions(TOPIC)).every((p) => p.isr.length === 3), 45_000);
  }, 120_000);
});

/** ListOffsets for the latest offset of partition 0 as a consumer asks it (v7, read_uncommitted). */
async function latestOffset(bootstrap: string, topic: string): Promise<{ errorCode: number; offset: number }> {
  const r = await withWire(bootstrap, (c) =>
    c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }),
  );
  const p = r.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: Number(p.offset) };
}

const OFFSET_NOT_AVAILABLE = 78;

describe("a replica's high watermark checkpoint (replication-offset-checkpoint)", () => {
  // Two replicas on the broker-only nodes, min ISR 2: with one of them down the other leads
  // alone and, as in Kafka 3.9, its high watermark does not move while under min ISR.
  const TOPIC = "hw-checkpoint";
  const COMMITTED = [...range(0, 100).map((i) => `committed-${i}`), "marker"];
  const UNCOMMITTED = range(0, 50).map((i) => `uncommitted-${i}`);

  it("a replica stopped with SIGTERM and then SIGKILL comes back leading with its checkpointed high watermark and serves nothing above it until the other replica returns", async () => {
    await createTopic(TOPIC, { replicaAssignment: [{ partition: 0, replicas: [1, 2] }], configEntries: [{ name: "min.insync.replicas", value: "2" }] });
    await waitFor("ISR [1,2]", async () => (await partitions(TOPIC))[0]!.isr.join() === "1,2");
    const [first, second] = [cluster.node(1), cluster.node(2)];
    await produce(first.bootstrap, TOPIC, 0, COMMITTED.slice(0, 100), "all");
    // Acknowledged only once node 2 fetched past offset 100, which it did after learning a
    // high watermark of at least 100.
    await produce(first.bootstrap, TOPIC, 0, COMMITTED.slice(100), "all");

    await first.stop("SIGKILL");
    await waitFor("node 2 leads alone", async () => {
      const p = (await partitions(TOPIC))[0]!;
      return p.leader === 2 && p.isr.join() === "2";
    }, 30_000);
    // Node 2's high watermark is what it had learned as a follower: 100 or 101.
    const hw = (await consumeAll(second.bootstrap, TOPIC)).length;
    expect([100, 101]).toContain(hw);
    // Under min ISR acks=1 appends, but the high watermark stays.
    await produce(second.bootstrap, TOPIC, 0, UNCOMMITTED, "1");
    const visible = async (how: string) => expect((await consumeAll(second.bootstrap, TOPIC)).map((m) => m.payload), how).toEqual(COMMITTED.slice(0, hw));
    await visible("after acks=1 under min ISR");
    // Kafka tells a consumer asking for the latest offset only once the high watermark has
    // reached the epoch's start (101 here, the log end at the election).
    expect(await latestOffset(second.bootstrap, TOPIC)).toEqual(hw === 101 ? { errorCode: 0, offset: 101 } : { errorCode: OFFSET_NOT_AVAILABLE, offset: -1 });

    for (const how of ["SIGTERM", "SIGKILL"] as const) {
      await second.stop(how);
      expect(readHighWatermarkCheckpoint(second.dataDir).get(`${TOPIC}-0`), `checkpoint after ${how}`).toBe(hw);
      await second.launch();
      await waitFor(`node 2 leads again after ${how}`, async () => (await partitions(TOPIC))[0]!.leader === 2, 30_000);
      await visible(`after ${how} and restart`);
      // A new epoch starting at 151 with the high watermark below it: no latest offset yet.
      expect(await latestOffset(second.bootstrap, TOPIC), `ListOffsets latest after ${how}`).toEqual({ errorCode: OFFSET_NOT_AVAILABLE, offset: -1 });
    }

    // Node 1 returns, copies the 50 acks=1 records and rejoins: the high watermark reaches the end.
    await first.launch();
    await waitFor("ISR [1,2] again", async () => (await partitions(TOPIC))[0]!.isr.join() === "1,2", 45_000);
    await waitFor("high watermark at 151", async () => (await latestOffset(second.bootstrap, TOPIC)).offset === 151);
    const got = await consumeAll(first.bootstrap, TOPIC);
    expect(got.map((m) => m.payload)).toEqual([...COMMITTED, ...UNCOMMITTED]);
    await waitFor("both replicas byte-identical", () => partitionLogBytes(first.dataDir, TOPIC, 0).equals(partitionLogBytes(second.dataDir, TOPIC, 0)));
  }, 150_000);
});
