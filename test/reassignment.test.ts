// Partition reassignment (KIP-455, issue 11) on a real three-node cluster (node 0 is the
// controller; the admin requests go to broker-only nodes, which forward them): a partition
// moved from {0,1} to {1,2} while an idempotent acks=all producer and a kcat group consumer run
// (nothing acknowledged lost, every record consumed once, broker 0's copy deleted, broker 2's
// byte-identical to the leader's, the state-change log telling it); a topic's replication
// factor raised from 1 to 3 and lowered back; a reassignment cancelled midway (one adding
// replica caught up, the other SIGSTOPped so it cannot finish) back to the original replica,
// the caught-up copy deleted; Kafka's errors.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../broker/protocol/errors.ts";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { ZERO_UUID } from "../broker/protocol/generated/support.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { JsonLinesChild, readStateChanges, waitFor, withWire } from "./helpers/groups.ts";
import { partitionLogBytes } from "./helpers/replica-files.ts";
import { kcat, parseKcatJson } from "./helpers/run.ts";

let cluster: TestCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await TestCluster.start(3, { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500" });
  // Through broker-only nodes: AlterPartitionReassignments is forwarded to node 0.
  kafka = new Kafka({ clientId: "reassignment-it", brokers: [cluster.node(1).bootstrap, cluster.node(2).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200 } });
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
});

async function withAdmin<T>(fn: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function createTopic(topic: string, replicas: number[]): Promise<void> {
  await withAdmin((a) => a.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas }] }], waitForLeaders: true }));
}

/** Partition 0 as broker 1's metadata has it (over the generated codec: it answers while broker 2 is stopped). */
async function partitionState(topic: string): Promise<{ leader: number; replicas: number[]; isr: number[] }> {
  const md = await withWire(cluster.node(1).bootstrap, (c) =>
    c.request(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
  );
  const p = md.topics[0]!.partitions.find((x) => x.partitionIndex === 0)!;
  return { leader: p.leaderId, replicas: p.replicaNodes, isr: [...p.isrNodes].sort() };
}

const reassign = (topic: string, replicas: number[]) => withAdmin((a) => a.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas }] }] }));

/**
 * ListPartitionReassignments over the generated codec (from a broker-only node). kafkajs's
 * own call first refreshes metadata for every topic and gives up while any partition of the
 * cluster is leaderless (as when a broker is stopped).
 */
async function ongoing(topic: string) {
  const res = await withWire(cluster.node(1).bootstrap, (wire) => wire.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 10_000, topics: [{ name: topic, partitionIndexes: [0] }] }));
  expect(res.errorCode).toBe(ErrorCode.NONE);
  return res.topics;
}

/** AlterPartitionReassignments for partition 0 over the generated codec (kafkajs cannot send a null target). */
async function reassignOverWire(topic: string, replicas: number[] | null) {
  const res = await withWire(cluster.node(1).bootstrap, (wire) =>
    wire.request(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 10_000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas }] }] }),
  );
  return res.responses[0]!.partitions[0]!;
}

const logOf = (node: number, topic: string) => partitionLogBytes(cluster.node(node).dataDir, topic, 0);
const hosts = (node: number, topic: string) => existsSync(join(cluster.node(node).dataDir, "logs", `${topic}-0`));

async function produceRange(topic: string, from: number, to: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = from; i < to; i += 20) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(20, to - i) }, (_, j) => ({ value: `r${i + j}`, partition: 0 })) });
    }
  } finally {
    await producer.disconnect();
  }
}

describe("AlterPartitionReassignments and ListPartitionReassignments", () => {
  it("moves a partition from {0,1} to {1,2} under a producer and a consumer: nothing lost, nothing twice, broker 0's copy deleted", async () => {
    const topic = "moving";
    await createTopic(topic, [0, 1]);
    // A librdkafka group consumer (kcat -G) reads throughout. (kafkajs's consumer rejoins its
    // group when a fetch meets NOT_LEADER_FOR_PARTITION and redelivers what it had not
    // committed yet: at-least-once by design, as against Apache Kafka.)
    const reader = JsonLinesChild.spawn("kcat", ["-b", cluster.bootstrap, "-G", "moving-readers", topic, "-J", "-q", "-u", "-X", "auto.offset.reset=earliest"]);
    const seen = () => reader.lines.map((l) => l.payload as string);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
    await producer.connect();
    const acked: string[] = [];
    const failed: string[] = [];
    let stop = false;
    const sending = (async () => {
      for (let i = 0; !stop || i < 400; i++) {
        const value = `m${i}`;
        try {
          await producer.send({ topic, acks: -1, messages: [{ value, partition: 0 }] });
          acked.push(value);
        } catch {
          failed.push(value);
        }
      }
    })();
    try {
      await waitFor("200 records acknowledged before the move", () => acked.length >= 200);
      await reassign(topic, [1, 2]);
      await waitFor("the reassignment done", async () => (await ongoing(topic)).length === 0 && (await partitionState(topic)).replicas.join() === "1,2", 60_000);
      const moved = await partitionState(topic);
      expect(moved.isr).toEqual([1, 2]);
      expect([1, 2]).toContain(moved.leader);
      const at = acked.length;
      await waitFor("200 more records acknowledged after the move", () => acked.length >= at + 200);
      stop = true;
      await sending;
    } finally {
      stop = true;
      await producer.disconnect();
    }
    expect(failed).toEqual([]);
    try {
      await waitFor("the consumer saw every acknowledged record", () => seen().length >= acked.length, 60_000);
    } catch (e) {
      throw new Error(`${String(e)}: ${seen().length} of ${acked.length} seen\n${reader.describe()}`);
    } finally {
      await reader.kill("SIGTERM");
    }
    // The log holds every acknowledged record exactly once, in the order it was sent (kcat
    // reads it from the new leader), and the consumer group saw each once.
    const r = await kcat(cluster.node(1).bootstrap, ["-C", "-t", topic, "-o", "beginning", "-e", "-J"], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const logged = parseKcatJson(r.stdout).map((m) => m.payload);
    expect(logged).toEqual(acked);
    expect(seen()).toEqual(acked);

    // Broker 0's copy is gone; broker 2 holds the leader's log byte for byte.
    await waitFor("broker 0's directory deleted", () => !hosts(0, topic));
    const { leader } = await partitionState(topic);
    await waitFor("broker 2's log identical to the leader's", () => {
      const mine = logOf(2, topic);
      return mine.length > 0 && mine.equals(logOf(leader, topic));
    });

    // The story in __state_changes: broker 2's replica new then online, broker 0's taken out
    // by the controller and its deletion finished by broker 0 itself.
    const events = await waitFor("the deletion reported", async () => {
      const all = (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.subject.startsWith(`${topic}-0`));
      return all.some((e) => e.to === "NonExistentReplica") ? all : null;
    });
    const replicaSteps = (broker: number) => events.filter((e) => e.machine === "replica" && e.subject === `${topic}-0@${broker}` && e.from !== "InSync" && e.from !== "OutOfSync").map((e) => `${e.to}@${e.node}`);
    expect(replicaSteps(2)).toEqual(["NewReplica@0", "OnlineReplica@0"]);
    expect(replicaSteps(0).slice(-4)).toEqual(["OfflineReplica@0", "ReplicaDeletionStarted@0", "ReplicaDeletionSuccessful@0", "NonExistentReplica@0"]);
    expect(events.filter((e) => e.machine === "reassignment").map((e) => [e.to, e.details.from, e.details.to])).toEqual([
      ["Reassigning", [0, 1], [1, 2]],
      ["Completed", undefined, undefined],
    ]);
    const deletion = events.find((e) => e.to === "ReplicaDeletionSuccessful")!;
    expect(deletion.cause).toBe("log deleted on broker 0: replica reassigned away");
  }, 120_000);

  it("raises a topic's replication factor from 1 to 3 and lowers it back", async () => {
    const topic = "growing";
    await createTopic(topic, [1]);
    await produceRange(topic, 0, 300);
    await reassign(topic, [1, 0, 2]);
    await waitFor("three replicas in sync", async () => {
      const p = await partitionState(topic);
      return (await ongoing(topic)).length === 0 && p.replicas.join() === "1,0,2" && p.isr.join() === "0,1,2";
    }, 60_000);
    await waitFor("the new copies identical to the leader's", () => [0, 2].every((n) => logOf(n, topic).equals(logOf(1, topic))));

    await reassign(topic, [0]);
    await waitFor("one replica again", async () => (await partitionState(topic)).replicas.join() === "0");
    expect(await partitionState(topic)).toMatchObject({ leader: 0, isr: [0] });
    await waitFor("the removed copies deleted", () => !hosts(1, topic) && !hosts(2, topic));
    // Still all there, read from the one replica left.
    const offsets = await withAdmin((a) => a.fetchTopicOffsets(topic));
    expect(offsets[0]!.high).toBe("300");
  }, 90_000);

  it("cancels a reassignment midway (one adding replica caught up, the other stopped) and finds the original assignment intact", async () => {
    const topic = "cancelled";
    await createTopic(topic, [0]);
    await produceRange(topic, 0, 100);
    // Broker 2 cannot fetch while stopped: the reassignment to three replicas cannot finish,
    // while broker 1 catches up and joins the ISR.
    process.kill(cluster.node(2).pid, "SIGSTOP");
    try {
      expect(await reassignOverWire(topic, [0, 1, 2])).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null });
      await waitFor("broker 1 in the ISR with a full copy", async () => (await partitionState(topic)).isr.join() === "0,1" && logOf(1, topic).equals(logOf(0, topic)));
      expect(await ongoing(topic)).toEqual([{ name: topic, partitions: [{ partitionIndex: 0, replicas: [0, 1, 2], addingReplicas: [1, 2], removingReplicas: [] }] }]);
      expect(await reassignOverWire(topic, null)).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    } finally {
      process.kill(cluster.node(2).pid, "SIGCONT");
    }
    expect(await ongoing(topic)).toEqual([]);
    // Back to the one replica it had; broker 1's caught-up copy goes with the cancel.
    // (Broker metadata follows the controller's commit shortly after the reply, as in Kafka.)
    await waitFor("broker 1's metadata has the revert", async () => (await partitionState(topic)).replicas.join() === "0");
    expect(await partitionState(topic)).toMatchObject({ replicas: [0], isr: [0], leader: 0 });
    await waitFor("broker 1's copy deleted", () => !hosts(1, topic));
    await produceRange(topic, 100, 150);
    // Broker 2, resumed, may replay the addition (creating a copy) before the revert: either
    // way it ends with none.
    await waitFor("no copy on broker 2", () => !hosts(2, topic));
    expect((await withAdmin((a) => a.fetchTopicOffsets(topic)))[0]!.high).toBe("150");

    const events = await waitFor("the cancel and the deletion in __state_changes", async () => {
      const all = (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.subject.startsWith(`${topic}-0`));
      return all.some((e) => e.subject === `${topic}-0@1` && e.to === "NonExistentReplica") ? all : null;
    });
    expect(events.filter((e) => e.machine === "reassignment").map((e) => [e.to, e.cause])).toEqual([
      ["Reassigning", "reassignment started"],
      ["Reassigning", "adding replica 1 caught up and joined the ISR"],
      ["Cancelled", "reassignment cancelled; dropped [1, 2]"],
    ]);
    const removed = events.filter((e) => e.subject === `${topic}-0@1` && e.machine === "replica" && e.from !== "InSync" && e.from !== "OutOfSync");
    // Broker 1 (a broker-only node) reports its own log's deletion.
    expect(removed.map((e) => `${e.to}@${e.node}`).slice(-4)).toEqual(["OfflineReplica@0", "ReplicaDeletionStarted@0", "ReplicaDeletionSuccessful@1", "NonExistentReplica@1"]);
  }, 90_000);

  it("answers Kafka's errors for bad plans, and NO_REASSIGNMENT_IN_PROGRESS for a cancel of nothing", async () => {
    const topic = "plans";
    await createTopic(topic, [0, 1]);
    const res = await withWire(cluster.node(2).bootstrap, (wire) =>
      wire.request(ApiKey.AlterPartitionReassignments, 0, {
        timeoutMs: 10_000,
        topics: [
          {
            name: topic,
            partitions: [
              { partitionIndex: 0, replicas: [1, 1] },
              { partitionIndex: 0, replicas: [1, 9] },
              { partitionIndex: 0, replicas: [] },
              { partitionIndex: 0, replicas: null },
              { partitionIndex: 4, replicas: [0] },
            ],
          },
          { name: "no-such-topic", partitions: [{ partitionIndex: 0, replicas: [0] }] },
        ],
      }),
    );
    expect(res.errorCode).toBe(ErrorCode.NONE);
    expect(res.responses.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.errorMessage]) }))).toEqual([
      {
        name: topic,
        partitions: [
          [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes the broker 1 more than once."],
          [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes broker 9, but no such broker is registered."],
          [0, ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list."],
          [0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null],
          [4, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}:4.`],
        ],
      },
      { name: "no-such-topic", partitions: [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Unable to find a topic named no-such-topic."]] },
    ]);
    expect((await partitionState(topic)).replicas).toEqual([0, 1]);
    const list = await withWire(cluster.node(1).bootstrap, (wire) => wire.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 10_000, topics: null }));
    expect(list).toMatchObject({ errorCode: 0, topics: [] });
  }, 60_000);
});
