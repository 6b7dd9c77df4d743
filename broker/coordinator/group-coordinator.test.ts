import { describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/errors.ts";
import { GroupCoordinator, NEW_MEMBER_JOIN_TIMEOUT_MS } from "./group-coordinator.ts";
import { GroupState } from "./group-state.ts";
import { InMemoryOffsetsTopic } from "./in-memory-coordinator-log.ts";
import type { JoinGroupResult } from "./member.ts";
import { decodedRecords, harness, heartbeatParams, joinParams, settle, subscription, syncParams, track, TEST_CONFIG, type Harness } from "./test-support.ts";
import { ManualTime } from "../log/test-support.ts";

/** Joins `n` dynamic members at once and completes the rebalance; returns their ids. */
async function stableGroup(h: Harness, groupId: string, n: number): Promise<{ ids: string[]; leader: string; generation: number }> {
  const joins = Array.from({ length: n }, (_, i) => h.coordinator.joinGroup(joinParams(groupId, { clientId: `c${i}` })));
  h.time.advance(0);
  const results = await Promise.all(joins);
  const leader = results[0]!.leaderId;
  const generation = results[0]!.generationId;
  const assignments = new Map(results.map((r) => [r.memberId, Buffer.from(`a:${r.memberId}`)]));
  const syncs = results.map((r) => h.coordinator.syncGroup(syncParams(groupId, r.memberId, generation, r.memberId === leader ? { assignments } : {})));
  for (const s of await Promise.all(syncs)) expect(s.error).toBe(ErrorCode.NONE);
  expect(h.coordinator.manager.getGroup(groupId)!.state).toBe(GroupState.Stable);
  return { ids: results.map((r) => r.memberId), leader, generation };
}

function state(h: Harness, groupId: string): string | undefined {
  return h.coordinator.manager.getGroup(groupId)?.state;
}

describe("GroupCoordinator JoinGroup", () => {
  it("validates the group id, the coordinator and the session timeout", async () => {
    const h = await harness({ offsetsTopicNumPartitions: 1 });
    expect((await h.coordinator.joinGroup(joinParams(""))).error).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await h.coordinator.joinGroup(joinParams("g", { sessionTimeoutMs: 5999 }))).error).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await h.coordinator.joinGroup(joinParams("g", { sessionTimeoutMs: 1_800_001 }))).error).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await h.coordinator.joinGroup(joinParams("g", { memberId: "stale" }))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    h.coordinator.shutdown();
    expect((await h.coordinator.joinGroup(joinParams("g"))).error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it("answers NOT_COORDINATOR for groups of partitions it does not lead", async () => {
    const time = new ManualTime();
    // The partition count given at startup (an existing topic's) wins over the config.
    const coordinator = new GroupCoordinator({ config: { ...TEST_CONFIG, offsetsTopicNumPartitions: 3 }, log: new InMemoryOffsetsTopic().newLeaderView(), clock: time, timer: time });
    coordinator.startup(50);
    await coordinator.onBecomeLeader(12); // "my-group" lives in partition 12 of 50
    expect(coordinator.partitionFor("my-group")).toBe(12);
    expect((await coordinator.joinGroup(joinParams("hello"))).error).toBe(ErrorCode.NOT_COORDINATOR);
    const p = coordinator.joinGroup(joinParams("my-group"));
    time.advance(0);
    expect((await p).error).toBe(ErrorCode.NONE);
  });

  it("hands out a member id first for v4+ dynamic members (MEMBER_ID_REQUIRED)", async () => {
    const h = await harness();
    const first = await h.coordinator.joinGroup(joinParams("g", { requireKnownMemberId: true, clientId: "app" }));
    expect(first.error).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toBe("app-uuid1");
    expect(state(h, "g")).toBe(GroupState.Empty);
    const second = h.coordinator.joinGroup(joinParams("g", { requireKnownMemberId: true, memberId: first.memberId, clientId: "app" }));
    h.time.advance(0);
    const r = await second;
    expect(r).toMatchObject({ error: 0, memberId: "app-uuid1", generationId: 1, leaderId: "app-uuid1", protocolType: "consumer", protocolName: "range" });
    expect(r.members).toEqual([{ memberId: "app-uuid1", groupInstanceId: null, metadata: subscription(["orders"]) }]);
    expect(state(h, "g")).toBe(GroupState.CompletingRebalance);
    expect(h.events.map((e) => `${e.from}->${e.to}`)).toEqual(["Empty->PreparingRebalance", "PreparingRebalance->CompletingRebalance"]);
    expect(h.events[1]!.details).toEqual({ generation: 1, protocolType: "consumer", protocol: "range", leader: "app-uuid1", members: 1 });
  });

  it("expires a handed-out member id that is never used", async () => {
    const h = await harness();
    const first = await h.coordinator.joinGroup(joinParams("g", { requireKnownMemberId: true }));
    expect(h.coordinator.manager.getGroup("g")!.isPendingMember(first.memberId)).toBe(true);
    h.time.advance(10_000);
    expect(h.coordinator.manager.getGroup("g")!.isPendingMember(first.memberId)).toBe(false);
    expect((await h.coordinator.joinGroup(joinParams("g", { memberId: first.memberId }))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("refuses inconsistent protocols", async () => {
    const h = await harness();
    expect((await h.coordinator.joinGroup(joinParams("g", { protocolType: "" }))).error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.coordinator.joinGroup(joinParams("g", { protocols: [] }))).error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    await stableGroup(h, "g", 1);
    const otherType = await h.coordinator.joinGroup(joinParams("g", { protocolType: "connect" }));
    expect(otherType).toMatchObject({ error: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId: "" });
    const noCommon = await h.coordinator.joinGroup(joinParams("g", { protocols: [{ name: "sticky", metadata: Buffer.alloc(0) }] }));
    expect(noCommon.error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it("selects the protocol all members support with the most votes", async () => {
    const h = await harness();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const joins = [
      h.coordinator.joinGroup(joinParams("g", { protocols: p("range", "roundrobin", "sticky") })),
      h.coordinator.joinGroup(joinParams("g", { protocols: p("roundrobin", "range") })),
      h.coordinator.joinGroup(joinParams("g", { protocols: p("roundrobin", "range", "cooperative") })),
    ];
    h.time.advance(0);
    const results = await Promise.all(joins);
    expect(results.map((r) => r.protocolName)).toEqual(["roundrobin", "roundrobin", "roundrobin"]);
    // The leader (first joiner) gets every member's metadata for the chosen protocol.
    expect(results[0]!.members.map((m) => m.metadata.toString())).toEqual(["roundrobin", "roundrobin", "roundrobin"]);
    expect(results[1]!.members).toEqual([]);
    expect(results.every((r) => r.leaderId === results[0]!.memberId)).toBe(true);
  });

  it("keeps the leader across rebalances and elects a joined member when the leader does not rejoin", async () => {
    const h = await harness();
    const { ids, leader, generation } = await stableGroup(h, "g", 2);
    const follower = ids.find((id) => id !== leader)!;
    // The follower rejoins with new metadata; the leader does not rejoin in time.
    const rejoin = h.coordinator.joinGroup(joinParams("g", { memberId: follower, protocols: [{ name: "range", metadata: subscription(["orders", "payments"]) }] }));
    expect(state(h, "g")).toBe(GroupState.PreparingRebalance);
    // The leader keeps heartbeating (so its session holds) but never rejoins.
    for (let t = 0; t < 30_000; t += 3000) {
      expect(h.coordinator.heartbeat(heartbeatParams("g", leader, generation))).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      h.time.advance(3000);
    }
    const r = await rejoin;
    expect(r).toMatchObject({ error: 0, generationId: generation + 1, leaderId: follower });
    expect(h.coordinator.manager.getGroup("g")!.has(leader)).toBe(false);
    expect(h.coordinator.heartbeat(heartbeatParams("g", leader, generation))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("completes the rebalance as soon as every member rejoined", async () => {
    const h = await harness();
    const { ids, generation } = await stableGroup(h, "g", 3);
    const joins = ids.map((id) => h.coordinator.joinGroup(joinParams("g", { memberId: id })));
    const results = await Promise.all(joins);
    expect(results.map((r) => r.generationId)).toEqual([generation + 1, generation + 1, generation + 1]);
  });

  it("delays a new group's first rebalance, extends it while members arrive, up to the rebalance timeout", async () => {
    const h = await harness({ groupInitialRebalanceDelayMs: 3000 });
    const a = track(h.coordinator.joinGroup(joinParams("g", { rebalanceTimeoutMs: 10_000 })));
    h.time.advance(2000);
    const b = track(h.coordinator.joinGroup(joinParams("g", { rebalanceTimeoutMs: 10_000 })));
    h.time.advance(3999); // t = 5999: extended at 3000 by another 3000
    await settle();
    expect(a.done).toBe(false);
    h.time.advance(1); // t = 6000
    await settle();
    expect(a.done && b.done).toBe(true);
    expect(a.value!.generationId).toBe(1);

    // Members that keep coming push it to the rebalance timeout at most.
    const joined: ReturnType<typeof track<JoinGroupResult>>[] = [track(h.coordinator.joinGroup(joinParams("g2", { rebalanceTimeoutMs: 10_000 })))];
    for (let t = 2000; t <= 8000; t += 2000) {
      h.time.advance(2000);
      joined.push(track(h.coordinator.joinGroup(joinParams("g2", { rebalanceTimeoutMs: 10_000 }))));
    }
    h.time.advance(1999); // t = 9999
    await settle();
    expect(joined[0]!.done).toBe(false);
    h.time.advance(1); // t = 10000
    await settle();
    expect(joined.every((j) => j.done && j.value!.error === 0)).toBe(true);
    expect(joined[0]!.value!.members).toHaveLength(5);
  });

  it("removes members whose session expires and rebalances", async () => {
    const h = await harness();
    const { ids, generation } = await stableGroup(h, "g", 2);
    const [alive, dead] = ids as [string, string];
    for (let t = 0; t < 10_000; t += 3000) {
      expect(h.coordinator.heartbeat(heartbeatParams("g", alive, generation))).toBe(ErrorCode.NONE);
      h.time.advance(3000);
    }
    expect(h.coordinator.manager.getGroup("g")!.has(dead)).toBe(false);
    expect(state(h, "g")).toBe(GroupState.PreparingRebalance);
    expect(h.coordinator.heartbeat(heartbeatParams("g", alive, generation))).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const r = await h.coordinator.joinGroup(joinParams("g", { memberId: alive }));
    expect(r).toMatchObject({ error: 0, generationId: generation + 1, leaderId: alive });
    expect(h.events.find((e) => e.from === GroupState.Stable)!.cause).toContain("heartbeat expiration");
  });

  it("times out a new member's JoinGroup that the rebalance never completes", async () => {
    const h = await harness();
    // A static member that never rejoins holds the rebalance open (static members are not
    // dropped at the rebalance timeout).
    const s = h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "s1", rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 1_800_000 }));
    h.time.advance(0);
    const sr = await s;
    await h.coordinator.syncGroup(syncParams("g", sr.memberId, 1, { assignments: new Map() }));
    const newcomer = track(h.coordinator.joinGroup(joinParams("g", { rebalanceTimeoutMs: 600_000 })));
    h.time.advance(NEW_MEMBER_JOIN_TIMEOUT_MS);
    await settle();
    expect(newcomer.value).toMatchObject({ error: ErrorCode.UNKNOWN_MEMBER_ID, memberId: "" });
  });

  it("enforces group.max.size", async () => {
    const h = await harness({ groupMaxSize: 2 });
    await stableGroup(h, "g", 2);
    const r = await h.coordinator.joinGroup(joinParams("g"));
    expect(r).toMatchObject({ error: ErrorCode.GROUP_MAX_SIZE_REACHED, memberId: "" });
    expect(h.coordinator.manager.getGroup("g")!.size).toBe(2);
  });

  it("answers a member that lost its JoinGroup response again during CompletingRebalance", async () => {
    const h = await harness();
    const p = h.coordinator.joinGroup(joinParams("g"));
    h.time.advance(0);
    const first = await p;
    const again = await h.coordinator.joinGroup(joinParams("g", { memberId: first.memberId }));
    expect(again).toMatchObject({ error: 0, generationId: first.generationId, leaderId: first.memberId });
    expect(again.members).toHaveLength(1);
  });

  it("answers a follower with unchanged metadata in Stable without a rebalance", async () => {
    const h = await harness();
    const { ids, leader, generation } = await stableGroup(h, "g", 2);
    const follower = ids.find((id) => id !== leader)!;
    const r = await h.coordinator.joinGroup(joinParams("g", { memberId: follower }));
    expect(r).toMatchObject({ error: 0, generationId: generation, leaderId: leader, members: [] });
    expect(state(h, "g")).toBe(GroupState.Stable);
  });
});

describe("GroupCoordinator static membership", () => {
  async function staticStable(h: Harness): Promise<{ a: string; b: string }> {
    const ja = h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "ia", requireKnownMemberId: false }));
    const jb = h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "ib" }));
    h.time.advance(0);
    const [ra, rb] = await Promise.all([ja, jb]);
    expect(ra!.memberId).toBe("ia-uuid1");
    const assignments = new Map([
      [ra!.memberId, Buffer.from("A")],
      [rb!.memberId, Buffer.from("B")],
    ]);
    await Promise.all([
      h.coordinator.syncGroup(syncParams("g", ra!.memberId, 1, { groupInstanceId: "ia", assignments })),
      h.coordinator.syncGroup(syncParams("g", rb!.memberId, 1, { groupInstanceId: "ib" })),
    ]);
    return { a: ra!.memberId, b: rb!.memberId };
  }

  it("replaces a restarted static member's id in a Stable group without rebalancing, fencing the old id", async () => {
    const h = await harness();
    const { a, b } = await staticStable(h);
    const before = h.topic.records(0).length;
    const r = await h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "ib" }));
    expect(r).toMatchObject({ error: 0, memberId: "ib-uuid3", generationId: 1, leaderId: a, members: [] });
    expect(state(h, "g")).toBe(GroupState.Stable);
    // The new id was persisted.
    const last = decodedRecords(h.topic).slice(before);
    expect(last).toHaveLength(1);
    expect((last[0]!.value as { members: { memberId: string }[] }).members.map((m) => m.memberId).sort()).toEqual([a, "ib-uuid3"].sort());
    expect(h.coordinator.heartbeat(heartbeatParams("g", b, 1, { groupInstanceId: "ib" }))).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(h.coordinator.heartbeat(heartbeatParams("g", "ib-uuid3", 1, { groupInstanceId: "ib" }))).toBe(ErrorCode.NONE);
    const sync = await h.coordinator.syncGroup(syncParams("g", "ib-uuid3", 1, { groupInstanceId: "ib" }));
    expect(sync.assignment.toString()).toBe("B");
    expect((await h.coordinator.commitOffsets({ groupId: "g", generationId: 1, memberId: b, groupInstanceId: "ib", offsets: [] }))).toEqual([]);
  });

  it("tells a v9+ static leader to skip the assignment", async () => {
    const h = await harness();
    await staticStable(h);
    const r = await h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "ia", supportSkippingAssignment: true }));
    expect(r).toMatchObject({ error: 0, memberId: "ia-uuid3", leaderId: "ia-uuid3", skipAssignment: true });
    expect(r.members.map((m) => m.groupInstanceId).sort()).toEqual(["ia", "ib"]);
  });

  it("reverts the replacement when persisting it fails", async () => {
    const h = await harness();
    const { b } = await staticStable(h);
    h.log.failNext(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const r = await h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "ib" }));
    expect(r).toMatchObject({ error: ErrorCode.NOT_COORDINATOR, memberId: "" });
    expect(h.coordinator.heartbeat(heartbeatParams("g", b, 1, { groupInstanceId: "ib" }))).toBe(ErrorCode.NONE);
  });

  it("rebalances when a static member rejoins during CompletingRebalance", async () => {
    const h = await harness();
    const ja = h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "ia" }));
    h.time.advance(0);
    await ja;
    expect(state(h, "g")).toBe(GroupState.CompletingRebalance);
    const again = h.coordinator.joinGroup(joinParams("g", { groupInstanceId: "ia" }));
    const r = await again;
    expect(r).toMatchObject({ error: 0, memberId: "ia-uuid2", generationId: 2 });
  });

  it("fences a stale member id on JoinGroup and SyncGroup and leaves by instance id", async () => {
    const h = await harness();
    const { a } = await staticStable(h);
    expect((await h.coordinator.joinGroup(joinParams("g", { memberId: "bogus", groupInstanceId: "ia" }))).error).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await h.coordinator.syncGroup(syncParams("g", "bogus", 1, { groupInstanceId: "ia" }))).error).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await h.coordinator.joinGroup(joinParams("g", { memberId: a, groupInstanceId: "nope" }))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const leave = h.coordinator.leaveGroup("g", [
      { memberId: "", groupInstanceId: "ia", reason: "admin" },
      { memberId: "", groupInstanceId: "zz", reason: null },
      { memberId: "wrong", groupInstanceId: "ib", reason: null },
    ]);
    expect(leave.members.map((m) => m.error)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID]);
    expect(h.coordinator.manager.getGroup("g")!.has(a)).toBe(false);
  });
});

describe("GroupCoordinator SyncGroup", () => {
  it("distributes the leader's assignment once it is stored, then the group is Stable", async () => {
    const h = await harness();
    const joins = [h.coordinator.joinGroup(joinParams("g")), h.coordinator.joinGroup(joinParams("g"))];
    h.time.advance(0);
    const [l, f] = await Promise.all(joins);
    const follower = track(h.coordinator.syncGroup(syncParams("g", f!.memberId, 1)));
    await settle();
    expect(follower.done).toBe(false);
    const leader = await h.coordinator.syncGroup(
      syncParams("g", l!.memberId, 1, { protocolType: "consumer", protocolName: "range", assignments: new Map([[l!.memberId, Buffer.from("L")]]) }),
    );
    expect(leader).toEqual({ error: 0, protocolType: "consumer", protocolName: "range", assignment: Buffer.from("L") });
    await settle();
    // A member the leader left out gets an empty assignment.
    expect(follower.value).toEqual({ error: 0, protocolType: "consumer", protocolName: "range", assignment: Buffer.alloc(0) });
    expect(state(h, "g")).toBe(GroupState.Stable);
    const stored = decodedRecords(h.topic).at(-1)!;
    expect(stored.key).toEqual({ type: "group", version: 2, group: "g" });
    expect(stored.value).toMatchObject({ generation: 1, protocol: "range", leader: l!.memberId, protocolType: "consumer" });
    // In Stable, SyncGroup returns the member's current assignment.
    expect((await h.coordinator.syncGroup(syncParams("g", l!.memberId, 1))).assignment.toString()).toBe("L");
  });

  it("answers the error paths", async () => {
    const h = await harness();
    expect((await h.coordinator.syncGroup(syncParams("nope", "m", 1))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await h.coordinator.syncGroup(syncParams("", "m", 1))).error).toBe(ErrorCode.INVALID_GROUP_ID);
    const { ids, generation } = await stableGroup(h, "g", 2);
    expect((await h.coordinator.syncGroup(syncParams("g", "nobody", generation))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await h.coordinator.syncGroup(syncParams("g", ids[0]!, generation + 1))).error).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await h.coordinator.syncGroup(syncParams("g", ids[0]!, generation, { protocolName: "roundrobin" }))).error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.coordinator.syncGroup(syncParams("g", ids[0]!, generation, { protocolType: "connect" }))).error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    void h.coordinator.joinGroup(joinParams("g")); // a new member: rebalance
    expect((await h.coordinator.syncGroup(syncParams("g", ids[0]!, generation))).error).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it("maps a failed metadata write to Kafka's error and rebalances", async () => {
    const h = await harness();
    const joins = [h.coordinator.joinGroup(joinParams("g")), h.coordinator.joinGroup(joinParams("g"))];
    h.time.advance(0);
    const [l, f] = await Promise.all(joins);
    const follower = h.coordinator.syncGroup(syncParams("g", f!.memberId, 1));
    h.log.failNext(ErrorCode.NOT_ENOUGH_REPLICAS);
    const leader = await h.coordinator.syncGroup(syncParams("g", l!.memberId, 1, { assignments: new Map() }));
    expect(leader.error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await follower).error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(state(h, "g")).toBe(GroupState.PreparingRebalance);
  });

  it("removes members that never send SyncGroup within the rebalance timeout", async () => {
    const h = await harness();
    const joins = [h.coordinator.joinGroup(joinParams("g")), h.coordinator.joinGroup(joinParams("g"))];
    h.time.advance(0);
    const [l, f] = await Promise.all(joins);
    await h.coordinator.syncGroup(syncParams("g", l!.memberId, 1, { assignments: new Map() }));
    // Both heartbeat; the follower never syncs.
    for (let t = 0; t < 30_000; t += 3000) {
      expect(h.coordinator.heartbeat(heartbeatParams("g", l!.memberId, 1))).toBe(ErrorCode.NONE);
      h.coordinator.heartbeat(heartbeatParams("g", f!.memberId, 1));
      h.time.advance(3000);
    }
    expect(h.coordinator.manager.getGroup("g")!.has(f!.memberId)).toBe(false);
    expect(state(h, "g")).toBe(GroupState.PreparingRebalance);
  });

  it("answers REBALANCE_IN_PROGRESS while the group is loading", async () => {
    const topic = new InMemoryOffsetsTopic();
    const time = new ManualTime();
    const log = topic.newLeaderView();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { append: log.append.bind(log), read: async function* (p: number) { await gate; yield* log.read(p); } };
    const c = new GroupCoordinator({ config: TEST_CONFIG, log: slow, clock: time, timer: time });
    c.startup();
    const loaded = c.onBecomeLeader(0);
    expect((await c.syncGroup(syncParams("g", "m", 1))).error).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c.heartbeat(heartbeatParams("g", "m", 1))).toBe(ErrorCode.NONE);
    expect((await c.joinGroup(joinParams("g"))).error).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(c.listGroups([], []).error).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await loaded;
    expect(c.listGroups([], []).error).toBe(ErrorCode.NONE);
  });
});

describe("GroupCoordinator Heartbeat and LeaveGroup", () => {
  it("answers heartbeats by state and generation", async () => {
    const h = await harness();
    expect(h.coordinator.heartbeat(heartbeatParams("nope", "m", 1))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.coordinator.heartbeat(heartbeatParams("", "m", 1))).toBe(ErrorCode.INVALID_GROUP_ID);
    const { ids, generation } = await stableGroup(h, "g", 1);
    expect(h.coordinator.heartbeat(heartbeatParams("g", ids[0]!, generation))).toBe(ErrorCode.NONE);
    expect(h.coordinator.heartbeat(heartbeatParams("g", ids[0]!, generation - 1))).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.coordinator.heartbeat(heartbeatParams("g", "other", generation))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    void h.coordinator.joinGroup(joinParams("g"));
    expect(h.coordinator.heartbeat(heartbeatParams("g", ids[0]!, generation))).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it("removes a leaving member (v0-2 form) and rebalances; the last one leaves the group Empty", async () => {
    const h = await harness();
    const { ids, generation } = await stableGroup(h, "g", 2);
    expect(h.coordinator.leaveGroup("g", [{ memberId: ids[0]!, groupInstanceId: null, reason: null }])).toEqual({
      error: 0,
      members: [{ memberId: ids[0]!, groupInstanceId: null, error: 0 }],
    });
    expect(state(h, "g")).toBe(GroupState.PreparingRebalance);
    const rejoin = h.coordinator.joinGroup(joinParams("g", { memberId: ids[1]! }));
    expect((await rejoin).generationId).toBe(generation + 1);
    h.coordinator.leaveGroup("g", [{ memberId: ids[1]!, groupInstanceId: null, reason: "shutdown" }]);
    h.time.advance(30_000);
    await settle();
    expect(state(h, "g")).toBe(GroupState.Empty);
    const last = decodedRecords(h.topic).at(-1)!;
    expect(last.value).toMatchObject({ generation: generation + 2, protocol: null, leader: null, members: [] });
  });

  it("answers per member in a batch and UNKNOWN_MEMBER_ID for a group it does not know", async () => {
    const h = await harness();
    expect(h.coordinator.leaveGroup("nope", [{ memberId: "a", groupInstanceId: null, reason: null }])).toEqual({
      error: 0,
      members: [{ memberId: "a", groupInstanceId: null, error: ErrorCode.UNKNOWN_MEMBER_ID }],
    });
    const { ids } = await stableGroup(h, "g", 2);
    const r = h.coordinator.leaveGroup("g", [
      { memberId: ids[0]!, groupInstanceId: null, reason: null },
      { memberId: "ghost", groupInstanceId: null, reason: null },
    ]);
    expect(r.members.map((m) => m.error)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(h.coordinator.leaveGroup("", []).error).toBe(ErrorCode.INVALID_GROUP_ID);
    // A pending member (MEMBER_ID_REQUIRED) may leave too.
    const pending = await h.coordinator.joinGroup(joinParams("g", { requireKnownMemberId: true }));
    expect(h.coordinator.leaveGroup("g", [{ memberId: pending.memberId, groupInstanceId: null, reason: null }]).members[0]!.error).toBe(ErrorCode.NONE);
  });

  it("answers members parked in JoinGroup with NOT_COORDINATOR when the partition is unloaded", async () => {
    const h = await harness();
    const { ids } = await stableGroup(h, "g", 2);
    const parked = h.coordinator.joinGroup(joinParams("g", { memberId: ids[0]! }));
    h.coordinator.onResign(0);
    expect((await parked).error).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.events.at(-1)).toMatchObject({ from: GroupState.PreparingRebalance, to: GroupState.Dead });
    expect(h.coordinator.heartbeat(heartbeatParams("g", ids[1]!, 1))).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.time.pendingTasks).toBe(1); // only the offset expiration task remains
  });
});
