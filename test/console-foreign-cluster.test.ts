// The console's watcher on a cluster without __state_changes, as Apache Kafka or Redpanda is:
// a real broker started with state.change.log.enable=false, real kafkajs consumers. The
// watcher derives partition events from metadata snapshots and group events from ListGroups
// and DescribeGroups, and the derived events chain (each starts where the last one ended).
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { EventHub, type ObservedEvent } from "../server/kafka/events.ts";
import { GroupsClient } from "../server/kafka/groups.ts";
import { ClusterWatcher, STATE_CHANGES_TOPIC } from "../server/kafka/watcher.ts";
import { BrokerNode } from "./helpers/broker-node.ts";

let node: BrokerNode;
let conn: ClusterConnection;
let groups: GroupsClient;
let watcher: ClusterWatcher;
const hub = new EventHub(10_000);
const kafka = () => new Kafka({ clientId: "foreign-it", brokers: [node.bootstrap], logLevel: logLevel.NOTHING });

beforeAll(async () => {
  node = await BrokerNode.start({ "state.change.log.enable": "false", "offsets.topic.num.partitions": "3", "group.initial.rebalance.delay.ms": "0" });
  conn = new ClusterConnection("foreign", [node.bootstrap]);
  groups = new GroupsClient(conn);
  watcher = new ClusterWatcher(conn, hub, null, { intervalMs: 200, groups, log: () => {} });
  watcher.start();
});

afterAll(async () => {
  await watcher?.stop();
  await conn?.close();
  await node?.destroy();
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const groupEvents = (group: string): ObservedEvent[] => hub.recent(10_000).filter((e) => e.machine === "group" && e.subject === group);

async function joinedConsumer(group: string, topic: string): Promise<{ consumer: Consumer; memberId: string }> {
  const consumer = kafka().consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500 });
  let memberId = "";
  consumer.on(consumer.events.GROUP_JOIN, (e) => (memberId = e.payload.memberId));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  await until(`${group} joined`, () => memberId !== "" && memberId);
  return { consumer, memberId };
}

describe("console watcher on a cluster without __state_changes", () => {
  it("diffs metadata snapshots: the cluster has no __state_changes and a created topic shows as new partitions", async () => {
    await until("metadata-diff mode", () => watcher.mode === "metadata-diff");
    expect((await conn.snapshot(0)).byName.has(STATE_CHANGES_TOPIC)).toBe(false);
    await conn.createTopic({ name: "derived-topic", partitions: 2, replicationFactor: 1, configs: {} });
    const created = await until("both partitions derived", () => {
      const mine = hub.recent(10_000).filter((e) => e.machine === "partition" && e.subject.startsWith("derived-topic-"));
      return mine.length === 2 && mine;
    });
    expect(created.map((e) => e.subject).sort()).toEqual(["derived-topic-0", "derived-topic-1"]);
    for (const e of created) expect(e).toMatchObject({ from: "NonExistentPartition", to: "OnlinePartition", source: "derived", offset: null, cause: "topic derived-topic created" });
    await conn.deleteTopic("derived-topic");
    await until("deletion derived", () => hub.recent(10_000).some((e) => e.subject === "derived-topic-0" && e.to === "NonExistentPartition"));
  });

  it("derives a group's transitions from group descriptions as consumers join and leave, ending Dead when deleted", async () => {
    const topic = "orders";
    const group = "derived-group";
    await conn.createTopic({ name: topic, partitions: 2, replicationFactor: 1, configs: {} });
    await until("topic in metadata", async () => (await conn.snapshot(0)).byName.has(topic));

    const a = await joinedConsumer(group, topic);
    const stableWithA = await until("Stable with the first member", () => groupEvents(group).find((e) => e.to === "Stable"));
    expect(stableWithA).toMatchObject({ source: "derived", offset: null, details: { members: 1, protocolType: "consumer", protocol: "RoundRobinAssigner" } });
    expect(groupEvents(group).flatMap((e) => e.details.joined as string[])).toContain(a.memberId);

    const b = await joinedConsumer(group, topic);
    await until("Stable with both members", () => groupEvents(group).some((e) => e.to === "Stable" && e.details.members === 2));
    expect(groupEvents(group).flatMap((e) => e.details.joined as string[])).toContain(b.memberId);

    await b.consumer.disconnect();
    await until("the second member left", () => groupEvents(group).some((e) => (e.details.left as string[] | undefined)?.includes(b.memberId)));
    await a.consumer.disconnect();
    await until("Empty", () => groupEvents(group).at(-1)?.to === "Empty" && true);

    await groups.delete(group);
    const dead = await until("Dead", () => groupEvents(group).find((e) => e.to === "Dead"));
    expect(dead).toMatchObject({ from: "Empty", cause: "group deleted or expired" });

    // One chain: every derived event starts in the state the previous one ended in.
    const chain = groupEvents(group);
    expect(chain[0]!.from).toBe("Empty");
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.from).toBe(chain[i - 1]!.to);
    expect(chain.at(-1)!.to).toBe("Dead");
  });
});
