// One consumer group shared by different clients against a real `samsa broker` process. The
// clients must agree on an assignor, i.e. on a protocol name and the standard consumer
// protocol encoding: "roundrobin" is that common ground. librdkafka (kcat, confluent_kafka) and
// kafka-python ship a "roundrobin" assignor; kafkajs' built-in one is named
// "RoundRobinAssigner", so the kafkajs members use test/helpers/roundrobin-assigner.ts, a
// custom assigner named "roundrobin". Whichever member leads computes the assignment for all,
// so the test runs once with a kafkajs leader and once with a librdkafka leader.
import { fileURLToPath } from "node:url";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import {
  committedOffsets,
  createTopic,
  endOffsets,
  JsonLinesChild,
  produceEach,
  sleep,
  waitFor,
  waitForStableSplit,
  type Assignment,
  brokerErrors,
} from "./helpers/groups.ts";
import { roundRobinAssigner } from "./helpers/roundrobin-assigner.ts";
import { PYTHON } from "./helpers/run.ts";

const CONFLUENT = fileURLToPath(new URL("./python/groups_confluent_member.py", import.meta.url));
const KAFKA_PYTHON = fileURLToPath(new URL("./python/groups_kafka_python_member.py", import.meta.url));

let node: BrokerNode;
const children: JsonLinesChild[] = [];
const consumers: Consumer[] = [];

beforeAll(async () => {
  node = await BrokerNode.start({ "group.initial.rebalance.delay.ms": "0", "num.partitions": "1" });
});

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
  for (const c of children) await c.kill().catch(() => {});
  await node?.destroy();
});

const context = (...cs: JsonLinesChild[]) => `${cs.map((c) => c.describe()).join("\n")}\n--- broker (tail) ---\n${node.output.slice(-3000)}`;

interface JsMember {
  consumer: Consumer;
  got: string[];
  isLeader: boolean;
  assignment: Assignment;
  memberId: string;
}

async function kafkajsMember(group: string, topic: string, clientId: string): Promise<JsMember> {
  const kafka = new Kafka({ clientId, brokers: [node.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 2000 } });
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, rebalanceTimeout: 15_000, heartbeatInterval: 500, maxWaitTimeInMs: 250, partitionAssigners: [roundRobinAssigner] });
  consumers.push(consumer);
  const m: JsMember = { consumer, got: [], isLeader: false, assignment: {}, memberId: "" };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    m.isLeader = e.payload.isLeader;
    m.assignment = e.payload.memberAssignment;
    m.memberId = e.payload.memberId;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void m.got.push(message.value?.toString() ?? "") });
  return m;
}

function kcatMember(group: string, topic: string, clientId: string): JsonLinesChild {
  const c = JsonLinesChild.spawn("kcat", [
    "-b", node.bootstrap, "-G", group, topic,
    "-X", `client.id=${clientId}`,
    "-X", "partition.assignment.strategy=roundrobin",
    "-X", "session.timeout.ms=10000",
    "-X", "heartbeat.interval.ms=500",
    "-X", "auto.offset.reset=earliest",
    "-X", "auto.commit.interval.ms=200",
    "-J", "-u",
  ]);
  children.push(c);
  return c;
}

function confluentMember(group: string, topic: string, clientId: string): JsonLinesChild {
  const c = JsonLinesChild.spawn(PYTHON, [CONFLUENT, node.bootstrap, group, topic, `conf.client.id=${clientId}`, "assignor=roundrobin", "session=10000", "commit=sync"]);
  children.push(c);
  return c;
}

function kafkaPythonMember(group: string, topic: string, clientId: string): JsonLinesChild {
  const c = JsonLinesChild.spawn(PYTHON, [KAFKA_PYTHON, node.bootstrap, group, topic, `client_id=${clientId}`, "assignor=roundrobin", "session=10000", "commit=sync"]);
  children.push(c);
  return c;
}

const childValues = (c: JsonLinesChild) =>
  c.lines.filter((l) => l.event === "message" || (l.event === undefined && "payload" in l)).map((l) => String(l.value ?? l.payload));

function expectExactlyOnce(got: string[], expected: string[], what: string): void {
  const c = new Map<string, number>();
  for (const v of got) c.set(v, (c.get(v) ?? 0) + 1);
  const dups = [...c].filter(([, n]) => n > 1).map(([v, n]) => `${v}×${n}`);
  const missing = expected.filter((v) => !c.has(v));
  const extra = [...c.keys()].filter((v) => !expected.includes(v));
  expect({ dups: dups.slice(0, 20), missing: missing.slice(0, 20), extra: extra.slice(0, 20) }, what).toEqual({ dups: [], missing: [], extra: [] });
}

async function waitCommittedAtEnd(group: string, topic: string, partitions: number): Promise<void> {
  const end = await endOffsets(node.bootstrap, topic, partitions);
  await waitFor(`group ${group} committed offsets to reach ${JSON.stringify(end)}`, async () =>
    JSON.stringify(await committedOffsets(node.bootstrap, group, topic, partitions)) === JSON.stringify(end),
  );
}

/**
 * kafkajs + kcat + confluent_kafka + kafka-python in one "roundrobin" group on 8 partitions:
 * every kind gets 2 partitions, none shared, all covered; every message consumed once. Then the
 * first member leaves and the other three split the partitions among themselves.
 */
async function mixedGroup(group: string, topic: string, leader: "kafkajs" | "kcat"): Promise<void> {
  await createTopic(node.bootstrap, topic, 8);
  let js: JsMember | undefined;
  let kc: JsonLinesChild | undefined;
  if (leader === "kafkajs") js = await kafkajsMember(group, topic, "mix-kafkajs");
  else kc = kcatMember(group, topic, "mix-kcat");
  await waitForStableSplit(node.bootstrap, group, topic, 1, 8);
  if (leader === "kafkajs") kc = kcatMember(group, topic, "mix-kcat");
  else js = await kafkajsMember(group, topic, "mix-kafkajs");
  const cf = confluentMember(group, topic, "mix-confluent");
  const kp = kafkaPythonMember(group, topic, "mix-kafka-python");
  const kids = [kc!, cf, kp];

  const g = await waitForStableSplit(node.bootstrap, group, topic, 4, 8, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${context(...kids)}`);
  });
  expect(g.protocolType).toBe("consumer");
  expect(g.protocol).toBe("roundrobin");
  const byClient = Object.fromEntries(g.members.map((m) => [m.clientId, m.assignment[topic] ?? []]));
  expect(Object.keys(byClient).sort()).toEqual(["mix-confluent", "mix-kafka-python", "mix-kafkajs", "mix-kcat"]);
  for (const [client, parts] of Object.entries(byClient)) expect(parts, `${client}'s share of 8 partitions among 4`).toHaveLength(2);
  await waitFor("the kafkajs member's own assignment to match the broker's", () => JSON.stringify([...(js!.assignment[topic] ?? [])].sort()) === JSON.stringify(byClient["mix-kafkajs"]));
  expect(js!.isLeader, `kafkajs member ${leader === "kafkajs" ? "is" : "is not"} the leader`).toBe(leader === "kafkajs");

  const produced = await produceEach(node.bootstrap, topic, 8, 10, "m");
  const all = () => [...js!.got, ...kids.flatMap(childValues)];
  await waitFor("80 messages consumed by the mixed group", () => all().length >= 80).catch((e: Error) => {
    throw new Error(`${e.message}\n${context(...kids)}`);
  });
  await waitCommittedAtEnd(group, topic, 8);
  await sleep(500);
  expectExactlyOnce(all(), produced, "mixed group");
  expect(js!.got.length, "kafkajs consumed its partitions").toBe(20);
  for (const k of kids) expect(childValues(k).length, k.describe()).toBe(20);

  // The first member (the leader) leaves: the other three take over its partitions.
  if (leader === "kafkajs") await js!.consumer.disconnect();
  else {
    kc!.child.kill("SIGTERM");
    await kc!.exited;
  }
  const after = await waitForStableSplit(node.bootstrap, group, topic, 3, 8, 30_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${context(...kids)}`);
  });
  expect(after.protocol).toBe("roundrobin");
  const produced2 = await produceEach(node.bootstrap, topic, 8, 5, "n");
  await waitFor("40 more messages consumed", () => all().filter((v) => v.startsWith("n-")).length >= 40);
  await waitCommittedAtEnd(group, topic, 8);
  await sleep(500);
  expectExactlyOnce(all().filter((v) => v.startsWith("n-")), produced2, "after the leader left");
  expectExactlyOnce(all().filter((v) => v.startsWith("m-")), produced, "nothing re-delivered");

  if (leader === "kcat") await js!.consumer.disconnect();
  for (const k of kids) {
    if (!k.alive) continue;
    if (k === kc) k.child.kill("SIGTERM");
    else k.send("close");
    await k.exited;
  }
}

describe("a group mixing kafkajs, kcat, confluent_kafka and kafka-python on the roundrobin protocol", () => {
  it("with a kafkajs leader: disjoint shares covering the topic, every message once, take-over after the leader leaves", async () => {
    await mixedGroup("mixed-js-leader", "mixed-a", "kafkajs");
  });

  it("with a librdkafka (kcat) leader: the same", async () => {
    await mixedGroup("mixed-rd-leader", "mixed-b", "kcat");
  });

  it("the broker is still alive and logged no internal errors", () => {
    expect(node.alive, context()).toBe(true);
    expect(brokerErrors(node.output)).toEqual([]);
  });
});
