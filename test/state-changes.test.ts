// The group state machine as the `__state_changes` topic shows it (../shared/DESIGN.md, "The
// state-change log"): record key = group id, value = JSON {machine, subject, from, to, cause,
// details, node, epoch, at}. A group forms (Empty → PreparingRebalance → CompletingRebalance →
// Stable), grows, shrinks when a member leaves, empties and is deleted (→ Dead), each
// generation higher than the last.
import { type Consumer, type Kafka } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { groupTestBroker } from "./helpers/group-fixture.ts";
import { brokerErrors, createTopic, readStateChanges, waitFor, waitForStableSplit, type StateChange } from "./helpers/groups.ts";

const broker = groupTestBroker();
let kafka: Kafka;
const consumers: Consumer[] = [];
const started = Date.now();

beforeAll(() => {
  kafka = broker.kafka("state-changes-it");
});

broker.onCleanup(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
});

const GROUP = "sc-group";
const TOPIC = "sc-topic";

async function member(): Promise<Consumer> {
  const c = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 250 });
  consumers.push(c);
  await c.connect();
  await c.subscribe({ topic: TOPIC, fromBeginning: true });
  await c.run({ eachMessage: async () => {} });
  return c;
}

async function groupEvents(): Promise<StateChange[]> {
  return (await readStateChanges(broker.bootstrap)).filter((e) => e.machine === "group" && e.subject === GROUP);
}

const show = (es: StateChange[]) =>
  es.map((e) => `${e.from}→${e.to} gen=${String(e.details.generation)} members=${String(e.details.members)} (${e.cause})`).join("\n");

/** Waits until the group's events include, in order from index `from`, Stable with `members` members. */
async function waitStableEvent(from: number, members: number): Promise<{ events: StateChange[]; at: number }> {
  let events: StateChange[] = [];
  const at = await waitFor(
    `a Stable event with ${members} member(s) in __state_changes`,
    async () => {
      events = await groupEvents();
      const i = events.findIndex((e, j) => j >= from && e.to === "Stable" && e.details.members === members);
      return i >= 0 ? i + 1 : false;
    },
    30_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nevents so far:\n${show(events)}\n${broker.context()}`);
  });
  return { events, at: at - 1 };
}

/** The rebalance that ends at events[stableAt]: …→PreparingRebalance, →CompletingRebalance, →Stable. */
function expectRebalanceEndingAt(events: StateChange[], stableAt: number, members: number): number {
  const stable = events[stableAt]!;
  const completing = events[stableAt - 1];
  const preparing = events[stableAt - 2];
  const ctx = show(events);
  expect(stable, ctx).toMatchObject({ from: "CompletingRebalance", to: "Stable" });
  expect(completing, ctx).toMatchObject({ from: "PreparingRebalance", to: "CompletingRebalance" });
  expect(preparing?.to, ctx).toBe("PreparingRebalance");
  expect(completing!.details.generation, "the generation is bumped entering CompletingRebalance and kept at Stable").toBe(stable.details.generation);
  expect(stable.details.members, ctx).toBe(members);
  expect(completing!.details.members, ctx).toBe(members);
  return Number(stable.details.generation);
}

describe("__state_changes: the group state machine", () => {
  it("a forming group: (Empty →) PreparingRebalance → CompletingRebalance → Stable, with generation and member count", async () => {
    await createTopic(broker.bootstrap, TOPIC, 2);
    await member();
    await waitForStableSplit(broker.bootstrap, GROUP, TOPIC, 1, 2);
    const { events, at } = await waitStableEvent(0, 1);
    const first = events[0]!;
    // A new group starts Empty; whether its creation is itself an event is the broker's choice.
    expect(["Empty", "PreparingRebalance"], show(events)).toContain(first.to);
    const gen = expectRebalanceEndingAt(events, at, 1);
    expect(gen).toBeGreaterThanOrEqual(1);
    expect(events[at - 2]!.from, show(events)).toBe("Empty");
    const stable = events[at]!;
    expect(stable.details).toMatchObject({ protocolType: "consumer", protocol: "RoundRobinAssigner" });
    expect(typeof stable.details.leader).toBe("string");
    for (const e of events) {
      expect(e.key, "record key = group id").toBe(GROUP);
      expect(e.machine).toBe("group");
      expect(e.node).toBe(0);
      expect(typeof e.epoch).toBe("number");
      expect(typeof e.cause).toBe("string");
      expect(e.cause.length).toBeGreaterThan(0);
      expect(e.at).toBeGreaterThanOrEqual(started - 1000);
      expect(e.at).toBeLessThanOrEqual(Date.now() + 1000);
    }
    // Transitions chain: each starts where the previous one ended.
    for (let i = 1; i < events.length; i++) expect(events[i]!.from, show(events)).toBe(events[i - 1]!.to);
  });

  it("a second member joins, then leaves: each is a new rebalance with a higher generation", async () => {
    const before = (await groupEvents()).length;
    const second = await member();
    await waitForStableSplit(broker.bootstrap, GROUP, TOPIC, 2, 2);
    const grown = await waitStableEvent(before, 2);
    const genBefore = Number(grown.events.filter((e) => e.to === "Stable").at(0)!.details.generation);
    const gen2 = expectRebalanceEndingAt(grown.events, grown.at, 2);
    expect(gen2).toBeGreaterThan(genBefore);
    expect(grown.events[grown.at - 2]!.from, show(grown.events)).toBe("Stable");

    await second.disconnect();
    await waitForStableSplit(broker.bootstrap, GROUP, TOPIC, 1, 2);
    const shrunk = await waitStableEvent(grown.at + 1, 1);
    const gen3 = expectRebalanceEndingAt(shrunk.events, shrunk.at, 1);
    expect(gen3).toBeGreaterThan(gen2);
    expect(shrunk.events[shrunk.at - 2]!.from, show(shrunk.events)).toBe("Stable");
    const stables = shrunk.events.filter((e) => e.to === "Stable").map((e) => Number(e.details.generation));
    expect(stables, "generations only increase").toEqual([...stables].sort((a, b) => a - b));
    expect(new Set(stables).size).toBe(stables.length);
    for (let i = 1; i < shrunk.events.length; i++) expect(shrunk.events[i]!.from, show(shrunk.events)).toBe(shrunk.events[i - 1]!.to);
  });

  it("the last member leaves (→ Empty) and the group is deleted (→ Dead)", async () => {
    for (const c of consumers) await c.disconnect();
    let events: StateChange[] = [];
    await waitFor("an Empty event after the last member left", async () => {
      events = await groupEvents();
      return events.at(-1)?.to === "Empty";
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${show(events)}`);
    });
    expect(events.at(-1)!.details.members).toBe(0);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([GROUP]);
    await admin.disconnect();
    await waitFor("a Dead event after DeleteGroups", async () => {
      events = await groupEvents();
      return events.at(-1)?.to === "Dead";
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n${show(events)}`);
    });
    expect(events.at(-1)!.from, show(events)).toBe("Empty");
  });

  it("the broker logged no internal errors", () => {
    expect(brokerErrors(broker.node.output)).toEqual([]);
  });
});
