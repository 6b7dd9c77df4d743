// One consumer group shared by different clients against a real `samsa broker` process. The
// clients must agree on an assignor, i.e. on a protocol name and the standard consumer
// protocol encoding: "roundrobin" is that common ground. librdkafka (kcat, confluent_kafka) and
// kafka-python ship a "roundrobin" assignor; kafkajs' built-in one is named
// "RoundRobinAssigner", so the kafkajs members use test/helpers/roundrobin-assigner.ts, a
// custom assigner named "roundrobin". Whichever member leads computes the assignment for all,
// so the test runs once with a kafkajs leader and once with a librdkafka leader.
import { type Consumer } from "kafkajs";
import { describe, expect, it } from "vitest";
import { consumed, expectExactlyOnce, groupTestBroker } from "./helpers/group-fixture.ts";
import { createTopic, JsonLinesChild, produceEach, sleep, waitFor, type Assignment } from "./helpers/groups.ts";
import { roundRobinAssigner } from "./helpers/roundrobin-assigner.ts";

const broker = groupTestBroker();
const consumers: Consumer[] = [];
broker.onCleanup(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
});

interface JsMember {
  consumer: Consumer;
  got: string[];
  isLeader: boolean;
  assignment: Assignment;
  memberId: string;
}

async function kafkajsMember(group: string, topic: string, clientId: string): Promise<JsMember> {
  const consumer = broker.kafka(clientId).consumer({ groupId: group, sessionTimeout: 10_000, rebalanceTimeout: 15_000, heartbeatInterval: 500, maxWaitTimeInMs: 250, partitionAssigners: [roundRobinAssigner] });
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

// Every kind on the "roundrobin" assignor with 10 s sessions; the python members commit after each message.
const kcatMember = (group: string, topic: string, clientId: string) =>
  broker.kcatMember(group, topic, clientId, { "partition.assignment.strategy": "roundrobin", "session.timeout.ms": 10000 });
const confluentMember = (group: string, topic: string, clientId: string) =>
  broker.confluentMember(group, topic, clientId, "assignor=roundrobin", "session=10000", "commit=sync");
const kafkaPythonMember = (group: string, topic: string, clientId: string) =>
  broker.kafkaPythonMember(group, topic, clientId, "assignor=roundrobin", "session=10000", "commit=sync");

/**
 * kafkajs + kcat + confluent_kafka + kafka-python in one "roundrobin" group on 8 partitions:
 * every kind gets 2 partitions, none shared, all covered; every message consumed once. Then the
 * first member leaves and the other three split the partitions among themselves.
 */
async function mixedGroup(group: string, topic: string, leader: "kafkajs" | "kcat"): Promise<void> {
  await createTopic(broker.bootstrap, topic, 8);
  let js: JsMember | undefined;
  let kc: JsonLinesChild | undefined;
  if (leader === "kafkajs") js = await kafkajsMember(group, topic, "mix-kafkajs");
  else kc = kcatMember(group, topic, "mix-kcat");
  await broker.stable(group, topic, 1, 8);
  if (leader === "kafkajs") kc = kcatMember(group, topic, "mix-kcat");
  else js = await kafkajsMember(group, topic, "mix-kafkajs");
  const cf = confluentMember(group, topic, "mix-confluent");
  const kp = kafkaPythonMember(group, topic, "mix-kafka-python");
  const kids = [kc!, cf, kp];

  const g = await broker.stable(group, topic, 4, 8, 60_000, ...kids);
  expect(g.protocolType).toBe("consumer");
  expect(g.protocol).toBe("roundrobin");
  const byClient = Object.fromEntries(g.members.map((m) => [m.clientId, m.assignment[topic] ?? []]));
  expect(Object.keys(byClient).sort()).toEqual(["mix-confluent", "mix-kafka-python", "mix-kafkajs", "mix-kcat"]);
  for (const [client, parts] of Object.entries(byClient)) expect(parts, `${client}'s share of 8 partitions among 4`).toHaveLength(2);
  await waitFor("the kafkajs member's own assignment to match the broker's", () => JSON.stringify([...(js!.assignment[topic] ?? [])].sort()) === JSON.stringify(byClient["mix-kafkajs"]));
  expect(js!.isLeader, `kafkajs member ${leader === "kafkajs" ? "is" : "is not"} the leader`).toBe(leader === "kafkajs");

  const produced = await produceEach(broker.bootstrap, topic, 8, 10, "m");
  const all = () => [...js!.got, ...kids.flatMap(consumed)];
  await waitFor("80 messages consumed by the mixed group", () => all().length >= 80).catch((e: Error) => {
    throw new Error(`${e.message}\n${broker.context(...kids)}`);
  });
  await broker.waitCommittedAtEnd(group, topic, 8);
  await sleep(500);
  expectExactlyOnce(all(), produced, "mixed group");
  expect(js!.got.length, "kafkajs consumed its partitions").toBe(20);
  for (const k of kids) expect(consumed(k).length, k.describe()).toBe(20);

  // The first member (the leader) leaves: the other three take over its partitions.
  if (leader === "kafkajs") await js!.consumer.disconnect();
  else {
    kc!.child.kill("SIGTERM");
    await kc!.exited;
  }
  const after = await broker.stable(group, topic, 3, 8, 30_000, ...kids);
  expect(after.protocol).toBe("roundrobin");
  const produced2 = await produceEach(broker.bootstrap, topic, 8, 5, "n");
  await waitFor("40 more messages consumed", () => all().filter((v) => v.startsWith("n-")).length >= 40);
  await broker.waitCommittedAtEnd(group, topic, 8);
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
    broker.expectAliveWithoutErrors();
  });
});
