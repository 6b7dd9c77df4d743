// The console's server side against Apache Kafka itself (3.9, KRaft, three combined nodes), the
// reference: what console-cluster, console-brokers, console-groups and console-foreign-cluster
// check on Samsa must hold here too. The same modules the pages and actions call: the shared
// metadata snapshot (controller from the metadata quorum, brokers, topics with leaders,
// replicas and ISR of replication factor 3), topic details, topic and broker configs with their
// sources and synonyms, the audited action path (create, alter configs, reset offsets, delete
// group, delete topic), consumer groups with members and lag, and the watcher deriving
// partition and group events by diffing (Apache Kafka has no __state_changes), stored as the
// state changes page reads them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alterBrokerConfig, alterTopicConfig, createTopic, deleteGroup, deleteTopic, resetOffsets, type ActionContext } from "../server/actions/definitions.ts";
import { runAction } from "../server/actions/run-action.ts";
import { UserStore } from "../server/auth/users.ts";
import { AuditStore } from "../server/db/audit.ts";
import { openDatabase, type Database } from "../server/db/database.ts";
import { migrate, readMigrations } from "../server/db/migrate.ts";
import { StateChangeStore } from "../server/db/state-changes.ts";
import { brokerPartitions } from "../server/kafka/brokers.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { EventHub, type ObservedEvent } from "../server/kafka/events.ts";
import { GroupsClient } from "../server/kafka/groups.ts";
import { pageTopics } from "../server/kafka/snapshot.ts";
import { summarize } from "../server/kafka/summary.ts";
import { ClusterWatcher, STATE_CHANGES_TOPIC } from "../server/kafka/watcher.ts";
import { loadSnapshot } from "../server/queries/cluster.ts";
import { browseMessages } from "../server/queries/messages.ts";
import { storedHistory } from "../server/queries/state-changes.ts";
import type { ConsoleRuntime } from "../server/runtime.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { waitFor } from "./helpers/groups.ts";

let ak: ApacheKafka;
let addresses: string[];
let conn: ClusterConnection;
let groups: GroupsClient;
let watcher: ClusterWatcher;
let store: StateChangeStore;
let audit: AuditStore;
let db: Database;
let dbDir: string;
let deps: { audit: AuditStore; clusterName: string; context: ActionContext };
const hub = new EventHub(10_000);
const consumers: Consumer[] = [];
const operator = { username: "otto", role: "operator" as const };
const admin = { username: "ada", role: "admin" as const };
const TOPIC = "ak-orders";
const GROUP = "ak-group";

beforeAll(async () => {
  // Static broker configs, so that topic configs inherit from them (STATIC_BROKER_CONFIG).
  ak = await ApacheKafka.start({ nodes: 3, overrides: { "message.max.bytes": "2000000", "log.retention.hours": "100", "offsets.topic.num.partitions": "3" } });
  addresses = ak.brokers;
  dbDir = mkdtempSync(join(tmpdir(), "samsa-console-ak-"));
  db = await openDatabase({ pgliteDir: dbDir });
  await migrate(db, readMigrations(join(import.meta.dirname, "..", "prisma", "migrations")));
  conn = new ClusterConnection("apache", addresses);
  groups = new GroupsClient(conn);
  store = new StateChangeStore(db.prisma);
  audit = new AuditStore(db.prisma);
  deps = { audit, clusterName: "apache", context: { cluster: conn, groups, users: new UserStore(db.prisma) } };
  watcher = new ClusterWatcher(conn, hub, store, { intervalMs: 200, groups, log: () => {} });
  watcher.start();
}, 180_000);

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
  await watcher?.stop();
  await conn?.close();
  await db?.close();
  await ak?.destroy();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

const kafka = () => new Kafka({ clientId: "console-ak-it", brokers: addresses, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
const runtime = () => ({ cluster: conn, stateChanges: store }) as unknown as ConsoleRuntime;
const events = (machine: string, subject: string): ObservedEvent[] => hub.recent(10_000).filter((e) => e.machine === machine && e.subject === subject);

async function produce(messages: { partition: number; value: string }[]): Promise<void> {
  // Idempotent: a send retried after a timeout is not written twice, so offsets and lag are exact.
  const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: TOPIC, acks: -1, messages });
  await producer.disconnect();
}

async function joinedConsumer(group: string): Promise<{ consumer: Consumer; memberId: string; seen: () => number }> {
  const consumer = kafka().consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  consumers.push(consumer);
  let memberId = "";
  let seen = 0;
  consumer.on(consumer.events.GROUP_JOIN, (e) => (memberId = e.payload.memberId));
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async () => void seen++ });
  await waitFor(`${group} joined`, () => memberId !== "" && memberId, 60_000);
  return { consumer, memberId, seen: () => seen };
}

/** What `kafka-metadata-quorum describe --status` says, as `Key: value` pairs. */
async function quorumStatus(): Promise<Record<string, string>> {
  const r = await ApacheKafka.tool("kafka-metadata-quorum", ["--bootstrap-server", addresses[0]!, "describe", "--status"]);
  expect(r.code, r.stderr).toBe(0);
  return Object.fromEntries(r.stdout.split("\n").flatMap((l) => {
    const m = /^(\w+):\s+(.*)$/.exec(l.trim());
    return m ? [[m[1]!, m[2]!]] : [];
  }));
}

describe("the console on Apache Kafka", () => {
  it("takes one snapshot: the cluster id, three brokers, and the metadata quorum's leader as the controller, every time", async () => {
    const status = await quorumStatus();
    const s = await conn.snapshot(0);
    expect(s.clusterId).toBe(status.ClusterId);
    expect(s.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`])).toEqual(addresses.map((a, i) => [i, a]));
    expect(s.offlineBrokers).toEqual([]);
    // Apache Kafka's Metadata names a random live broker as "controller"; the console shows
    // the quorum's leader, the same on every read.
    expect(s.controllerId).toBe(Number(status.LeaderId));
    for (let i = 0; i < 15; i++) expect((await conn.snapshot(0)).controllerId).toBe(s.controllerId);
    expect(s.byName.has(STATE_CHANGES_TOPIC)).toBe(false);
    await waitFor("metadata-diff mode", () => watcher.mode === "metadata-diff");
    expect(watcher.describeSource()).toMatch(/derived from metadata and group descriptions/);

    const loaded = await loadSnapshot(runtime());
    expect(loaded.ok).toBe(true);
    const summary = summarize("apache", loaded.ok ? loaded.value : s, watcher.mode);
    expect(summary).toMatchObject({ clusterId: status.ClusterId, controllerId: s.controllerId, offlineBrokers: [], underReplicated: 0, offline: 0, mode: "metadata-diff" });
    expect(summary.brokers).toHaveLength(3);
  });

  it("creates a topic with replication factor 3 through the audited action; Kafka's refusals land at their fields", async () => {
    const form = (over: Record<string, string>) => ({ name: TOPIC, partitions: "3", replicationFactor: "3", retentionMs: "", cleanupPolicy: "", configs: "", ...over });
    const tooMany = await runAction(createTopic, deps, operator, form({ replicationFactor: "4" }));
    expect(tooMany).toMatchObject({ ok: false, code: "INVALID_REPLICATION_FACTOR", fieldErrors: { replicationFactor: expect.stringMatching(/4/) } });
    expect(await runAction(createTopic, deps, operator, form({ name: "bad name!" }))).toMatchObject({ ok: false, code: "INVALID_TOPIC_EXCEPTION", fieldErrors: { name: expect.any(String) } });
    expect(await runAction(createTopic, deps, operator, form({ partitions: "0" }))).toMatchObject({ ok: false, code: "INVALID_PARTITIONS", fieldErrors: { partitions: expect.any(String) } });
    expect(await runAction(createTopic, deps, operator, form({ retentionMs: "soon" }))).toMatchObject({ ok: false, code: "INVALID_CONFIG", fieldErrors: { retentionMs: expect.any(String) } });
    expect(await runAction(createTopic, deps, operator, form({ cleanupPolicy: "shred" }))).toMatchObject({ ok: false, code: "INVALID_CONFIG", fieldErrors: { cleanupPolicy: expect.any(String) } });
    expect(await runAction(createTopic, deps, operator, form({ configs: "max.message.bytes=lots" }))).toMatchObject({ ok: false, code: "INVALID_CONFIG", fieldErrors: { configs: expect.any(String) } });

    expect(await runAction(createTopic, deps, operator, form({ retentionMs: "3600000", configs: "segment.ms=3600000" }))).toEqual({ ok: true, data: { name: TOPIC } });
    expect(await runAction(createTopic, deps, operator, form({}))).toMatchObject({ ok: false, code: "TOPIC_ALREADY_EXISTS", fieldErrors: { name: expect.any(String) } });
    const records = (await audit.list({ action: "topic.create" })).rows.reverse();
    expect(records.map((r) => r.outcome)).toEqual(["error", "error", "error", "error", "error", "error", "ok", "error"]);
  });

  it("shows the topic's partitions with leaders, three replicas and a full ISR, offsets and sizes; brokers lead and follow them", async () => {
    await produce([0, 1, 2, 3, 4, 5].map((i) => ({ partition: i % 3, value: `m${i}` })));
    const d = await waitFor("offsets and sizes of every partition", async () => {
      const detail = await conn.topicDetail(TOPIC);
      return detail?.partitions.every((p) => p.latestOffset === "2" && (p.sizeBytes ?? 0) > 0) ? detail : undefined;
    });
    expect(d.problems).toEqual([]);
    expect(d.topic).toMatchObject({ replicationFactor: 3, underReplicated: 0, offline: 0, internal: false });
    expect(d.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of d.partitions) {
      expect([...p.replicas].sort()).toEqual([0, 1, 2]);
      expect([...p.isr].sort()).toEqual([0, 1, 2]);
      expect(p.leader).toBe(p.replicas[0]); // the preferred replica leads a new topic
      expect(p.earliestOffset).toBe("0");
      expect(p.offlineReplicas).toEqual([]);
    }
    // Kafka spreads the leaders: each broker leads one partition and follows the other two.
    expect(new Set(d.partitions.map((p) => p.leader)).size).toBe(3);
    const s = await conn.snapshot(0);
    for (const node of [0, 1, 2]) {
      const rows = brokerPartitions(s, node).rows.filter((r) => r.topic === TOPIC);
      expect(rows.map((r) => r.role).sort()).toEqual(["follower", "follower", "leader"]);
      expect(rows.every((r) => r.inIsr && !r.offline)).toBe(true);
    }
    expect(pageTopics(s, { query: "AK-", includeInternal: false }).rows.map((t) => t.name)).toEqual([TOPIC]);
    expect(s.byName.get("__consumer_offsets")?.internal ?? true).toBe(true);

    const latest = await browseMessages(conn, { topic: TOPIC, partition: 1, mode: "latest", limit: 5 });
    expect(latest.map((m) => [m.offset, m.value])).toEqual([
      ["1", "m4"],
      ["0", "m1"],
    ]);
  });

  it("derives the created topic's partition events from metadata diffs and stores them for the state changes page", async () => {
    const created = await waitFor("three partitions derived", () => {
      const mine = hub.recent(10_000).filter((e) => e.machine === "partition" && e.subject.startsWith(`${TOPIC}-`));
      return mine.length >= 3 && mine;
    });
    expect(created.map((e) => e.subject).sort()).toEqual([`${TOPIC}-0`, `${TOPIC}-1`, `${TOPIC}-2`]);
    for (const e of created) {
      expect(e).toMatchObject({ from: "NonExistentPartition", to: "OnlinePartition", source: "derived", offset: null, cause: `topic ${TOPIC} created` });
      expect([...(e.details.replicas as number[])].sort()).toEqual([0, 1, 2]);
      expect((e.details.isr as number[]).length).toBeGreaterThanOrEqual(1);
    }
    const stored = await waitFor("stored", async () => {
      const rows = await storedHistory(runtime(), { topic: TOPIC });
      return rows.length >= 3 && rows;
    });
    expect(stored.every((e) => e.source === "derived" && e.offset === null && e.machine === "partition")).toBe(true);
  });

  it("reads topic configs with their sources and changes one through the audited action", async () => {
    const config = async (name: string) => (await conn.topicConfigs(TOPIC)).find((c) => c.name === name)!;
    expect(await config("retention.ms")).toMatchObject({ value: "3600000", source: "topic", isDefault: false });
    expect(await config("segment.ms")).toMatchObject({ value: "3600000", source: "topic", isDefault: false });
    expect(await config("cleanup.policy")).toMatchObject({ value: "delete", source: "default", isDefault: true });
    // Inherited from the broker's server.properties (message.max.bytes=2000000).
    expect(await config("max.message.bytes")).toMatchObject({ value: "2000000", source: "static broker", isDefault: false });
    const configs = await conn.topicConfigs(TOPIC);
    expect(configs.map((c) => c.name)).toEqual([...configs.map((c) => c.name)].sort((a, b) => a.localeCompare(b)));

    const set = await runAction(alterTopicConfig, deps, operator, { topic: TOPIC, name: "retention.ms", op: "set", value: "60000" });
    expect(set).toEqual({ ok: true, data: { topic: TOPIC, name: "retention.ms", value: "60000" } });
    // Every broker applies the change from the metadata log, a moment after the controller took it.
    await waitFor("the new value", async () => (await config("retention.ms")).value === "60000");
    // Once shown, it stays (the console reads configs from one broker, not a random one each time).
    for (let i = 0; i < 10; i++) expect(await config("retention.ms")).toMatchObject({ value: "60000", source: "topic" });
    expect(await runAction(alterTopicConfig, deps, operator, { topic: TOPIC, name: "cleanup.policy", op: "set", value: "shred" })).toMatchObject({
      ok: false,
      code: "INVALID_CONFIG",
      fieldErrors: { value: expect.stringMatching(/shred/) },
    });
    expect(await runAction(alterTopicConfig, deps, operator, { topic: TOPIC, name: "retention.forever", op: "set", value: "1" })).toMatchObject({
      ok: false,
      code: "INVALID_CONFIG",
      fieldErrors: { name: expect.stringMatching(/retention.forever/) },
    });
    expect(await runAction(alterTopicConfig, deps, operator, { topic: "no-such-topic", name: "retention.ms", op: "set", value: "1000" })).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC_OR_PARTITION" });

    // Removed: the broker's log.retention.hours=100 applies again. Apache Kafka calls that value
    // DEFAULT_CONFIG, without synonyms (it looks only at log.retention.ms for retention.ms).
    expect(await runAction(alterTopicConfig, deps, operator, { topic: TOPIC, name: "retention.ms", op: "delete" })).toMatchObject({ ok: true });
    await waitFor("the broker's value", async () => (await config("retention.ms")).source !== "topic");
    for (let i = 0; i < 10; i++) expect(await config("retention.ms")).toMatchObject({ value: String(100 * 3_600_000), source: "default", isDefault: true });
    expect(await runAction(alterTopicConfig, deps, operator, { topic: TOPIC, name: "retention.ms", op: "delete" })).toMatchObject({
      ok: false,
      code: "NO_OVERRIDE",
      fieldErrors: { name: expect.stringMatching(/comes from: default/) },
    });
  });

  it("reads broker configs with sources and synonyms; sets and removes a dynamic one; read-only ones are refused before Kafka is asked", async () => {
    const byName = async (node: number) => new Map((await conn.brokerConfigs(node)).map((c) => [c.name, c]));
    const b1 = await byName(1);
    // Apache Kafka changes log.retention.hours only with a restart (its dynamic synonym is log.retention.ms).
    expect(b1.get("log.retention.hours")).toMatchObject({ value: "100", source: "static broker", isDefault: false, readOnly: true, type: "int" });
    expect(b1.get("log.retention.hours")!.synonyms).toEqual([
      { name: "log.retention.hours", value: "100", source: "static broker" },
      { name: "log.retention.hours", value: "168", source: "default" },
    ]);
    expect(b1.get("node.id")).toMatchObject({ value: "1", source: "static broker", readOnly: true });
    expect(b1.get("log.dirs")).toMatchObject({ source: "static broker", readOnly: true });
    expect(b1.get("log.dirs")!.value).toContain(ak.dataDir);
    expect(b1.get("message.max.bytes")).toMatchObject({ value: "2000000", source: "static broker", isDefault: false, readOnly: false, type: "int" });
    expect(b1.get("message.max.bytes")!.synonyms).toEqual([
      { name: "message.max.bytes", value: "2000000", source: "static broker" },
      { name: "message.max.bytes", value: "1048588", source: "default" },
    ]);
    expect(b1.get("log.cleaner.threads")).toMatchObject({ value: "1", source: "default", isDefault: true, type: "int" });
    await expect(conn.brokerConfigs(7)).rejects.toMatchObject({ code: "BROKER_NOT_AVAILABLE" });

    const set = await runAction(alterBrokerConfig, deps, admin, { brokerId: "1", name: "message.max.bytes", op: "set", value: "3000000" });
    expect(set).toEqual({ ok: true, data: { brokerId: 1, name: "message.max.bytes", value: "3000000" } });
    const after = await waitFor("the dynamic value", async () => {
      const c = (await byName(1)).get("message.max.bytes");
      return c?.source === "dynamic broker" && c.value === "3000000" && c;
    });
    expect(after).toMatchObject({ value: "3000000", source: "dynamic broker", isDefault: false });
    expect(after.synonyms.map((s) => [s.value, s.source])).toEqual([
      ["3000000", "dynamic broker"],
      ["2000000", "static broker"],
      ["1048588", "default"],
    ]);
    expect((await byName(2)).get("message.max.bytes")).toMatchObject({ value: "2000000", source: "static broker" }); // per broker
    // Apache Kafka refuses a bad broker config value with INVALID_REQUEST; the form shows it at the value.
    expect(await runAction(alterBrokerConfig, deps, admin, { brokerId: "1", name: "message.max.bytes", op: "set", value: "lots" })).toMatchObject({
      ok: false,
      code: "INVALID_REQUEST",
      fieldErrors: { value: expect.stringMatching(/Invalid value lots for configuration message.max.bytes/) },
    });
    expect(await runAction(alterBrokerConfig, deps, operator, { brokerId: "1", name: "message.max.bytes", op: "delete" })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await runAction(alterBrokerConfig, deps, admin, { brokerId: "1", name: "log.retention.hours", op: "set", value: "200" })).toMatchObject({ ok: false, code: "READ_ONLY_CONFIG" });
    expect(await runAction(alterBrokerConfig, deps, admin, { brokerId: "1", name: "log.dirs", op: "set", value: "/tmp/x" })).toMatchObject({ ok: false, code: "READ_ONLY_CONFIG" });
    expect(await runAction(alterBrokerConfig, deps, admin, { brokerId: "1", name: "no.such.config", op: "set", value: "1" })).toMatchObject({ ok: false, code: "UNKNOWN_CONFIG" });

    expect(await runAction(alterBrokerConfig, deps, admin, { brokerId: "1", name: "message.max.bytes", op: "delete" })).toMatchObject({ ok: true });
    await waitFor("back to the static value", async () => {
      const c = (await byName(1)).get("message.max.bytes");
      return c?.source === "static broker" && c.value === "2000000";
    });
    expect(await runAction(alterBrokerConfig, deps, admin, { brokerId: "1", name: "message.max.bytes", op: "delete" })).toMatchObject({ ok: false, code: "NO_OVERRIDE" });
    const records = (await audit.list({ action: "broker.alterConfig" })).rows.reverse();
    expect(records.map((r) => [r.actor, r.outcome, (r.parameters as Record<string, unknown>).name])).toEqual([
      ["ada", "ok", "message.max.bytes"],
      ["ada", "error", "message.max.bytes"],
      ["otto", "error", "message.max.bytes"],
      ["ada", "error", "log.retention.hours"],
      ["ada", "error", "log.dirs"],
      ["ada", "error", "no.such.config"],
      ["ada", "ok", "message.max.bytes"],
      ["ada", "error", "message.max.bytes"],
    ]);
  });

  it("shows a group's members, assignment and lag, and derives its transitions as consumers join and leave", async () => {
    const a = await joinedConsumer(GROUP);
    const stableWithA = await waitFor("Stable with the first member", () => events("group", GROUP).find((e) => e.to === "Stable"), 60_000);
    expect(stableWithA).toMatchObject({ source: "derived", offset: null, details: { members: 1, protocolType: "consumer", protocol: "RoundRobinAssigner" } });
    expect(events("group", GROUP).flatMap((e) => e.details.joined as string[])).toContain(a.memberId);

    await waitFor("6 messages consumed and committed", async () => {
      if (a.seen() < 6) return false;
      const [g] = await groups.describe([GROUP]);
      const offsets = await groups.offsets(g!);
      return offsets.length === 3 && offsets.every((o) => o.committed === "2") && offsets;
    });
    const listed = await waitFor("listed Stable", async () => (await groups.list(0)).find((g) => g.groupId === GROUP && g.state === "Stable"));
    expect(listed.protocolType).toBe("consumer");
    expect((await groups.page({ query: "ak-", pageSize: 10 })).rows.map((r) => r.groupId)).toEqual([GROUP]);
    const [g] = await groups.describe([GROUP]);
    expect(g).toMatchObject({ state: "Stable", protocolType: "consumer", protocol: "RoundRobinAssigner" });
    expect(g!.members.map((m) => [m.memberId, m.clientId, Object.keys(m.assignment ?? {}), [...(m.assignment?.[TOPIC] ?? [])].sort()])).toEqual([[a.memberId, "console-ak-it", [TOPIC], [0, 1, 2]]]);
    expect((await groups.offsets(g!)).map((o) => [o.partition, o.committed, o.logEnd, o.lag, o.memberId])).toEqual([
      [0, "2", "2", 0, a.memberId],
      [1, "2", "2", 0, a.memberId],
      [2, "2", "2", 0, a.memberId],
    ]);
    expect(await runAction(resetOffsets, deps, operator, { groupId: GROUP, topic: TOPIC, to: "earliest" })).toMatchObject({ ok: false, code: "NON_EMPTY_GROUP" });
    expect(await runAction(deleteGroup, deps, operator, { groupId: GROUP, confirm: GROUP })).toMatchObject({ ok: false, code: "NON_EMPTY_GROUP" });

    const b = await joinedConsumer(GROUP);
    await waitFor("Stable with both members", () => events("group", GROUP).some((e) => e.to === "Stable" && e.details.members === 2), 60_000);
    expect(events("group", GROUP).flatMap((e) => e.details.joined as string[])).toContain(b.memberId);
    const [both] = await groups.describe([GROUP]);
    expect(both!.members.flatMap((m) => m.assignment?.[TOPIC] ?? []).sort()).toEqual([0, 1, 2]);

    await b.consumer.disconnect();
    await waitFor("the second member left", () => events("group", GROUP).some((e) => (e.details.left as string[] | undefined)?.includes(b.memberId)), 60_000);
    await a.consumer.disconnect();
    await waitFor("Empty", () => events("group", GROUP).at(-1)?.to === "Empty" && true, 60_000);

    // One chain from Empty: every derived event starts in the state the previous one ended in.
    const chain = events("group", GROUP);
    expect(chain[0]!.from).toBe("Empty");
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.from).toBe(chain[i - 1]!.to);
    expect(chain.some((e) => e.to === "Stable" && e.details.members === 1)).toBe(true);
  });

  it("shows the lag of an empty group, resets its offsets and deletes it through the actions; the diff sees it go Dead", async () => {
    await produce([0, 1, 2].map((p) => ({ partition: p, value: `late-${p}` })));
    const lagged = await waitFor("lag 1 on each partition", async () => {
      const [g] = await groups.describe([GROUP]);
      const offsets = await groups.offsets(g!);
      return offsets.every((o) => o.lag === 1) && offsets.length === 3 && offsets;
    });
    expect(lagged.map((o) => [o.partition, o.committed, o.logEnd, o.memberId])).toEqual([
      [0, "2", "3", null],
      [1, "2", "3", null],
      [2, "2", "3", null],
    ]);
    groups.invalidate();
    expect((await groups.consumersOf(TOPIC)).map((c) => [c.groupId, c.state, c.members, c.committedPartitions, c.lag])).toEqual([[GROUP, "Empty", 0, 3, 3]]);

    const reset = await runAction(resetOffsets, deps, operator, { groupId: GROUP, topic: TOPIC, to: "earliest" });
    expect(reset).toEqual({ ok: true, data: [0, 1, 2].map((partition) => ({ partition, offset: "0" })) });
    const [g] = await groups.describe([GROUP]);
    expect((await groups.offsets(g!)).map((o) => [o.committed, o.lag])).toEqual([
      ["0", 3],
      ["0", 3],
      ["0", 3],
    ]);
    expect(await runAction(resetOffsets, deps, operator, { groupId: GROUP, topic: TOPIC, to: "offset", offset: "99" })).toEqual({
      ok: true,
      data: [0, 1, 2].map((partition) => ({ partition, offset: "3" })), // clamped to the log end
    });

    expect(await runAction(deleteGroup, deps, operator, { groupId: GROUP, confirm: GROUP })).toEqual({ ok: true, data: { groupId: GROUP } });
    expect((await groups.list(0)).some((x) => x.groupId === GROUP)).toBe(false);
    const dead = await waitFor("Dead", () => events("group", GROUP).find((e) => e.to === "Dead"));
    expect(dead).toMatchObject({ from: "Empty", cause: "group deleted or expired" });
    const stored = await waitFor("group events stored", async () => {
      const rows = await storedHistory(runtime(), { group: GROUP });
      return rows.some((e) => e.to === "Dead") && rows;
    });
    expect(stored.every((e) => e.machine === "group" && e.subject === GROUP && e.source === "derived")).toBe(true);
  });

  it("deletes the topic through the action; the diff sees its partitions go; no controller change was ever derived", async () => {
    expect(await runAction(deleteTopic, deps, operator, { name: TOPIC, confirm: TOPIC })).toEqual({ ok: true, data: { name: TOPIC } });
    // Apache Kafka's brokers apply a deletion as each replays the metadata log: the topic may
    // still be listed by one of them for a moment after the controller's answer.
    await waitFor("the topic gone from the snapshot", async () => !(await conn.snapshot(0)).byName.has(TOPIC));
    const gone = await waitFor("deletion derived", () => {
      const rows = hub.recent(10_000).filter((e) => e.machine === "partition" && e.subject.startsWith(`${TOPIC}-`) && e.to === "NonExistentPartition");
      return rows.length === 3 && rows;
    });
    for (const e of gone) expect(e).toMatchObject({ from: "OnlinePartition", cause: `topic ${TOPIC} deleted` });
    expect(await runAction(deleteTopic, deps, operator, { name: TOPIC, confirm: TOPIC })).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC_OR_PARTITION" });

    // The leader never moved and no broker came or went while the watcher diffed, every 200 ms
    // for the whole file: Apache Kafka's random "controller" in Metadata is not a change.
    expect(hub.recent(10_000).filter((e) => e.machine === "controller" || e.machine === "broker")).toEqual([]);
    expect(hub.recent(10_000).every((e) => e.source === "derived")).toBe(true);
  });
});
