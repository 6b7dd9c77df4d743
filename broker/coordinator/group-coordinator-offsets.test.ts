import { describe, expect, it } from "vitest";
import { ManualTime } from "../log/test-support.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { GroupCoordinator, type OffsetCommitParams } from "./group-coordinator.ts";
import { GroupState } from "./group-state.ts";
import { InMemoryOffsetsTopic } from "./in-memory-coordinator-log.ts";
import type { OffsetAndMetadata } from "./offset-and-metadata.ts";
import { groupMetadataKey, groupMetadataValue, offsetCommitKey, offsetCommitValue } from "./offsets-topic-records.ts";
import { decodedRecords, GatedLog, harness, heartbeatParams, joinParams, settle, subscription, syncParams, TEST_CONFIG, track, type Harness } from "./test-support.ts";

const MINUTE = 60_000;

function value(offset: bigint, o: Partial<OffsetAndMetadata> = {}): OffsetAndMetadata {
  return { offset, leaderEpoch: -1, metadata: "", commitTimestamp: 1_000_000, expireTimestamp: null, ...o };
}

function commit(groupId: string, entries: [string, number, bigint][], o: Partial<OffsetCommitParams> = {}): OffsetCommitParams {
  return { groupId, generationId: -1, memberId: "", groupInstanceId: null, offsets: entries.map(([topic, partition, offset]) => ({ tp: { topic, partition }, value: value(offset) })), ...o };
}

/** A Stable consumer group of one member subscribed to `topics`. */
async function oneMemberGroup(h: Harness, groupId: string, topics = ["orders"], sessionTimeoutMs = 10_000): Promise<{ memberId: string; generation: number }> {
  const j = h.coordinator.joinGroup(joinParams(groupId, { sessionTimeoutMs, protocols: [{ name: "range", metadata: subscription(topics) }] }));
  h.time.advance(0);
  const r = await j;
  await h.coordinator.syncGroup(syncParams(groupId, r.memberId, r.generationId, { assignments: new Map([[r.memberId, Buffer.from("x")]]) }));
  return { memberId: r.memberId, generation: r.generationId };
}

describe("GroupCoordinator OffsetCommit / OffsetFetch", () => {
  it("stores commits of a consumer without group management and fetches them", async () => {
    const h = await harness();
    expect(await h.coordinator.commitOffsets(commit("simple", [["orders", 0, 42n], ["orders", 1, 7n]]))).toEqual([0, 0]);
    const g = h.coordinator.manager.getGroup("simple")!;
    expect(g.state).toBe(GroupState.Empty);
    expect(g.protocolType).toBeNull();
    const f = h.coordinator.fetchOffsets("simple", [
      { topic: "orders", partition: 0 },
      { topic: "orders", partition: 5 },
    ]);
    expect(f).toEqual({
      error: 0,
      offsets: [
        { topic: "orders", partition: 0, offset: 42n, leaderEpoch: -1, metadata: "", error: 0 },
        { topic: "orders", partition: 5, offset: -1n, leaderEpoch: -1, metadata: "", error: 0 },
      ],
    });
    expect(h.coordinator.fetchOffsets("simple", null).offsets.map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ["orders", 0, 42n],
      ["orders", 1, 7n],
    ]);
    expect(h.coordinator.fetchOffsets("unknown", null)).toEqual({ error: 0, offsets: [] });
    expect(h.coordinator.fetchOffsets("unknown", [{ topic: "t", partition: 0 }]).offsets[0]!.offset).toBe(-1n);
    // The empty group id is allowed for offsets (compatibility).
    expect(await h.coordinator.commitOffsets(commit("", [["t", 0, 1n]]))).toEqual([0]);
    // Records as Kafka writes them: key v1, value v3.
    expect(decodedRecords(h.topic)[0]).toEqual({
      key: { type: "offset", version: 1, group: "simple", topic: "orders", partition: 0 },
      value: value(42n),
    });
  });

  it("answers a commit only once its append completed, and only then shows it", async () => {
    const topic = new InMemoryOffsetsTopic();
    const time = new ManualTime(1_000_000);
    const gated = new GatedLog(topic.newLeaderView());
    const c = new GroupCoordinator({ config: TEST_CONFIG, log: gated, clock: time, timer: time });
    c.startup();
    await c.onBecomeLeader(0);
    const first = track(c.commitOffsets(commit("g", [["t", 0, 1n]])));
    await settle();
    expect(first.done).toBe(false);
    expect(c.fetchOffsets("g", [{ topic: "t", partition: 0 }]).offsets[0]!.offset).toBe(-1n);
    // A second commit appended after the first; the first completes last but must not win.
    const second = track(c.commitOffsets(commit("g", [["t", 0, 2n]])));
    gated.held[1]!.release();
    await settle();
    gated.held[0]!.release();
    await settle();
    expect(first.value).toEqual([0]);
    expect(second.value).toEqual([0]);
    expect(c.fetchOffsets("g", [{ topic: "t", partition: 0 }]).offsets[0]!.offset).toBe(2n);
  });

  it("keeps an earlier commit that succeeds after a later one failed", async () => {
    const topic = new InMemoryOffsetsTopic();
    const time = new ManualTime(1_000_000);
    const gated = new GatedLog(topic.newLeaderView());
    const c = new GroupCoordinator({ config: TEST_CONFIG, log: gated, clock: time, timer: time });
    c.startup();
    await c.onBecomeLeader(0);
    const first = c.commitOffsets(commit("g", [["t", 0, 1n]]));
    const second = c.commitOffsets(commit("g", [["t", 0, 2n]]));
    gated.held[1]!.fail(new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS));
    expect(await second).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    gated.held[0]!.release();
    expect(await first).toEqual([0]);
    expect(c.fetchOffsets("g", null).offsets[0]!.offset).toBe(1n);
  });

  it("validates generation and member for group members", async () => {
    const h = await harness();
    expect(await h.coordinator.commitOffsets(commit("nogroup", [["t", 0, 1n]], { generationId: 3, memberId: "m" }))).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    const { memberId, generation } = await oneMemberGroup(h, "g");
    const c = (o: Partial<OffsetCommitParams>) => h.coordinator.commitOffsets(commit("g", [["orders", 0, 5n]], o));
    expect(await c({ generationId: generation, memberId })).toEqual([0]);
    expect(await c({ generationId: generation - 1, memberId })).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await c({ generationId: generation, memberId: "intruder" })).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // A consumer without group management cannot commit for a group with members.
    expect(await c({})).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(await c({ generationId: generation, memberId, groupInstanceId: "x" })).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // During PreparingRebalance the current generation may still commit.
    void h.coordinator.joinGroup(joinParams("g"));
    expect(await c({ generationId: generation, memberId })).toEqual([0]);
    // During CompletingRebalance it may not.
    const rejoin = h.coordinator.joinGroup(joinParams("g", { memberId }));
    const r = await rejoin;
    expect(h.coordinator.manager.getGroup("g")!.state).toBe(GroupState.CompletingRebalance);
    expect(await c({ generationId: r.generationId, memberId })).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]);
  });

  it("refuses metadata over offset.metadata.max.bytes per partition", async () => {
    const h = await harness({ offsetMetadataMaxBytes: 10 });
    const p = commit("g", [["t", 0, 1n], ["t", 1, 2n]]);
    p.offsets[0]!.value.metadata = "x".repeat(11);
    p.offsets[1]!.value.metadata = "y".repeat(10);
    expect(await h.coordinator.commitOffsets(p)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE, 0]);
    expect(h.coordinator.fetchOffsets("g", null).offsets).toEqual([{ topic: "t", partition: 1, offset: 2n, leaderEpoch: -1, metadata: "y".repeat(10), error: 0 }]);
    const allBad = commit("g", [["t", 2, 1n]]);
    allBad.offsets[0]!.value.metadata = "z".repeat(4097);
    expect(await h.coordinator.commitOffsets(allBad)).toEqual([ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  });

  it("maps failed appends to Kafka's commit errors and does not expose the offset", async () => {
    const h = await harness();
    const cases: [number, number][] = [
      [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NOT_COORDINATOR],
      [ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.COORDINATOR_NOT_AVAILABLE],
      [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE],
      [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REQUEST_TIMED_OUT],
    ];
    for (const [appendError, answer] of cases) {
      h.log.failNext(appendError as never);
      expect(await h.coordinator.commitOffsets(commit("g", [["t", 0, 9n]]))).toEqual([answer]);
    }
    expect(h.coordinator.fetchOffsets("g", null).offsets).toEqual([]);
  });

  it("answers status errors for every partition", async () => {
    const h = await harness({ offsetsTopicNumPartitions: 2 });
    h.coordinator.onResign(1);
    const groupOnPartition1 = ["a", "b", "c", "d"].find((g) => h.coordinator.partitionFor(g) === 1)!;
    expect(await h.coordinator.commitOffsets(commit(groupOnPartition1, [["t", 0, 1n], ["t", 1, 1n]]))).toEqual([ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR]);
    expect(h.coordinator.fetchOffsets(groupOnPartition1, null).error).toBe(ErrorCode.NOT_COORDINATOR);
  });
});

describe("GroupCoordinator admin APIs", () => {
  it("describes groups: members with metadata and assignment only when Stable", async () => {
    const h = await harness();
    const { memberId } = await oneMemberGroup(h, "g");
    const d = h.coordinator.describeGroup("g");
    expect(d.error).toBe(0);
    expect(d.summary).toMatchObject({ state: "Stable", protocolType: "consumer", protocol: "range" });
    expect(d.summary.members).toEqual([
      { memberId, groupInstanceId: null, clientId: "client", clientHost: "/127.0.0.1", metadata: subscription(["orders"]), assignment: Buffer.from("x") },
    ]);
    void h.coordinator.joinGroup(joinParams("g"));
    const during = h.coordinator.describeGroup("g").summary;
    expect(during.state).toBe("PreparingRebalance");
    expect(during.protocol).toBe("");
    expect(during.members.every((m) => m.metadata.length === 0 && m.assignment.length === 0)).toBe(true);
    expect(h.coordinator.describeGroup("unknown")).toEqual({ error: 0, summary: { state: "Dead", protocolType: "", protocol: "", members: [] } });
    expect(h.coordinator.describeGroup("").summary.state).toBe("Dead");
  });

  it("lists groups with the state and type filters", async () => {
    const h = await harness();
    await oneMemberGroup(h, "stable");
    await h.coordinator.commitOffsets(commit("simple", [["t", 0, 1n]]));
    const names = (states: string[], types: string[] = []) => h.coordinator.listGroups(states, types).groups.map((g) => g.groupId).sort();
    expect(names([])).toEqual(["simple", "stable"]);
    expect(names(["stable"])).toEqual(["stable"]);
    expect(names(["EMPTY", "Dead"])).toEqual(["simple"]);
    expect(names([], ["Classic"])).toEqual(["simple", "stable"]);
    expect(names([], ["consumer"])).toEqual([]);
    expect(h.coordinator.listGroups([], []).groups.find((g) => g.groupId === "stable")).toEqual({ groupId: "stable", protocolType: "consumer", state: "Stable", groupType: "classic" });
  });

  it("deletes Empty groups with tombstones and refuses others", async () => {
    const h = await harness({ offsetsTopicNumPartitions: 3 });
    await h.coordinator.commitOffsets(commit("simple", [["t", 0, 1n], ["t", 1, 2n]]));
    const { memberId } = await oneMemberGroup(h, "busy");
    const used = [h.coordinator.partitionFor("busy"), h.coordinator.partitionFor("simple")];
    const other = ["a", "b", "c", "d", "e", "f", "g", "h"].find((g) => !used.includes(h.coordinator.partitionFor(g)))!;
    h.coordinator.onResign(h.coordinator.partitionFor(other));
    const r = await h.coordinator.deleteGroups(["simple", "busy", "missing", other]);
    expect(Object.fromEntries(r)).toEqual({ simple: 0, busy: ErrorCode.NON_EMPTY_GROUP, missing: ErrorCode.GROUP_ID_NOT_FOUND, [other]: ErrorCode.NOT_COORDINATOR });
    expect(h.coordinator.manager.getGroup("simple")).toBeUndefined();
    const p = h.coordinator.partitionFor("simple");
    const tail = decodedRecords(h.topic, p).filter((rec) => rec.key.type !== "unknown" && "group" in rec.key && rec.key.group === "simple").slice(-2);
    // Offsets tombstoned; no metadata tombstone for a group that never had a generation.
    expect(tail.map((t) => [t.key.type, t.value])).toEqual([
      ["offset", null],
      ["offset", null],
    ]);
    // A group that had generations gets a metadata tombstone too.
    h.coordinator.leaveGroup("busy", [{ memberId, groupInstanceId: null, reason: null }]);
    h.time.advance(30_000);
    await settle();
    expect(Object.fromEntries(await h.coordinator.deleteGroups(["busy"]))).toEqual({ busy: 0 });
    const last = decodedRecords(h.topic, h.coordinator.partitionFor("busy")).at(-1)!;
    expect(last).toEqual({ key: { type: "group", version: 2, group: "busy" }, value: null });
    expect(h.events.at(-1)).toMatchObject({ group: "busy", from: "Empty", to: "Dead" });
  });

  it("deletes offsets: all of an Empty group's, none of topics a consumer group subscribes to", async () => {
    const h = await harness();
    await h.coordinator.commitOffsets(commit("empty", [["t", 0, 1n]]));
    expect(await h.coordinator.deleteOffsets("empty", [{ topic: "t", partition: 0 }])).toEqual({ error: 0, partitions: [{ tp: { topic: "t", partition: 0 }, error: 0 }] });
    expect(h.coordinator.fetchOffsets("empty", null).offsets).toEqual([]);
    expect(decodedRecords(h.topic).at(-1)!.value).toBeNull();

    const { memberId, generation } = await oneMemberGroup(h, "g", ["orders"]);
    await h.coordinator.commitOffsets(commit("g", [["orders", 0, 1n], ["old", 0, 2n]], { generationId: generation, memberId }));
    const r = await h.coordinator.deleteOffsets("g", [
      { topic: "orders", partition: 0 },
      { topic: "old", partition: 0 },
    ]);
    expect(r.error).toBe(0);
    expect(r.partitions).toEqual([
      { tp: { topic: "orders", partition: 0 }, error: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
      { tp: { topic: "old", partition: 0 }, error: 0 },
    ]);
    expect(h.coordinator.fetchOffsets("g", null).offsets.map((o) => o.topic)).toEqual(["orders"]);
    expect((await h.coordinator.deleteOffsets("missing", [])).error).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect((await h.coordinator.deleteOffsets("", [])).error).toBe(ErrorCode.INVALID_GROUP_ID);

    // A non-consumer group with members: ErrorCode.NON_EMPTY_GROUP.
    const j = h.coordinator.joinGroup(joinParams("connect", { protocolType: "connect", protocols: [{ name: "sessioned", metadata: Buffer.from("w") }] }));
    h.time.advance(0);
    await j;
    expect((await h.coordinator.deleteOffsets("connect", [{ topic: "t", partition: 0 }])).error).toBe(ErrorCode.NON_EMPTY_GROUP);
  });
});

describe("GroupCoordinator offset retention", () => {
  it("expires an Empty group's offsets after retention since it became Empty, then the group", async () => {
    const h = await harness({ offsetsRetentionMs: 10 * MINUTE, offsetsRetentionCheckIntervalMs: MINUTE });
    const { memberId, generation } = await oneMemberGroup(h, "g");
    await h.coordinator.commitOffsets(commit("g", [["orders", 0, 5n]], { generationId: generation, memberId }));
    // Stable and subscribed: kept however old.
    h.coordinator.heartbeat(heartbeatParams("g", memberId, generation));
    expect(await h.coordinator.cleanupExpiredOffsets()).toBe(0);
    h.coordinator.leaveGroup("g", [{ memberId, groupInstanceId: null, reason: null }]);
    h.time.advance(0);
    await settle();
    expect(h.coordinator.manager.getGroup("g")!.state).toBe(GroupState.Empty);
    h.time.advance(9 * MINUTE);
    await settle();
    expect(h.coordinator.fetchOffsets("g", null).offsets).toHaveLength(1);
    h.time.advance(MINUTE); // the periodic task runs at 10 min
    await settle();
    expect(h.coordinator.manager.getGroup("g")).toBeUndefined();
    const tail = decodedRecords(h.topic).slice(-2);
    expect(tail).toEqual([
      { key: { type: "offset", version: 1, group: "g", topic: "orders", partition: 0 }, value: null },
      { key: { type: "group", version: 2, group: "g" }, value: null },
    ]);
    expect(h.events.at(-1)).toMatchObject({ from: "Empty", to: "Dead" });
  });

  it("expires a Stable consumer group's offsets of topics it no longer subscribes to (KIP-496)", async () => {
    const h = await harness({ offsetsRetentionMs: 10 * MINUTE, offsetsRetentionCheckIntervalMs: 24 * 60 * MINUTE });
    const { memberId, generation } = await oneMemberGroup(h, "g", ["orders"], 30 * MINUTE);
    await h.coordinator.commitOffsets(commit("g", [["orders", 0, 1n], ["gone", 0, 2n]], { generationId: generation, memberId }));
    h.time.advance(10 * MINUTE - 1);
    expect(await h.coordinator.cleanupExpiredOffsets()).toBe(0);
    h.time.advance(1);
    expect(await h.coordinator.cleanupExpiredOffsets()).toBe(1);
    expect(h.coordinator.fetchOffsets("g", null).offsets.map((o) => o.topic)).toEqual(["orders"]);
  });

  it("expires a simple consumer's offsets by commit time, and an explicit retention time", async () => {
    const h = await harness({ offsetsRetentionMs: 10 * MINUTE, offsetsRetentionCheckIntervalMs: 24 * 60 * MINUTE });
    const p = commit("simple", [["t", 0, 1n], ["t", 1, 1n]]);
    p.offsets[1]!.value.expireTimestamp = h.time.now() + MINUTE;
    p.offsets[0]!.value.commitTimestamp = h.time.now();
    await h.coordinator.commitOffsets(p);
    expect(decodedRecords(h.topic)[1]!.value).toMatchObject({ expireTimestamp: h.time.now() + MINUTE });
    h.time.advance(MINUTE);
    expect(await h.coordinator.cleanupExpiredOffsets()).toBe(1);
    h.time.advance(9 * MINUTE);
    expect(await h.coordinator.cleanupExpiredOffsets()).toBe(1);
    expect(h.coordinator.manager.getGroup("simple")).toBeUndefined();
    // Generation 0: no group metadata tombstone.
    expect(decodedRecords(h.topic).every((r) => r.key.type === "offset")).toBe(true);
  });
});

describe("GroupCoordinator loading", () => {
  it("reloads groups and offsets from the log: later records win, tombstones delete", async () => {
    const topic = new InMemoryOffsetsTopic();
    const h = await harness({}, topic);
    const { memberId, generation } = await oneMemberGroup(h, "g", ["orders"]);
    await h.coordinator.commitOffsets(commit("g", [["orders", 0, 10n], ["orders", 1, 11n]], { generationId: generation, memberId }));
    await h.coordinator.commitOffsets(commit("g", [["orders", 0, 20n]], { generationId: generation, memberId }));
    await h.coordinator.commitOffsets(commit("simple", [["t", 0, 3n]]));
    await h.coordinator.commitOffsets(commit("deleted", [["t", 0, 3n]]));
    await h.coordinator.deleteGroups(["deleted"]);

    // Another coordinator takes over the same log.
    const time = new ManualTime(h.time.now() + 5000);
    const c2 = new GroupCoordinator({ config: TEST_CONFIG, log: topic.newLeaderView(), clock: time, timer: time });
    c2.startup();
    await c2.onBecomeLeader(0);
    const g = c2.manager.getGroup("g")!;
    expect(g.state).toBe(GroupState.Stable);
    expect(g.generationId).toBe(generation);
    expect(g.leaderOrNull).toBe(memberId);
    expect(g.get(memberId).assignment.toString()).toBe("x");
    expect(c2.fetchOffsets("g", null).offsets.map((o) => o.offset)).toEqual([20n, 11n]);
    expect(c2.manager.getGroup("simple")!.state).toBe(GroupState.Empty);
    expect(c2.manager.getGroup("deleted")).toBeUndefined();
    // The loaded member gets a fresh session: it stays if it heartbeats, and must rejoin-free sync.
    expect(c2.heartbeat(heartbeatParams("g", memberId, generation))).toBe(ErrorCode.NONE);
    expect((await c2.syncGroup(syncParams("g", memberId, generation))).assignment.toString()).toBe("x");
    // A member that stops heartbeating is removed after its session (and the group empties).
    time.advance(10_000);
    expect(g.state).toBe(GroupState.Empty);
    expect(g.size).toBe(0);
    // The old coordinator's appends are fenced now.
    expect(await h.coordinator.commitOffsets(commit("simple", [["t", 0, 4n]]))).toEqual([ErrorCode.NOT_COORDINATOR]);
  });

  it("reads groups Kafka wrote (older value versions) and skips unknown keys", async () => {
    const topic = new InMemoryOffsetsTopic();
    const records = topic.records(0);
    const push = (key: Buffer, value: Buffer | null) => records.push({ offset: records.length, key, value });
    push(Buffer.from([0, 9, 0, 1, 0x67]), Buffer.from([0, 0])); // a key version this coordinator does not know
    push(
      groupMetadataKey("k"),
      groupMetadataValue({
        protocolType: "consumer",
        generation: 7,
        protocol: "range",
        leader: "m1",
        currentStateTimestamp: -1n,
        members: [{ memberId: "m1", groupInstanceId: "i1", clientId: "c", clientHost: "/h", rebalanceTimeout: 50_000, sessionTimeout: 20_000, subscription: subscription(["a"]), assignment: Buffer.from("A") }],
      }),
    );
    push(offsetCommitKey("k", "a", 0), offsetCommitValue(value(99n, { expireTimestamp: 5 })));
    const time = new ManualTime();
    const c = new GroupCoordinator({ config: TEST_CONFIG, log: topic.newLeaderView(), clock: time, timer: time });
    c.startup();
    await c.onBecomeLeader(0);
    const g = c.manager.getGroup("k")!;
    expect(g.state).toBe(GroupState.Stable);
    expect(g.currentStaticMemberId("i1")).toBe("m1");
    expect(g.sm.stateTimestamp).toBeNull();
    expect(c.fetchOffsets("k", null).offsets[0]!.offset).toBe(99n);
    expect(g.isSubscribedToTopic("a") && !g.isSubscribedToTopic("b")).toBe(true);
  });

  it("retries a partition whose log cannot be read, and a resign cancels the load", async () => {
    const topic = new InMemoryOffsetsTopic();
    const inner = topic.newLeaderView();
    let failures = 2;
    const flaky = {
      append: inner.append.bind(inner),
      read(p: number) {
        if (failures-- > 0) throw new Error("not hosted yet");
        return inner.read(p);
      },
    };
    const time = new ManualTime();
    const c = new GroupCoordinator({ config: TEST_CONFIG, log: flaky, clock: time, timer: time });
    c.startup();
    const loading = track(c.onBecomeLeader(0));
    await settle();
    expect(c.manager.isPartitionLoading(0)).toBe(true);
    time.advance(1000);
    await settle();
    time.advance(1000);
    await settle();
    expect(loading.done).toBe(true);
    expect(c.manager.isPartitionOwned(0)).toBe(true);
    c.onResign(0);
    expect(c.manager.isPartitionOwned(0)).toBe(false);
  });

  it("removes offsets of deleted topics", async () => {
    const h = await harness();
    await h.coordinator.commitOffsets(commit("g", [["gone", 0, 1n], ["kept", 0, 1n]]));
    expect(await h.coordinator.onPartitionsDeleted([{ topic: "gone", partition: 0 }])).toBe(1);
    expect(h.coordinator.fetchOffsets("g", null).offsets.map((o) => o.topic)).toEqual(["kept"]);
  });
});
