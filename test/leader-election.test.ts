// Leader elections on a real three-node cluster (node 0 is the controller) driven by Apache
// Kafka 3.9's own tools: a preferred leader killed and restarted is back in the ISR but not
// leading until `kafka-leader-election --election-type preferred` moves the lead back (and
// finds nothing to do the second time); an offline partition whose topic forbids unclean
// elections is led again by `--election-type unclean`; `kafka-topics --describe` goes through
// DescribeTopicPartitions (ELR fields, cursor paging); and, on a second cluster, the
// controller's automatic rebalance moves leaders back by itself.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { ZERO_UUID } from "../broker/protocol/generated/support.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { waitFor, withWire } from "./helpers/groups.ts";
import { parseTopicDescribe, shown } from "./helpers/kafka-tools.ts";
import { kcat } from "./helpers/run.ts";

/** Fast fencing, so a killed broker loses its leaderships in a few seconds. */
const FAST_FENCING = { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500" };

interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** The topic's partitions in node 0's metadata (over the wire: kafkajs refuses a partition without a leader). */
async function partitions(cluster: TestCluster, topic: string): Promise<PartitionState[]> {
  const md = await withWire(cluster.node(0).bootstrap, (c) =>
    c.request(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
  );
  return md.topics[0]!.partitions
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, replicas: [...p.replicaNodes], isr: [...p.isrNodes].sort() }))
    .sort((a, b) => a.partition - b.partition);
}

async function createTopic(cluster: TestCluster, topic: string, assignments: number[][]): Promise<void> {
  const kafka = new Kafka({ clientId: "leader-election-it", brokers: [cluster.node(0).bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: assignments.map((replicas, partition) => ({ partition, replicas })) }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Kills broker `id` and waits until the controller has moved every leadership of `topic` off it. */
async function killAndWaitFenced(cluster: TestCluster, id: number, topic: string): Promise<void> {
  await cluster.node(id).stop("SIGKILL");
  await waitFor(`broker ${id} out of ${topic}'s leaders and ISRs`, async () => (await partitions(cluster, topic)).every((p) => p.leader !== id && !p.isr.includes(id)));
}

/** The comma-separated partitions a kafka-leader-election line lists after `prefix`. */
function listed(stdout: string, prefix: string): string[] {
  const line = stdout.split("\n").find((l) => l.startsWith(prefix));
  return line ? line.slice(prefix.length).split(", ").map((s) => s.trim()).sort() : [];
}

describe("kafka-leader-election and kafka-topics --describe (auto rebalance off)", () => {
  const TOPIC = "elect";
  const OFFLINE = "elect-offline";
  let cluster: TestCluster;
  let workDir: string;
  const tool = (name: string, ...args: string[]) => ApacheKafka.tool(name, ["--bootstrap-server", cluster.bootstrap, ...args]);

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { ...FAST_FENCING, "auto.leader.rebalance.enable": "false" });
    workDir = mkdtempSync(join(tmpdir(), "leader-election-"));
    // Broker 1 is the preferred leader of partitions 0 and 2.
    await createTopic(cluster, TOPIC, [
      [1, 2, 0],
      [2, 0, 1],
      [1, 0, 2],
    ]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("a restarted preferred leader rejoins the ISR but does not lead; a preferred election moves the lead back", async () => {
    await killAndWaitFenced(cluster, 1, TOPIC);
    await cluster.node(1).launch();
    const before = await waitFor("broker 1 back in every ISR of the topic", async () => {
      const ps = await partitions(cluster, TOPIC);
      return ps.every((p) => p.isr.includes(1)) && ps;
    });
    expect(before.filter((p) => p.replicas[0] === 1).map((p) => p.leader)).not.toContain(1);

    const r = await tool("kafka-leader-election", "--election-type", "preferred", "--all-topic-partitions");
    expect(r.code, shown(r)).toBe(0);
    // Partitions already led by their preferred replica are left out of an all-partitions election.
    expect(listed(r.stdout, "Successfully completed leader election (PREFERRED) for partitions ")).toEqual(expect.arrayContaining([`${TOPIC}-0`, `${TOPIC}-2`]));
    expect(listed(r.stdout, "Successfully completed leader election (PREFERRED) for partitions ")).not.toContain(`${TOPIC}-1`);
    expect(r.stdout).not.toContain("Valid replica already elected");

    const after = await waitFor("the preferred replicas leading", async () => {
      const ps = await partitions(cluster, TOPIC);
      return ps.every((p) => p.leader === p.replicas[0]) && ps;
    });
    expect(after.map((p) => p.leader)).toEqual([1, 2, 1]);
  });

  it("names the admin's election in the partition state-change log", async () => {
    const r = await kcat(cluster.node(0).bootstrap, ["-C", "-t", "__state_changes", "-o", "beginning", "-e", "-f", "%s\n"], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { machine: string; subject: string; cause: string });
    const moved = events.filter((e) => e.machine === "partition" && e.subject === `${TOPIC}-0`).at(-1);
    expect(moved?.cause).toBe("leader changed from broker 2 to 1 by preferred leader election requested by an admin (ElectLeaders), clean election from the ISR [2, 0, 1]");
  });

  it("asked for named partitions that are led by their preferred replica: ELECTION_NOT_NEEDED for each (also through a broker-only node)", async () => {
    const file = join(workDir, "partitions.json");
    writeFileSync(file, JSON.stringify({ partitions: [0, 1, 2].map((partition) => ({ topic: TOPIC, partition })) }));
    const r = await tool("kafka-leader-election", "--election-type", "preferred", "--path-to-json-file", file);
    expect(r.code, shown(r)).toBe(0);
    expect(listed(r.stdout, "Valid replica already elected for partitions ")).toEqual([`${TOPIC}-0`, `${TOPIC}-1`, `${TOPIC}-2`]);
    // A broker-only node forwards the request to the controller, as Kafka's brokers do.
    const forwarded = await withWire(cluster.node(1).bootstrap, (c) =>
      c.request(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: TOPIC, partitions: [1, 5] }], timeoutMs: 30_000 }),
    );
    expect(forwarded).toMatchObject({
      errorCode: 0,
      replicaElectionResults: [
        {
          topic: TOPIC,
          partitionResult: [
            { partitionId: 1, errorCode: 84, errorMessage: "Leader election not needed for topic partition." },
            { partitionId: 5, errorCode: 3, errorMessage: `No such partition as ${TOPIC}-5` },
          ],
        },
      ],
    });
  });

  it("a missing partition is an error the tool reports with Kafka's text", async () => {
    const r = await tool("kafka-leader-election", "--election-type", "preferred", "--topic", TOPIC, "--partition", "9");
    expect(r.code, shown(r)).not.toBe(0);
    expect(r.stdout).toContain(
      `Error completing leader election (PREFERRED) for partition: ${TOPIC}-9: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: No such partition as ${TOPIC}-9`,
    );
  });

  it("an offline partition (unclean.leader.election.enable=false) is led again by an unclean election, not a preferred one", async () => {
    await createTopic(cluster, OFFLINE, [[1, 2]]);
    // Broker 2 goes first (the ISR shrinks to [1]), then 1, the last ISR member; 2 comes back.
    await killAndWaitFenced(cluster, 2, OFFLINE);
    await cluster.node(1).stop("SIGKILL");
    await waitFor("the partition offline", async () => (await partitions(cluster, OFFLINE))[0]!.leader === -1);
    await cluster.node(2).launch();
    // Broker 2 is unfenced again (only then may it rejoin an ISR), and the partition stays offline.
    await waitFor("broker 2 back in the ISRs of the first topic", async () => (await partitions(cluster, TOPIC)).every((p) => p.isr.includes(2)));
    expect(await partitions(cluster, OFFLINE)).toEqual([{ partition: 0, leader: -1, replicas: [1, 2], isr: [1] }]);

    const preferred = await tool("kafka-leader-election", "--election-type", "preferred", "--topic", OFFLINE, "--partition", "0");
    expect(preferred.code, shown(preferred)).not.toBe(0);
    expect(preferred.stdout).toContain(
      `Error completing leader election (PREFERRED) for partition: ${OFFLINE}-0: org.apache.kafka.common.errors.PreferredLeaderNotAvailableException: The preferred leader was not available.`,
    );

    const unclean = await tool("kafka-leader-election", "--election-type", "unclean", "--topic", OFFLINE, "--partition", "0");
    expect(unclean.code, shown(unclean)).toBe(0);
    expect(unclean.stdout).toContain(`Successfully completed leader election (UNCLEAN) for partitions ${OFFLINE}-0`);
    await waitFor("broker 2 leading the partition", async () => (await partitions(cluster, OFFLINE))[0]!.leader === 2);
    expect((await partitions(cluster, OFFLINE))[0]!.isr).toEqual([2]);

    const again = await tool("kafka-leader-election", "--election-type", "unclean", "--topic", OFFLINE, "--partition", "0");
    expect(again.code, shown(again)).toBe(0);
    expect(again.stdout).toContain(`Valid replica already elected for partitions ${OFFLINE}-0`);
  });

  it("kafka-topics --describe (DescribeTopicPartitions, one partition per reply) prints leaders, ISRs and empty ELR fields", async () => {
    const r = await tool("kafka-topics", "--describe", "--topic", `${TOPIC}.*`, "--partition-size-limit-per-response", "1");
    expect(r.code, shown(r)).toBe(0);
    const topics = parseTopicDescribe(r.stdout);
    expect(topics.map((t) => t.topic).sort()).toEqual([TOPIC, OFFLINE]);
    const elect = topics.find((t) => t.topic === TOPIC);
    const offline = topics.find((t) => t.topic === OFFLINE);
    expect(elect!.partitions.map((p) => [p.partition, p.leader, p.replicas, p.elr, p.lastKnownElr])).toEqual([
      [0, expect.any(String), "1,2,0", "", ""],
      [1, expect.any(String), "2,0,1", "", ""],
      [2, expect.any(String), "1,0,2", "", ""],
    ]);
    // Broker 1 is down: it is in no ISR. Kafka 3.9 prints the (empty) ELR lists as empty fields.
    expect(offline!.partitions).toEqual([{ partition: 0, leader: "2", replicas: "1,2", isr: "2", elr: "", lastKnownElr: "" }]);
    expect(r.stdout.split("\n")).toContain(`\tTopic: ${OFFLINE}\tPartition: 0\tLeader: 2\tReplicas: 1,2\tIsr: 2\tElr: \tLastKnownElr: `);
  });
});

describe("automatic preferred-leader rebalance", () => {
  const TOPIC = "rebalanced";
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.start(3, { ...FAST_FENCING, "leader.imbalance.check.interval.seconds": "2" });
    await createTopic(cluster, TOPIC, [
      [1, 2, 0],
      [2, 0, 1],
    ]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  });

  it("the controller moves the lead back to a restarted preferred replica once it is in the ISR", async () => {
    await killAndWaitFenced(cluster, 1, TOPIC);
    expect((await partitions(cluster, TOPIC))[0]!.leader).not.toBe(1);
    await cluster.node(1).launch();
    const ps = await waitFor("broker 1 leading partition 0 again, in every ISR", async () => {
      const now = await partitions(cluster, TOPIC);
      return now[0]!.leader === 1 && now.every((p) => p.isr.includes(1)) && now;
    });
    expect(ps.map((p) => p.leader)).toEqual([1, 2]);
  });
});
