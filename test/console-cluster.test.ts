// The console's cluster side against a real broker process: the shared metadata snapshot,
// topic creation with Kafka's errors mapped to form fields, topic details (offsets, sizes via
// DescribeLogDirs, configs), the message browser's Fetch, and the watcher following
// __state_changes into the hub and the store. Snapshot and group diffs (clusters without
// __state_changes) and server-side paging are checked on built values; the watcher diffing a
// real cluster is in console-foreign-cluster.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MetadataResponse } from "../broker/protocol/generated/message/MetadataResponse.ts";
import { openDatabase, type Database } from "../server/db/database.ts";
import { migrate, readMigrations } from "../server/db/migrate.ts";
import { StateChangeStore } from "../server/db/state-changes.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { ClusterError } from "../server/kafka/errors.ts";
import { EventHub, type ObservedEvent } from "../server/kafka/events.ts";
import { diffGroups, type ObservedGroup } from "../server/kafka/group-diff.ts";
import { filterFromSearch, matchesFilter, type StateChangeFilter } from "../server/kafka/state-change-filter.ts";
import { buildSnapshot, diffSnapshots, pageTopics, type ClusterSnapshot } from "../server/kafka/snapshot.ts";
import { ClusterWatcher, STATE_CHANGES_TOPIC } from "../server/kafka/watcher.ts";
import { browseMessages } from "../server/queries/messages.ts";
import { BrokerNode } from "./helpers/broker-node.ts";

let node: BrokerNode;
let conn: ClusterConnection;
let db: Database;
let dbDir: string;

beforeAll(async () => {
  node = await BrokerNode.start({ "num.partitions": "1" });
  conn = new ClusterConnection("it", [node.bootstrap]);
  dbDir = mkdtempSync(join(tmpdir(), "samsa-console-it-"));
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

async function createError(t: Parameters<ClusterConnection["createTopic"]>[0]): Promise<ClusterError> {
  try {
    await conn.createTopic(t);
  } catch (err) {
    expect(err).toBeInstanceOf(ClusterError);
    return err as ClusterError;
  }
  throw new Error(`${t.name} was created`);
}

describe("console cluster connection", () => {
  it("takes one snapshot with the cluster id, controller, brokers and internal topics", async () => {
    const s = await until("__state_changes", async () => {
      const snap = await conn.snapshot(0);
      return snap.byName.has(STATE_CHANGES_TOPIC) && snap;
    });
    expect(s.clusterId).toMatch(/\S/);
    expect(s.controllerId).toBe(0);
    expect(s.brokers.map((b) => b.nodeId)).toEqual([0]);
    expect(s.byName.get(STATE_CHANGES_TOPIC)).toMatchObject({ internal: true, replicationFactor: 1 });
    expect(await conn.snapshot()).toBe(s); // cached
  });

  it("maps Kafka's CreateTopics errors, with the broker's message, to the form's fields", async () => {
    const rf = await createError({ name: "rf", partitions: 1, replicationFactor: 3, configs: {} });
    expect(rf).toMatchObject({ code: "INVALID_REPLICATION_FACTOR", field: "replicationFactor" });
    expect(rf.message).toMatch(/3/);
    expect(await createError({ name: "bad name!", partitions: 1, replicationFactor: 1, configs: {} })).toMatchObject({ code: "INVALID_TOPIC_EXCEPTION", field: "name" });
    expect(await createError({ name: "zero", partitions: 0, replicationFactor: 1, configs: {} })).toMatchObject({ code: "INVALID_PARTITIONS", field: "partitions" });
    expect(await createError({ name: "cfg", partitions: 1, replicationFactor: 1, configs: { "retention.ms": "soon" } })).toMatchObject({ code: "INVALID_CONFIG", field: "retentionMs" });
    expect(await createError({ name: "cfg", partitions: 1, replicationFactor: 1, configs: { "cleanup.policy": "shred" } })).toMatchObject({ code: "INVALID_CONFIG", field: "cleanupPolicy" });
    await conn.createTopic({ name: "twice", partitions: 1, replicationFactor: 1, configs: {} });
    expect(await createError({ name: "twice", partitions: 1, replicationFactor: 1, configs: {} })).toMatchObject({ code: "TOPIC_ALREADY_EXISTS", field: "name" });
  });

  it("describes a topic: partitions, offsets, sizes from DescribeLogDirs, configs by source; and browses its messages", async () => {
    await conn.createTopic({ name: "orders", partitions: 2, replicationFactor: 1, configs: { "retention.ms": "3600000", "cleanup.policy": "delete" } });
    const kafka = new Kafka({ clientId: "console-it", brokers: [node.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "orders", messages: [0, 1, 2].map((i) => ({ partition: 1, key: `k${i}`, value: `v${i}`, headers: { h: "x" } })) });
    await producer.disconnect();
    const d = await conn.topicDetail("orders");
    expect(d?.problems).toEqual([]);
    expect(d?.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr, p.earliestOffset, p.latestOffset])).toEqual([
      [0, 0, [0], [0], "0", "0"],
      [1, 0, [0], [0], "0", "3"],
    ]);
    expect(d?.partitions[1]!.sizeBytes).toBeGreaterThan(0);
    expect(d?.configs.find((c) => c.name === "retention.ms")).toMatchObject({ value: "3600000", isDefault: false, source: "topic" });
    const latest = await browseMessages(conn, { topic: "orders", partition: null, mode: "latest", limit: 2 });
    expect(latest.map((m) => [m.offset, m.key, m.value])).toEqual([
      ["2", "k2", "v2"],
      ["1", "k1", "v1"],
    ]);
    const fromOffset = await browseMessages(conn, { topic: "orders", partition: 1, mode: "offset", offset: 1n, limit: 10 });
    expect(fromOffset.map((m) => m.value)).toEqual(["v1", "v2"]);
    expect(fromOffset[0]!.headers).toEqual({ h: "x" });
    expect(await conn.topicDetail("no-such-topic")).toBeNull();
  });

  it("browses messages from a timestamp: each partition from its first message at or after it, merged oldest first", async () => {
    await conn.createTopic({ name: "stamped", partitions: 2, replicationFactor: 1, configs: {} });
    const t = 1_700_000_000_000;
    const kafka = new Kafka({ clientId: "console-it", brokers: [node.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "stamped",
      messages: [
        { partition: 0, value: "a", timestamp: String(t) },
        { partition: 0, value: "b", timestamp: String(t + 1000) },
        { partition: 0, value: "d", timestamp: String(t + 2000) },
        { partition: 1, value: "c", timestamp: String(t + 1500) },
      ],
    });
    await producer.disconnect();
    const from = async (timestamp: number) => (await browseMessages(conn, { topic: "stamped", partition: null, mode: "timestamp", timestamp, limit: 10 })).map((m) => `${m.partition}:${m.offset}:${m.value}`);
    expect(await from(t + 1000)).toEqual(["0:1:b", "1:0:c", "0:2:d"]);
    expect(await from(t + 1001)).toEqual(["1:0:c", "0:2:d"]);
    expect(await from(t - 1)).toEqual(["0:0:a", "0:1:b", "1:0:c", "0:2:d"]);
    expect(await from(t + 5000)).toEqual([]);
  });

  it("deletes a topic through kafkajs and reports Kafka's error for an unknown one", async () => {
    await conn.createTopic({ name: "doomed", partitions: 1, replicationFactor: 1, configs: {} });
    await conn.deleteTopic("doomed");
    expect((await conn.snapshot()).byName.has("doomed")).toBe(false);
    await expect(conn.deleteTopic("doomed")).rejects.toMatchObject({ code: "UNKNOWN_TOPIC_OR_PARTITION" });
  });
});

describe("console watcher on a cluster with __state_changes", () => {
  it("follows the topic with plain fetches, fans events out and stores them, resuming after the stored offset", async () => {
    const hub = new EventHub(100);
    const store = new StateChangeStore(db.prisma);
    const seen: ObservedEvent[] = [];
    hub.subscribe((es) => seen.push(...es));
    const watcher = new ClusterWatcher(conn, hub, store, { intervalMs: 200, log: () => {} });
    watcher.start();
    try {
      await until("state-changes mode", async () => watcher.mode === "state-changes");
      await conn.createTopic({ name: "watched", partitions: 2, replicationFactor: 1, configs: {} });
      const online = await until("watched-1 online", async () => seen.find((e) => e.machine === "partition" && e.subject === "watched-1" && e.to === "OnlinePartition"));
      expect(online).toMatchObject({ source: "state-changes", node: 0, details: expect.objectContaining({ leader: 0 }) });
      expect(online.offset).toBeGreaterThanOrEqual(0);
      const clusterId = (await conn.snapshot()).clusterId!;
      const stored = await until("stored", async () => {
        const last = await store.lastOffset(clusterId);
        return last !== null && last >= online.offset! && last;
      });
      expect(hub.recent().some((e) => e.subject === "watched-0")).toBe(true);
      await watcher.stop();

      // A second watcher (a restarted console) starts after what is stored: no duplicates.
      const hub2 = new EventHub(100);
      const later: ObservedEvent[] = [];
      hub2.subscribe((es) => later.push(...es));
      const w2 = new ClusterWatcher(conn, hub2, store, { intervalMs: 200, log: () => {} });
      w2.start();
      await conn.createTopic({ name: "watched-later", partitions: 1, replicationFactor: 1, configs: {} });
      await until("watched-later", async () => later.some((e) => e.subject === "watched-later-0"));
      await w2.stop();
      expect(later.every((e) => e.offset! > stored)).toBe(true);
    } finally {
      await watcher.stop();
    }
  });
});

// ---- snapshots without a broker ------------------------------------------------------------

function metadata(topics: { name: string; id?: string; partitions: { leader: number; replicas: number[]; isr: number[] }[] }[], brokers = [0, 1, 2], controllerId = 0): MetadataResponse {
  return {
    throttleTimeMs: 0,
    clusterId: "c1",
    controllerId,
    clusterAuthorizedOperations: 0,
    brokers: brokers.map((nodeId) => ({ nodeId, host: "h", port: 9092 + nodeId, rack: null })),
    topics: topics.map((t) => ({
      errorCode: 0,
      name: t.name,
      topicId: t.id ?? `id-${t.name}`,
      isInternal: false,
      topicAuthorizedOperations: 0,
      partitions: t.partitions.map((p, i) => ({ errorCode: 0, partitionIndex: i, leaderId: p.leader, leaderEpoch: 1, replicaNodes: p.replicas, isrNodes: p.isr, offlineReplicas: [] })),
    })),
  };
}

describe("console snapshot diffs (clusters without __state_changes)", () => {
  const p = (leader: number, isr = [0, 1, 2]) => ({ leader, replicas: [0, 1, 2], isr });
  it("derives partition, broker and controller transitions with Kafka's state names", () => {
    const a = buildSnapshot(metadata([{ name: "a", partitions: [p(0), p(1)] }, { name: "gone", partitions: [p(0)] }]), 1);
    const b = buildSnapshot(metadata([{ name: "a", partitions: [p(-1, []), p(1, [1, 2])] }, { name: "new", partitions: [p(2)] }], [0, 1], 1), 2);
    const events = diffSnapshots(a, b).map((e) => `${e.machine} ${e.subject} ${e.from}->${e.to}`);
    expect(events).toEqual([
      "broker 2 Online->Offline",
      "controller controller 0->1",
      "partition a-0 OnlinePartition->OfflinePartition",
      "partition a-1 OnlinePartition->OnlinePartition",
      "partition new-0 NonExistentPartition->OnlinePartition",
      "partition gone-0 OnlinePartition->NonExistentPartition",
    ]);
    expect(diffSnapshots(b, b)).toEqual([]);
  });

  it("sees a topic deleted and re-created under the same name (new topic id)", () => {
    const a = buildSnapshot(metadata([{ name: "t", id: "one", partitions: [p(0)] }]), 1);
    const b = buildSnapshot(metadata([{ name: "t", id: "two", partitions: [p(0)] }]), 2);
    expect(diffSnapshots(a, b).map((e) => `${e.subject} ${e.from}->${e.to}`)).toEqual(["t-0 NonExistentPartition->OnlinePartition", "t-0 OnlinePartition->NonExistentPartition"]);
  });
});

describe("console group diffs (clusters without __state_changes)", () => {
  const member = (memberId: string, assignment: Record<string, number[]> | null = null) => ({ memberId, clientId: "c", assignment });
  const group = (state: string, members: ReturnType<typeof member>[] = []): ObservedGroup => ({ groupId: "g", state, protocolType: "consumer", protocol: state === "Empty" ? "" : "range", members });
  const diff = (a: ObservedGroup | null, b: ObservedGroup | null) =>
    diffGroups(new Map(a ? [["g", a]] : []), new Map(b ? [["g", b]] : []), 5).map((e) => `${e.from}->${e.to} ${e.cause}`);

  it("names the state reached and the members that joined or left", () => {
    expect(diff(null, group("Stable", [member("m1")]))).toEqual(["Empty->Stable group appeared with 1 member"]);
    expect(diff(null, group("Empty"))).toEqual([]); // Kafka creates groups Empty: nothing happened yet
    expect(diff(group("Stable", [member("m1")]), group("PreparingRebalance", [member("m1"), member("m2")]))).toEqual(["Stable->PreparingRebalance rebalance started; joined: m2"]);
    expect(diff(group("PreparingRebalance", [member("m1"), member("m2")]), group("Stable", [member("m1"), member("m2")]))).toEqual(["PreparingRebalance->Stable rebalance completed"]);
    expect(diff(group("Stable", [member("m1")]), group("Empty"))).toEqual(["Stable->Empty no members left; left: m1"]);
    expect(diff(group("Empty"), null)).toEqual(["Empty->Dead group deleted or expired"]);
  });

  it("reports a rebalance finished between two observations once, without inventing states", () => {
    const before = group("Stable", [member("m1", { t: [0, 1] })]);
    expect(diff(before, group("Stable", [member("m1", { t: [0] }), member("m2", { t: [1] })]))).toEqual(["Stable->Stable rebalanced between observations; joined: m2; assignment changed"]);
    expect(diff(before, group("Stable", [member("m1", { t: [1, 0] })]))).toEqual([]); // same assignment, listed in another order
    const events = diffGroups(new Map([["g", before]]), new Map([["g", group("Stable", [member("m1", { t: [0] }), member("m2", { t: [1] })])]]), 5);
    expect(events[0]).toMatchObject({ machine: "group", subject: "g", node: -1, source: "derived", offset: null, at: 5, details: { members: 2, joined: ["m2"], left: [], protocol: "range" } });
  });

  it("does not take the empty assignments of a rebalancing group for a reassignment", () => {
    expect(diff(group("PreparingRebalance", [member("m1")]), group("CompletingRebalance", [member("m1")]))).toEqual(["PreparingRebalance->CompletingRebalance members joined; waiting for the leader's assignment"]);
    expect(diff(group("Stable", [member("m1", { t: [0] })]), group("PreparingRebalance", [member("m1")]))).toEqual(["Stable->PreparingRebalance rebalance started"]);
  });
});

describe("state-change filters", () => {
  const e = (machine: string, subject: string) => ({ machine, subject });
  const pass = (f: StateChangeFilter) =>
    [e("partition", "orders-3"), e("replica", "orders-3@2"), e("partition", "orders-archive-1"), e("broker", "2"), e("replica", "other-0@2"), e("group", "orders-3"), e("group", "payments")]
      .filter((x) => matchesFilter(x, f))
      .map((x) => `${x.machine} ${x.subject}`);

  it("matches a topic's partitions and replicas exactly, a broker with its replicas, a group by id", () => {
    expect(pass({ topic: "orders" })).toEqual(["partition orders-3", "replica orders-3@2"]);
    expect(pass({ broker: 2 })).toEqual(["replica orders-3@2", "broker 2", "replica other-0@2"]);
    expect(pass({ topic: "orders", broker: 2 })).toEqual(["replica orders-3@2"]);
    expect(pass({ group: "orders-3" })).toEqual(["group orders-3"]);
    expect(pass({ machine: "replica", q: "OTHER" })).toEqual(["replica other-0@2"]);
  });

  it("reads the filter from the page's search parameters, dropping what cannot match", () => {
    expect(filterFromSearch({ machine: "partition", topic: " orders ", broker: "2", group: "", q: "x" })).toEqual({ machine: "partition", topic: "orders", group: undefined, broker: 2, q: "x" });
    expect(filterFromSearch({ machine: "bogus", broker: "two" })).toEqual({ machine: undefined, topic: undefined, group: undefined, broker: undefined, q: undefined });
  });
});

describe("console topic paging", () => {
  const many: ClusterSnapshot = buildSnapshot(
    metadata(Array.from({ length: 10_000 }, (_, i) => ({ name: `topic-${String(i).padStart(5, "0")}`, partitions: [{ leader: 0, replicas: [0], isr: [0] }] })), [0]),
  );
  it("pages and searches 10,000 topics on the server from one snapshot", () => {
    const first = pageTopics(many, { page: 1, pageSize: 50 });
    expect(first).toMatchObject({ total: 10_000, pages: 200, page: 1 });
    expect(first.rows[0]!.name).toBe("topic-00000");
    const last = pageTopics(many, { page: 999, pageSize: 50 });
    expect(last.page).toBe(200);
    expect(last.rows.at(-1)!.name).toBe("topic-09999");
    const found = pageTopics(many, { query: "TOPIC-0999", pageSize: 5 });
    expect(found.total).toBe(10);
    expect(found.rows.map((t) => t.name)).toEqual(["topic-09990", "topic-09991", "topic-09992", "topic-09993", "topic-09994"]);
    expect(pageTopics(many, { query: "nothing-like-it" })).toMatchObject({ total: 0, pages: 1, page: 1, rows: [] });
  });
});
