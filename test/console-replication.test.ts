// The console's view of replication on a real three-node cluster (node 0 is the controller):
// every replica's log end offset read with ListOffsets and Kafka's debugging replica id (which
// a follower answers too, as Kafka's does), Kafka's INVALID_REPLICATION_FACTOR put in words,
// and a broker SIGKILLed and restarted while the watcher follows __state_changes: its
// partitions become under-replicated and under min ISR in a snapshot the watcher takes by
// itself (what the SSE stream forwards), its replicas offline and out of the ISR since their
// OfflineReplica events, then back in sync. The pure parts (replica views, min ISR rules, the problem
// lists) are checked on built values.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { ErrorCode } from "../broker/protocol/errors.ts";
import type { MetadataResponse } from "../broker/protocol/generated/message/MetadataResponse.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { ClusterError } from "../server/kafka/errors.ts";
import { EventHub } from "../server/kafka/events.ts";
import { isUnderMinIsr, pageProblemPartitions, topicsNeedingMinIsr, withMinIsr } from "../server/kafka/partition-health.ts";
import { leftIsrAt, replicaKey, replicaViews } from "../server/kafka/replica-status.ts";
import { buildSnapshot, type ClusterSnapshot } from "../server/kafka/snapshot.ts";
import { summarize } from "../server/kafka/summary.ts";
import { ClusterWatcher, STATE_CHANGES_TOPIC } from "../server/kafka/watcher.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { waitFor, withWire } from "./helpers/groups.ts";

const TOPIC = "console-replicated";
let cluster: TestCluster;
let conn: ClusterConnection;
let hub: EventHub;
let watcher: ClusterWatcher;

beforeAll(async () => {
  cluster = await TestCluster.start(3, { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500", "state.change.log.replication.factor": "3" });
  conn = new ClusterConnection("it", [cluster.node(0).bootstrap]);
  hub = new EventHub(1000);
  watcher = new ClusterWatcher(conn, hub, null, { intervalMs: 500, log: () => {} });
  watcher.start();
  // min.insync.replicas 3: one broker down puts every partition under it.
  await conn.createTopic({ name: TOPIC, partitions: 3, replicationFactor: 3, configs: { "min.insync.replicas": "3" } });
  await waitFor("all replicas in sync", async () => {
    const t = (await conn.snapshot(0)).byName.get(TOPIC);
    return t && t.partitions.length === 3 && t.partitions.every((p) => p.leader >= 0 && p.isr.length === 3);
  });
  await conn.produce(TOPIC, { key: null, value: "first", partition: 0 });
  await conn.produce(TOPIC, { key: null, value: "second", partition: 0 });
}, 120_000);

afterAll(async () => {
  await watcher?.stop();
  await conn?.close();
  await cluster?.destroy();
});

/** ListOffsets (latest) of TOPIC-0 sent to one broker with the given replica id. */
async function latestOn(nodeId: number, replicaId: number): Promise<{ errorCode: number; offset: bigint }> {
  return withWire(cluster.node(nodeId).bootstrap, async (c) => {
    const r = await c.request(ApiKey.ListOffsets, 7, {
      replicaId,
      isolationLevel: 0,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
    });
    const p = r.topics[0]!.partitions[0]!;
    return { errorCode: p.errorCode, offset: p.offset };
  });
}

describe("replica offsets", () => {
  it("ListOffsets with the debugging replica id (-2) answers on a follower with its log end offset; a client's (-1) is sent to the leader", async () => {
    const p0 = (await conn.snapshot(0)).byName.get(TOPIC)!.partitions[0]!;
    const follower = p0.replicas.find((r) => r !== p0.leader)!;
    // Kafka's fetchOnlyFromLeader is false only for the debugging id.
    expect(await latestOn(follower, -1)).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    expect(await latestOn(p0.leader, -2)).toEqual({ errorCode: ErrorCode.NONE, offset: 2n });
    await waitFor("the follower's copy of both records", async () => (await latestOn(follower, -2)).offset === 2n);
  });

  it("reads every replica's log end offset, one request per broker", async () => {
    const s = await conn.snapshot(0);
    const replicas = s.byName.get(TOPIC)!.partitions.flatMap((p) => p.replicas.map((broker) => ({ topic: TOPIC, partition: p.partition, broker })));
    const ends = await waitFor("every follower caught up", async () => {
      const e = await conn.replicaLogEndOffsets(replicas);
      return [0, 1, 2].every((b) => e.get(replicaKey(TOPIC, 0, b)) === 2n) ? e : null;
    });
    expect(ends.size).toBe(9);
    for (const b of [0, 1, 2]) expect(ends.get(replicaKey(TOPIC, 1, b))).toBe(0n);
  });
});

describe("topic creation", () => {
  it("reads the cluster's default replication factor and explains INVALID_REPLICATION_FACTOR in words", async () => {
    expect(await conn.defaultReplicationFactor()).toBe(1);
    const err = await conn.createTopic({ name: "too-many", partitions: 1, replicationFactor: 4, configs: {} }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ClusterError);
    expect(err).toMatchObject({ code: "INVALID_REPLICATION_FACTOR", field: "replicationFactor" });
    expect((err as ClusterError).message).toMatch(/^4 replicas were asked for but only 3 brokers are alive/);
    // Kafka's own message follows, for the operator who knows it.
    expect((err as ClusterError).message).toMatch(/\(Kafka: .+\)$/);
  });
});

describe("a broker killed and restarted", () => {
  it("shows its replicas offline, the partitions under-replicated and under min ISR, live, then back in sync", async () => {
    const before = await conn.snapshot(0);
    const scLeader = before.byName.get(STATE_CHANGES_TOPIC)!.partitions[0]!.leader;
    // Not the controller (node 0, the only one) and not the state-change log's leader (the watcher reads it).
    const victim = [1, 2].find((n) => n !== scLeader)!;
    const pushed: ClusterSnapshot[] = [];
    const off = conn.onSnapshot((s) => pushed.push(s));
    const seqBefore = hub.recent(1)[0]?.seq ?? 0;

    await cluster.node(victim).stop("SIGKILL");
    // The watcher takes a snapshot after the fencing's events, with nobody asking: that is what the SSE stream sends.
    const down = await waitFor("a pushed snapshot with the topic under-replicated", () => pushed.find((s) => s.byName.get(TOPIC)?.underReplicated === 3), 30_000);
    const t = down.byName.get(TOPIC)!;
    expect(t).toMatchObject({ underReplicated: 3, offline: 0, minIsr: 3, underMinIsr: 3 });
    expect(down.offlineBrokers).toEqual([victim]);
    expect(down.totals.underMinIsr).toBeGreaterThanOrEqual(3);
    const summary = summarize("it", down, watcher.mode);
    expect(summary).toMatchObject({ underReplicated: down.totals.underReplicated, underMinIsr: down.totals.underMinIsr, offline: 0 });
    expect(pageProblemPartitions(down, "under-min-isr").rows.filter((p) => p.topic === TOPIC).map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(pageProblemPartitions(down, "under-replicated", { broker: victim }).total).toBe(down.totals.underReplicated);

    // Each of the victim's replicas went offline in the stream (fenced: out of every ISR).
    const offlineEvent = (p: number) => hub.since(seqBefore).find((e) => e.machine === "replica" && e.subject === `${TOPIC}-${p}@${victim}` && e.to === "OfflineReplica");
    const wentOffline = await waitFor("the victim's replicas offline in the stream", () => ([0, 1, 2].every((p) => offlineEvent(p)) ? [0, 1, 2].map((p) => offlineEvent(p)!) : null));
    const live = new Set(down.brokers.map((b) => b.nodeId));
    const p0 = t.partitions[0]!;
    const ends = await conn.replicaLogEndOffsets(p0.replicas.map((broker) => ({ topic: TOPIC, partition: 0, broker })));
    const events = hub.recent().filter((e) => e.subject === `${TOPIC}-0` || e.subject.startsWith(`${TOPIC}-0@`));
    const views = replicaViews(TOPIC, p0, live, ends, events);
    const mine = views.find((v) => v.broker === victim)!;
    expect(mine).toMatchObject({ state: "offline", logEndOffset: null, lag: null });
    expect(mine.outOfSyncSince).toBe(wentOffline[0]!.at);
    expect(views.filter((v) => v.broker !== victim).map((v) => v.state).sort()).toEqual(["in-sync", "leader"]);

    // Too many replicas for the brokers left, in words.
    await expect(conn.createTopic({ name: "too-many-now", partitions: 1, replicationFactor: 4, configs: {} })).rejects.toThrow(/^4 replicas were asked for but only 2 brokers are alive/);

    pushed.length = 0;
    await cluster.node(victim).launch();
    const healed = await waitFor("a pushed snapshot with the topic back in sync", () => pushed.find((s) => s.byName.get(TOPIC)?.underReplicated === 0 && s.offlineBrokers.length === 0), 60_000);
    expect(healed.byName.get(TOPIC)).toMatchObject({ underReplicated: 0, underMinIsr: 0 });
    off();
    // Back in the ISR after catching up: its replicas online again, which is what brings the pages their refresh.
    await waitFor("the victim's replicas online again", () => [0, 1, 2].every((p) => hub.since(seqBefore).some((e) => e.subject === `${TOPIC}-${p}@${victim}` && e.to === "OnlineReplica")));
    const back = replicaViews(TOPIC, healed.byName.get(TOPIC)!.partitions[0]!, new Set(healed.brokers.map((b) => b.nodeId)), new Map(), hub.recent().filter((e) => e.subject === `${TOPIC}-0` || e.subject.startsWith(`${TOPIC}-0@`)));
    expect(back.find((v) => v.broker === victim)).toMatchObject({ state: expect.stringMatching(/^(in-sync|leader)$/), outOfSyncSince: null });
  }, 120_000);
});

describe("replica views and partition problems (built values)", () => {
  const partition = (index: number, leader: number, replicas: number[], isr: number[], offlineReplicas: number[] = []) => ({
    errorCode: 0,
    partitionIndex: index,
    leaderId: leader,
    leaderEpoch: 1,
    replicaNodes: replicas,
    isrNodes: isr,
    offlineReplicas,
  });
  const metadata = (topics: { name: string; partitions: ReturnType<typeof partition>[] }[], brokers = [0, 1, 2]) =>
    ({
      throttleTimeMs: 0,
      brokers: brokers.map((nodeId) => ({ nodeId, host: "h", port: 9092 + nodeId, rack: null })),
      clusterId: "c",
      controllerId: 0,
      topics: topics.map((t) => ({ errorCode: 0, name: t.name, topicId: "AAAAAAAAAAAAAAAAAAAAAA", isInternal: false, partitions: t.partitions, topicAuthorizedOperations: 0 })),
      clusterAuthorizedOperations: 0,
    }) as unknown as MetadataResponse;

  it("a follower's lag is the leader's log end minus its own; out of sync since the first event without it after one with it", () => {
    const ends = new Map([
      [replicaKey("t", 0, 0), 120n],
      [replicaKey("t", 0, 1), 100n],
      [replicaKey("t", 0, 2), 120n],
    ]);
    const ev = (at: number, details: Record<string, unknown>, subject = "t-0", to = "OnlinePartition") => ({ machine: subject.includes("@") ? "replica" : "partition", subject, to, at, details });
    const events = [
      ev(30, { isr: [0] }),
      ev(10, { isr: [0, 1, 2] }),
      ev(20, { isr: [0, 2] }),
      ev(25, { leader: 0 }),
    ];
    const views = replicaViews("t", { partition: 0, leader: 0, replicas: [0, 1, 2], isr: [0, 2], offlineReplicas: [] }, new Set([0, 1, 2]), ends, events);
    expect(views).toEqual([
      { broker: 0, state: "leader", logEndOffset: "120", lag: null, outOfSyncSince: null },
      { broker: 1, state: "out-of-sync", logEndOffset: "100", lag: "20", outOfSyncSince: 20 },
      { broker: 2, state: "in-sync", logEndOffset: "120", lag: "0", outOfSyncSince: null },
    ]);
    // Never seen in the ISR: since when is unknown. Seen again in it: not out of sync.
    expect(leftIsrAt([ev(5, { isr: [0] })], 1)).toBeNull();
    expect(leftIsrAt([...events, ev(40, { isr: [0, 1] })], 1)).toBeNull();
    // Samsa's replica transitions: fenced (OfflineReplica, no ISR in the details) is out of the ISR, back online is in it.
    const fenced = [ev(10, { isr: [0, 1] }), ev(50, { broker: 1 }, "t-0@1", "OfflineReplica"), ev(55, { broker: 0 }, "t-0@0", "OfflineReplica")];
    expect(leftIsrAt(fenced, 1)).toBe(50);
    expect(leftIsrAt([...fenced, ev(60, { broker: 1 }, "t-0@1", "OnlineReplica")], 1)).toBeNull();
    // A leader's shrink (InSync → OutOfSync) carries the committed ISR.
    expect(leftIsrAt([ev(10, { isr: [0, 1] }), ev(70, { broker: 1, isr: [0] }, "t-0@1", "OutOfSync")], 1)).toBe(70);
    // A broker missing from the metadata holds an offline replica, with no offsets.
    expect(replicaViews("t", { partition: 0, leader: 0, replicas: [0, 3], isr: [0], offlineReplicas: [] }, new Set([0]), ends, [])[1]).toEqual({
      broker: 3,
      state: "offline",
      logEndOffset: null,
      lag: null,
      outOfSyncSince: null,
    });
  });

  it("counts under min ISR as Kafka does (led, ISR below min(min.insync.replicas, replicas)) and lists each problem", () => {
    expect(isUnderMinIsr({ leader: 0, isr: [0], replicas: [0, 1, 2] }, 2)).toBe(true);
    expect(isUnderMinIsr({ leader: 0, isr: [0], replicas: [0] }, 2)).toBe(false);
    expect(isUnderMinIsr({ leader: -1, isr: [0], replicas: [0, 1] }, 2)).toBe(false);
    expect(isUnderMinIsr({ leader: 0, isr: [0], replicas: [0, 1] }, null)).toBe(false);
    const s = buildSnapshot(
      metadata([
        { name: "a", partitions: [partition(0, 0, [0, 1, 2], [0, 1, 2]), partition(1, 1, [1, 2, 0], [1])] },
        { name: "b", partitions: [partition(0, -1, [2, 0], [2], [2]), partition(1, 0, [0, 1], [0, 1])] },
        { name: "c", partitions: [partition(0, 0, [0], [0])] },
      ]),
    );
    expect(s.totals).toMatchObject({ underReplicated: 2, underMinIsr: null, offline: 1 });
    expect(topicsNeedingMinIsr(s)).toEqual(["a", "b"]);
    const withMin = withMinIsr(s, new Map([["a", 2], ["b", 2]]));
    expect(withMin.totals.underMinIsr).toBe(1);
    expect(withMin.byName.get("a")).toMatchObject({ minIsr: 2, underMinIsr: 1 });
    expect(withMinIsr(s, null).totals.underMinIsr).toBeNull();
    const rows = (problem: "under-replicated" | "under-min-isr" | "offline", broker?: number) => pageProblemPartitions(withMin, problem, { broker }).rows.map((p) => `${p.topic}-${p.partition}`);
    expect(rows("under-replicated")).toEqual(["a-1", "b-0"]);
    expect(rows("under-min-isr")).toEqual(["a-1"]);
    expect(rows("offline")).toEqual(["b-0"]);
    expect(rows("under-replicated", 1)).toEqual(["a-1"]);
    // A fully replicated cluster needs no configs and has nothing under min ISR.
    expect(buildSnapshot(metadata([{ name: "c", partitions: [partition(0, 0, [0], [0])] }])).totals.underMinIsr).toBe(0);
  });
});
