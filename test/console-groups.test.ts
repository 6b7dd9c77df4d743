// Consumer groups as the console reads and changes them, against a real broker with a kafkajs
// consumer group: listing with states, members and assignments, committed offsets and lag,
// the groups consuming a topic, and Kafka's rule that offsets are reset and groups deleted
// only while a group is Empty.
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { GroupsClient } from "../server/kafka/groups.ts";
import { BrokerNode } from "./helpers/broker-node.ts";

let node: BrokerNode;
let conn: ClusterConnection;
let groups: GroupsClient;
let kafka: Kafka;
let consumer: Consumer | null = null;
const TOPIC = "console-groups";
const GROUP = "console-group";

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  node = await BrokerNode.start({ "group.initial.rebalance.delay.ms": "0" });
  conn = new ClusterConnection("it", [node.bootstrap]);
  groups = new GroupsClient(conn);
  kafka = new Kafka({ clientId: "console-groups-it", brokers: [node.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  await conn.createTopic({ name: TOPIC, partitions: 2, replicationFactor: 1, configs: {} });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `m${i}` })) });
  await producer.disconnect();
});

afterAll(async () => {
  await consumer?.disconnect().catch(() => {});
  await conn?.close();
  await node?.destroy();
});

describe("console consumer groups", () => {
  it("lists a running group with its state, members, assignment, offsets and lag", async () => {
    consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await until("10 messages consumed and committed", async () => {
      if (seen < 10) return false;
      const [g] = await groups.describe([GROUP]);
      const offsets = await groups.offsets(g!);
      return offsets.length === 2 && offsets.every((o) => o.committed === "5") && offsets;
    });
    const listed = await until("listed Stable", async () => (await groups.list(0)).find((g) => g.groupId === GROUP && g.state === "Stable"));
    expect(listed.protocolType).toBe("consumer");
    const page = await groups.page({ query: "console-", pageSize: 10 });
    expect(page.rows.map((r) => r.groupId)).toEqual([GROUP]);
    const [g] = await groups.describe([GROUP]);
    expect(g).toMatchObject({ state: "Stable", protocolType: "consumer" });
    expect(g!.members).toHaveLength(1);
    expect(g!.members[0]!.assignment).toEqual({ [TOPIC]: [0, 1] });
    const offsets = await groups.offsets(g!);
    expect(offsets.map((o) => [o.partition, o.committed, o.logEnd, o.lag, o.memberId === g!.members[0]!.memberId])).toEqual([
      [0, "5", "5", 0, true],
      [1, "5", "5", 0, true],
    ]);
  });

  it("refuses to reset offsets or delete while the group has members, saying why", async () => {
    await expect(groups.resetOffsets(GROUP, TOPIC, { kind: "earliest" })).rejects.toMatchObject({
      code: "NON_EMPTY_GROUP",
      message: expect.stringMatching(/only when it is Empty.*Stable with 1 member: stop its consumers first/),
    });
    await expect(groups.delete(GROUP)).rejects.toMatchObject({ code: "NON_EMPTY_GROUP" });
  });

  it("reads the lag of a page of groups at once, groups with only committed offsets (no members) included", async () => {
    // Offsets committed without a member (generation -1), as kafka-consumer-groups does.
    await groups.resetOffsets("memberless-a", TOPIC, { kind: "earliest" });
    await groups.resetOffsets("memberless-b", TOPIC, { kind: "offset", offset: 4n });
    const listed = await until("both listed", async () => {
      const page = await groups.page({ query: "memberless-" });
      return page.total === 2 && page;
    });
    expect(listed.rows.map((g) => [g.groupId, g.state])).toEqual([
      ["memberless-a", "Empty"],
      ["memberless-b", "Empty"],
    ]);
    const described = await groups.describe(["memberless-a", "memberless-b", "no-such-group"]);
    expect(described.map((g) => [g.groupId, g.state, g.members.length])).toEqual([
      ["memberless-a", "Empty", 0],
      ["memberless-b", "Empty", 0],
      ["no-such-group", "Dead", 0],
    ]);
    const lag = await groups.lag(described);
    expect(lag.get("memberless-a")!.map((o) => [o.partition, o.committed, o.logEnd, o.lag, o.memberId])).toEqual([
      [0, "0", "5", 5, null],
      [1, "0", "5", 5, null],
    ]);
    expect(lag.get("memberless-b")!.map((o) => o.lag)).toEqual([1, 1]);
    expect(lag.get("no-such-group")).toEqual([]);
    await groups.delete("memberless-a");
    await groups.delete("memberless-b");
  });

  it("finds the groups consuming a topic: by committed offsets or by assignment, with their lag on it", async () => {
    await groups.resetOffsets("memberless-c", TOPIC, { kind: "offset", offset: 2n });
    await conn.createTopic({ name: "console-groups-unread", partitions: 1, replicationFactor: 1, configs: {} });
    groups.invalidate();
    const consumers = await groups.consumersOf(TOPIC);
    expect(consumers.map((c) => [c.groupId, c.state, c.members, c.committedPartitions, c.lag])).toEqual([
      [GROUP, "Stable", 1, 2, 0],
      ["memberless-c", "Empty", 0, 2, 6],
    ]);
    expect(await groups.consumersOf("console-groups-unread")).toEqual([]);
    await groups.delete("memberless-c");
  });

  it("resets a group's offsets to a timestamp: the first offset at or after it, the log end past the last message", async () => {
    const t = 1_700_000_000_000;
    await conn.createTopic({ name: "console-groups-stamped", partitions: 1, replicationFactor: 1, configs: {} });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "console-groups-stamped", messages: [0, 1, 2, 3].map((i) => ({ value: `s${i}`, timestamp: String(t + i * 1000) })) });
    await producer.disconnect();
    expect(await groups.resetOffsets("stamped", "console-groups-stamped", { kind: "timestamp", timestamp: t + 1500 })).toEqual([{ partition: 0, offset: "2" }]);
    expect(await groups.resetOffsets("stamped", "console-groups-stamped", { kind: "timestamp", timestamp: t })).toEqual([{ partition: 0, offset: "0" }]);
    expect(await groups.resetOffsets("stamped", "console-groups-stamped", { kind: "timestamp", timestamp: t + 60_000 })).toEqual([{ partition: 0, offset: "4" }]);
    await groups.delete("stamped");
  });

  it("resets the offsets of an empty group (earliest, an offset, latest) and then deletes it", async () => {
    await consumer!.disconnect();
    consumer = null;
    await until("Empty", async () => (await groups.describe([GROUP]))[0]?.state === "Empty");
    expect(await groups.resetOffsets(GROUP, TOPIC, { kind: "earliest" })).toEqual([
      { partition: 0, offset: "0" },
      { partition: 1, offset: "0" },
    ]);
    let [g] = await groups.describe([GROUP]);
    expect((await groups.offsets(g!)).map((o) => [o.committed, o.lag])).toEqual([
      ["0", 5],
      ["0", 5],
    ]);
    await groups.resetOffsets(GROUP, TOPIC, { kind: "offset", offset: 3n });
    [g] = await groups.describe([GROUP]);
    expect((await groups.offsets(g!)).map((o) => o.committed)).toEqual(["3", "3"]);
    await groups.resetOffsets(GROUP, TOPIC, { kind: "offset", offset: 99n }); // clamped to the log end
    [g] = await groups.describe([GROUP]);
    expect((await groups.offsets(g!)).map((o) => o.committed)).toEqual(["5", "5"]);
    await expect(groups.resetOffsets(GROUP, "no-such-topic", { kind: "latest" })).rejects.toMatchObject({ code: "UNKNOWN_TOPIC_OR_PARTITION" });
    await groups.delete(GROUP);
    expect((await groups.list(0)).some((x) => x.groupId === GROUP)).toBe(false);
  });
});
