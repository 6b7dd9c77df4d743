// The console's broker detail and state-change history against a real broker process: the
// partitions a broker leads and follows (from metadata), its log dirs with space and
// per-partition sizes (DescribeLogDirs), its configs with sources and synonyms
// (DescribeConfigs on the BROKER resource), a dynamic config set and removed through the
// action path (admin only, audited, read-only configs refused before the cluster is asked),
// a topic's config set and removed the same way (operators may), and the stored history of __state_changes queried by time range, machine and subject.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alterBrokerConfig, alterTopicConfig, createTopic, type ActionContext } from "../server/actions/definitions.ts";
import { runAction } from "../server/actions/run-action.ts";
import { UserStore } from "../server/auth/users.ts";
import { AuditStore } from "../server/db/audit.ts";
import { openDatabase, type Database } from "../server/db/database.ts";
import { migrate, readMigrations } from "../server/db/migrate.ts";
import { StateChangeStore } from "../server/db/state-changes.ts";
import { brokerPartitions, pageBrokerPartitions } from "../server/kafka/brokers.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { EventHub } from "../server/kafka/events.ts";
import { GroupsClient } from "../server/kafka/groups.ts";
import { buildSnapshot } from "../server/kafka/snapshot.ts";
import { ClusterWatcher } from "../server/kafka/watcher.ts";
import type { MetadataResponse } from "../broker/protocol/generated/message/MetadataResponse.ts";
import { BrokerNode } from "./helpers/broker-node.ts";

let node: BrokerNode;
let conn: ClusterConnection;
let db: Database;
let dbDir: string;

beforeAll(async () => {
  node = await BrokerNode.start({ "num.partitions": "1", "log.retention.hours": "100" });
  conn = new ClusterConnection("it", [node.bootstrap]);
  dbDir = mkdtempSync(join(tmpdir(), "samsa-console-brokers-"));
  db = await openDatabase({ pgliteDir: dbDir });
  await migrate(db, readMigrations(join(import.meta.dirname, "..", "prisma", "migrations")));
});

afterAll(async () => {
  await conn?.close();
  await db?.close();
  await node?.destroy();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("broker detail", () => {
  it("lists the partitions a broker leads and follows, and pages and filters them on the server", async () => {
    await conn.createTopic({ name: "sized", partitions: 3, replicationFactor: 1, configs: {} });
    const s = await conn.snapshot(0);
    const mine = brokerPartitions(s, 0);
    expect(mine.rows.filter((p) => p.topic === "sized").map((p) => [p.partition, p.role, p.inIsr])).toEqual([
      [0, "leader", true],
      [1, "leader", true],
      [2, "leader", true],
    ]);
    expect(mine.led).toBe(mine.rows.length);
    expect(mine.followed).toBe(0);
    expect(brokerPartitions(s, 7).rows).toEqual([]);
    const page = pageBrokerPartitions(mine.rows, { query: "SIZ", pageSize: 2, page: 2 });
    expect([page.total, page.pages, page.page, page.rows.map((p) => p.partition)]).toEqual([3, 2, 2, [2]]);
    expect(pageBrokerPartitions(mine.rows, { role: "follower" }).total).toBe(0);

    // Three brokers (built metadata): a replica led elsewhere is followed; one out of the ISR.
    const m = {
      throttleTimeMs: 0,
      clusterId: "c",
      controllerId: 1,
      clusterAuthorizedOperations: 0,
      brokers: [0, 1, 2].map((nodeId) => ({ nodeId, host: "h", port: 9092 + nodeId, rack: null })),
      topics: [
        {
          errorCode: 0,
          name: "t",
          topicId: "AAAAAAAAAAAAAAAAAAAAAA",
          isInternal: false,
          topicAuthorizedOperations: 0,
          partitions: [
            { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [] },
            { errorCode: 0, partitionIndex: 1, leaderId: 2, leaderEpoch: 1, replicaNodes: [2, 0], isrNodes: [2, 0], offlineReplicas: [] },
          ],
        },
      ],
    } as unknown as MetadataResponse;
    const b2 = brokerPartitions(buildSnapshot(m), 2);
    expect(b2.rows.map((p) => [p.partition, p.role, p.inIsr])).toEqual([
      [0, "follower", false],
      [1, "leader", true],
    ]);
    expect([b2.led, b2.followed, b2.outOfSync]).toEqual([1, 1, 1]);
  });

  it("reads its log dirs with total and usable bytes and the size of every partition", async () => {
    const kafka = new Kafka({ clientId: "console-brokers-it", brokers: [node.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "sized", messages: Array.from({ length: 20 }, (_, i) => ({ partition: 1, value: "x".repeat(200) + i })) });
    await producer.disconnect();
    const dirs = await conn.describeLogDirs(0, null);
    expect(dirs).toHaveLength(1);
    const [d] = dirs;
    expect(d!.path).toBe(join(node.dataDir, "logs"));
    expect(d!.error).toBeNull();
    expect(d!.totalBytes).toBeGreaterThan(0);
    expect(d!.usableBytes).toBeGreaterThan(0);
    expect(d!.usableBytes!).toBeLessThanOrEqual(d!.totalBytes!);
    const sized = d!.partitions.filter((p) => p.topic === "sized").sort((a, b) => a.partition - b.partition);
    expect(sized.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(sized[0]!.sizeBytes).toBe(0);
    expect(sized[1]!.sizeBytes).toBeGreaterThan(20 * 200);
    expect(d!.sizeBytes).toBe(d!.partitions.reduce((n, p) => n + p.sizeBytes, 0));
    // Only what is asked for.
    const one = await conn.describeLogDirs(0, [{ topic: "sized", partitions: [2] }]);
    expect(one[0]!.partitions.map((p) => `${p.topic}-${p.partition}`)).toEqual(["sized-2"]);
  });

  it("reads its configs with source, read-only flag and synonyms", async () => {
    const configs = await conn.brokerConfigs(0);
    const byName = new Map(configs.map((c) => [c.name, c]));
    expect(byName.get("log.retention.hours")).toMatchObject({ value: "100", source: "static broker", readOnly: false });
    expect(byName.get("log.retention.hours")!.synonyms).toEqual([
      { name: "log.retention.hours", value: "100", source: "static broker" },
      { name: "log.retention.hours", value: "168", source: "default" },
    ]);
    expect(byName.get("log.dirs")).toMatchObject({ readOnly: true, source: "static broker" });
    expect(byName.get("message.max.bytes")).toMatchObject({ source: "default", isDefault: true, type: "int" });
    await expect(conn.brokerConfigs(5)).rejects.toMatchObject({ code: "BROKER_NOT_AVAILABLE" });
  });

  it("sets and removes a dynamic broker config through the audited action path (admins only); read-only and unknown configs are refused", async () => {
    const audit = new AuditStore(db.prisma);
    const context: ActionContext = { cluster: conn, groups: new GroupsClient(conn), users: new UserStore(db.prisma) };
    const deps = { audit, clusterName: "it", context };
    const admin = { username: "ada", role: "admin" as const };

    const set = await runAction(alterBrokerConfig, deps, admin, { brokerId: "0", name: "log.retention.hours", op: "set", value: "200" });
    expect(set).toEqual({ ok: true, data: { brokerId: 0, name: "log.retention.hours", value: "200" } });
    const after = (await conn.brokerConfigs(0)).find((c) => c.name === "log.retention.hours")!;
    expect(after).toMatchObject({ value: "200", source: "dynamic broker" });
    expect(after.synonyms.map((s) => [s.value, s.source])).toEqual([
      ["200", "dynamic broker"],
      ["100", "static broker"],
      ["168", "default"],
    ]);
    // The topics' effective retention follows (retention.ms <- log.retention.hours).
    const topicRetention = (await conn.topicConfigs("sized")).find((c) => c.name === "retention.ms");
    expect(topicRetention?.value).toBe(String(200 * 3_600_000));

    const bad = await runAction(alterBrokerConfig, deps, admin, { brokerId: "0", name: "log.retention.hours", op: "set", value: "forever" });
    expect(bad).toMatchObject({ ok: false, code: "INVALID_CONFIG" });
    expect(bad.ok ? null : bad.fieldErrors?.value).toMatch(/INVALID_CONFIG/);

    const readOnly = await runAction(alterBrokerConfig, deps, admin, { brokerId: "0", name: "log.dirs", op: "set", value: "/tmp/elsewhere" });
    expect(readOnly).toMatchObject({ ok: false, code: "READ_ONLY_CONFIG", fieldErrors: { name: expect.stringMatching(/read-only.*restart/) } });
    const unknown = await runAction(alterBrokerConfig, deps, admin, { brokerId: "0", name: "no.such.config", op: "set", value: "1" });
    expect(unknown).toMatchObject({ ok: false, code: "UNKNOWN_CONFIG" });
    const missing = await runAction(alterBrokerConfig, deps, admin, { brokerId: "0", name: "log.retention.hours", op: "set", value: "" });
    expect(missing).toMatchObject({ ok: false, code: "INVALID_INPUT", fieldErrors: { value: expect.any(String) } });
    const operator = await runAction(alterBrokerConfig, deps, { username: "otto", role: "operator" }, { brokerId: "0", name: "log.retention.hours", op: "delete" });
    expect(operator).toMatchObject({ ok: false, code: "FORBIDDEN" });

    const removed = await runAction(alterBrokerConfig, deps, admin, { brokerId: "0", name: "log.retention.hours", op: "delete" });
    expect(removed).toEqual({ ok: true, data: { brokerId: 0, name: "log.retention.hours", value: null } });
    expect((await conn.brokerConfigs(0)).find((c) => c.name === "log.retention.hours")).toMatchObject({ value: "100", source: "static broker" });
    const again = await runAction(alterBrokerConfig, deps, admin, { brokerId: "0", name: "log.retention.hours", op: "delete" });
    expect(again).toMatchObject({ ok: false, code: "NO_OVERRIDE" });

    const records = (await audit.list({ action: "broker.alterConfig" })).rows;
    const summary = records.map((r) => [r.actor, r.outcome, (r.parameters as Record<string, unknown>).op, (r.parameters as Record<string, unknown>).name]).reverse();
    expect(summary).toEqual([
      ["ada", "ok", "set", "log.retention.hours"],
      ["ada", "error", "set", "log.retention.hours"],
      ["ada", "error", "set", "log.dirs"],
      ["ada", "error", "set", "no.such.config"],
      ["otto", "error", "delete", "log.retention.hours"],
      ["ada", "ok", "delete", "log.retention.hours"],
      ["ada", "error", "delete", "log.retention.hours"],
    ]);
    expect(records.find((r) => r.outcome === "error" && (r.parameters as Record<string, unknown>).name === "log.dirs")?.error).toMatch(/READ_ONLY_CONFIG/);
  });
});

describe("topic configs", () => {
  it("sets and removes a topic config through the audited action path; Kafka's INVALID_CONFIG lands at the field it concerns", async () => {
    const audit = new AuditStore(db.prisma);
    const deps = { audit, clusterName: "it", context: { cluster: conn, groups: new GroupsClient(conn), users: new UserStore(db.prisma) } };
    const operator = { username: "otto", role: "operator" as const };
    await conn.createTopic({ name: "configured", partitions: 1, replicationFactor: 1, configs: {} });
    const retention = async () => (await conn.topicConfigs("configured")).find((c) => c.name === "retention.ms")!;
    expect(await retention()).toMatchObject({ value: String(100 * 3_600_000), source: "static broker" });

    const set = await runAction(alterTopicConfig, deps, operator, { topic: "configured", name: "retention.ms", op: "set", value: "60000" });
    expect(set).toEqual({ ok: true, data: { topic: "configured", name: "retention.ms", value: "60000" } });
    expect(await retention()).toMatchObject({ value: "60000", source: "topic" });

    const badValue = await runAction(alterTopicConfig, deps, operator, { topic: "configured", name: "cleanup.policy", op: "set", value: "shred" });
    expect(badValue).toMatchObject({ ok: false, code: "INVALID_CONFIG", fieldErrors: { value: expect.stringMatching(/shred/) } });
    const badName = await runAction(alterTopicConfig, deps, operator, { topic: "configured", name: "retention.forever", op: "set", value: "1" });
    expect(badName).toMatchObject({ ok: false, code: "INVALID_CONFIG", fieldErrors: { name: expect.stringMatching(/retention.forever/) } });
    const noTopic = await runAction(alterTopicConfig, deps, operator, { topic: "no-such-topic", name: "retention.ms", op: "set", value: "1000" });
    expect(noTopic).toMatchObject({ ok: false, code: "UNKNOWN_TOPIC_OR_PARTITION" });
    const viewer = await runAction(alterTopicConfig, deps, { username: "vic", role: "viewer" }, { topic: "configured", name: "retention.ms", op: "delete" });
    expect(viewer).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await retention()).toMatchObject({ value: "60000" });

    const removed = await runAction(alterTopicConfig, deps, operator, { topic: "configured", name: "retention.ms", op: "delete" });
    expect(removed).toEqual({ ok: true, data: { topic: "configured", name: "retention.ms", value: null } });
    expect(await retention()).toMatchObject({ value: String(100 * 3_600_000), source: "static broker" });
    const again = await runAction(alterTopicConfig, deps, operator, { topic: "configured", name: "retention.ms", op: "delete" });
    expect(again).toMatchObject({ ok: false, code: "NO_OVERRIDE", fieldErrors: { name: expect.stringMatching(/static broker/) } });

    const records = (await audit.list({ action: "topic.alterConfig" })).rows.reverse();
    expect(records.map((r) => [r.actor, r.outcome, (r.parameters as Record<string, unknown>).name])).toEqual([
      ["otto", "ok", "retention.ms"],
      ["otto", "error", "cleanup.policy"],
      ["otto", "error", "retention.forever"],
      ["otto", "error", "retention.ms"],
      ["vic", "error", "retention.ms"],
      ["otto", "ok", "retention.ms"],
      ["otto", "error", "retention.ms"],
    ]);
  });
});

describe("creating a topic with more configs", () => {
  it("takes name=value lines from the form; malformed lines and Kafka's INVALID_CONFIG are shown at that field", async () => {
    const deps = { audit: new AuditStore(db.prisma), clusterName: "it", context: { cluster: conn, groups: new GroupsClient(conn), users: new UserStore(db.prisma) } };
    const operator = { username: "otto", role: "operator" as const };
    const form = (configs: string) => ({ name: "with-configs", partitions: "1", replicationFactor: "1", retentionMs: "", cleanupPolicy: "", configs });

    const malformed = await runAction(createTopic, deps, operator, form("max.message.bytes 2000000"));
    expect(malformed).toMatchObject({ ok: false, code: "INVALID_INPUT", fieldErrors: { configs: "Line 1: write name=value (e.g. max.message.bytes=2097152)" } });
    const twice = await runAction(createTopic, deps, operator, form("segment.ms=1000\nsegment.ms=2000"));
    expect(twice).toMatchObject({ ok: false, fieldErrors: { configs: "Line 2: segment.ms is given twice" } });
    const ownField = await runAction(createTopic, deps, operator, form("retention.ms=5"));
    expect(ownField).toMatchObject({ ok: false, fieldErrors: { configs: "Line 1: set retention.ms in its own field" } });
    const rejected = await runAction(createTopic, deps, operator, form("max.message.bytes=lots"));
    expect(rejected).toMatchObject({ ok: false, code: "INVALID_CONFIG", fieldErrors: { configs: expect.stringMatching(/max\.message\.bytes/) } });
    expect((await conn.snapshot(0)).byName.has("with-configs")).toBe(false);

    const created = await runAction(createTopic, deps, operator, form("# the broker's limit is lower\nmax.message.bytes = 2000000\n\nsegment.ms=3600000"));
    expect(created).toEqual({ ok: true, data: { name: "with-configs" } });
    const configs = await conn.topicConfigs("with-configs");
    expect(configs.filter((c) => c.source === "topic").map((c) => [c.name, c.value])).toEqual([
      ["max.message.bytes", "2000000"],
      ["segment.ms", "3600000"],
    ]);
  });
});

describe("stored state-change history", () => {
  it("keeps what the watcher follows and returns it by time range, machine, topic, broker and subject text, paged", async () => {
    const store = new StateChangeStore(db.prisma);
    const hub = new EventHub(1000);
    const watcher = new ClusterWatcher(conn, hub, store, { intervalMs: 200, log: () => {} });
    watcher.start();
    const clusterId = (await conn.snapshot(0)).clusterId!;
    try {
      await until("the watcher follows", async () => watcher.mode === "state-changes");
      const before = new Date();
      await new Promise((r) => setTimeout(r, 20));
      await conn.createTopic({ name: "history", partitions: 2, replicationFactor: 1, configs: {} });
      await until("stored", async () => (await store.history(clusterId, { q: "history-", from: before })).total >= 8);
      const after = new Date();

      const all = await store.history(clusterId, { q: "history-", from: before, to: after });
      expect(all.total).toBe(8);
      // Newest first: per partition NewPartition then OnlinePartition, per replica NewReplica then OnlineReplica.
      const chronological = all.rows.slice().reverse();
      const of = (machine: string, subject: string) => chronological.filter((e) => e.machine === machine && e.subject === subject).map((e) => `${e.from}>${e.to}`);
      for (const p of [0, 1]) {
        expect(of("partition", `history-${p}`)).toEqual(["NonExistentPartition>NewPartition", "NewPartition>OnlinePartition"]);
        expect(of("replica", `history-${p}@0`)).toEqual(["NonExistentReplica>NewReplica", "NewReplica>OnlineReplica"]);
      }
      expect(all.rows.every((e) => e.offset !== null && e.at >= before.getTime() && e.at <= after.getTime())).toBe(true);

      const partitions = await store.history(clusterId, { machine: "partition", q: "HISTORY", from: before });
      expect(partitions.total).toBe(4);
      expect(partitions.rows.map((e) => `${e.subject}:${e.to}`).sort()).toEqual(["history-0:NewPartition", "history-0:OnlinePartition", "history-1:NewPartition", "history-1:OnlinePartition"]);
      expect(partitions.rows.every((e) => e.machine === "partition")).toBe(true);

      const paged = await store.history(clusterId, { q: "history-", from: before, pageSize: 3, page: 3 });
      expect([paged.total, paged.pages, paged.page, paged.rows.length]).toEqual([8, 3, 3, 2]);
      expect((await store.history(clusterId, { q: "history-", from: before, pageSize: 3, page: 99 })).page).toBe(3);

      // Exact filters: a topic's partitions and replicas (not those of history-more), a broker's replicas.
      await conn.createTopic({ name: "history-more", partitions: 1, replicationFactor: 1, configs: {} });
      await until("history-more stored", async () => (await store.history(clusterId, { topic: "history-more" })).total >= 4);
      expect((await store.history(clusterId, { topic: "history", from: before })).total).toBe(8);
      const onBroker = await store.history(clusterId, { broker: 0, topic: "history", from: before });
      expect(onBroker.rows.map((e) => e.subject).sort()).toEqual(["history-0@0", "history-0@0", "history-1@0", "history-1@0"]);
      expect((await store.history(clusterId, { group: "history-0", from: before })).total).toBe(0);

      expect((await store.history(clusterId, { q: "history-", to: before })).total).toBe(0);
      expect((await store.history("another-cluster", { q: "history-" })).total).toBe(0);
    } finally {
      await watcher.stop();
    }
  });
});
