// Partition reassignment (KIP-455, issue 11) on a real three-node cluster (node 0 is the
// controller; the admin requests go to broker-only nodes, which forward them): a partition
// moved from {0,1} to {1,2} while an idempotent acks=all producer and a consumer group run
// (nothing acknowledged lost, every record consumed once, broker 0's copy deleted, broker 2's
// byte-identical to the leader's, the state-change log telling it); a topic's replication
// factor raised from 1 to 3 and lowered back; a reassignment cancelled midway (its adding
// replica SIGSTOPped, so it cannot catch up) back to the original replicas; Kafka's errors.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../broker/protocol/errors.ts";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { readStateChanges, waitFor, withWire } from "./helpers/groups.ts";
import { partitionLogBytes } from "./helpers/replica-files.ts";

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

async function partitionState(topic: string): Promise<{ leader: number; replicas: number[]; isr: number[] }> {
  return withAdmin(async (a) => {
    const p = (await a.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions[0]!;
    return { leader: p.leader, replicas: p.replicas, isr: [...p.isr].sort() };
  });
}

const reassign = (topic: string, replicas: number[]) => withAdmin((a) => a.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition: 0, replicas }] }] }));

async function ongoing(topic: string) {
  return withAdmin(async (a) => (await a.listPartitionReassignments({ topics: [{ topic, partitions: [0] }] })).topics);
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
    const consumer = kafka.consumer({ groupId: "moving-reader", maxWaitTimeInMs: 200 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });

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
    await waitFor("the consumer saw every acknowledged record", () => acked.every((v) => seen.includes(v)), 60_000);
    await consumer.disconnect();
    // Every acknowledged record exactly once, in the order it was sent.
    expect(seen).toEqual(acked);

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

    await reassign(topic, [2]);
    await waitFor("one replica again", async () => (await partitionState(topic)).replicas.join() === "2");
    expect(await partitionState(topic)).toMatchObject({ leader: 2, isr: [2] });
    await waitFor("the removed copies deleted", () => !hosts(0, topic) && !hosts(1, topic));
    // Still all there, read from the one replica left.
    const offsets = await withAdmin((a) => a.fetchTopicOffsets(topic));
    expect(offsets[0]!.high).toBe("300");
  }, 90_000);

  it("cancels a reassignment midway (its adding replica stopped) and finds the original assignment intact", async () => {
    const topic = "cancelled";
    await createTopic(topic, [0, 1]);
    await produceRange(topic, 0, 100);
    // Broker 2 cannot fetch while stopped: the reassignment cannot finish.
    process.kill(cluster.node(2).pid, "SIGSTOP");
    try {
      await reassign(topic, [1, 2]);
      // (kafkajs answers with `name` and `partition`, whatever its types say.)
      expect(await ongoing(topic)).toEqual([{ name: topic, partitions: [{ partition: 0, replicas: [1, 2, 0], addingReplicas: [2], removingReplicas: [0] }] }]);
      // kafkajs cannot send a null target; the generated codec can.
      const cancel = await withWire(cluster.node(1).bootstrap, (wire) =>
        wire.request(ApiKey.AlterPartitionReassignments, 0, { timeoutMs: 10_000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas: null }] }] }),
      );
      expect(cancel.responses[0]!.partitions[0]).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    } finally {
      process.kill(cluster.node(2).pid, "SIGCONT");
    }
    expect(await ongoing(topic)).toEqual([]);
    const p = await partitionState(topic);
    // Kafka's revert keeps the current order less the adding replicas: [1, 0].
    expect(p).toMatchObject({ replicas: [1, 0], isr: [0, 1], leader: 0 });
    const told = await waitFor("the cancel in __state_changes", async () => {
      const all = (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.machine === "reassignment" && e.subject === `${topic}-0`);
      return all.length >= 2 ? all : null;
    });
    expect(told.map((e) => e.to)).toEqual(["Reassigning", "Cancelled"]);
    // Broker 2, stopped throughout, holds no copy; the original replicas go on replicating.
    await produceRange(topic, 100, 150);
    expect(hosts(2, topic)).toBe(false);
    await waitFor("broker 1's copy identical to leader 0's", () => logOf(1, topic).equals(logOf(0, topic)));
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
