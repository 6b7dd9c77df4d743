import { describe, expect, it } from "vitest";
import { ManualTime } from "../log/test-support.ts";
import { ErrorCode, type ErrorCodeValue } from "../protocol/errors.ts";
import { GroupCoordinator } from "./group-coordinator.ts";
import { TEST_CONFIG, joinParams, settle, subscription } from "./test-support.ts";
import { GroupState, type GroupStateChange } from "./group-state.ts";
import { InMemoryOffsetsTopic, type InMemoryCoordinatorLog } from "./in-memory-coordinator-log.ts";
import type { JoinGroupResult, SyncGroupResult } from "./member.ts";
import { seededRandom } from "../util/seeded-random.ts";

/**
 * A deterministic simulation of consumers against one coordinator: seeded randomness, a
 * manual clock, message delays, crashes (a member just stops), restarts, leaves, new
 * members, failed appends and coordinator failovers (a new coordinator loads the same log).
 * Invariants are checked after every step; at the end the group must converge to the live
 * members, and a coordinator reloaded from the log must hold exactly the acknowledged offsets.
 */

const GROUP = "sim-group";
const TOPIC = "orders";
const PARTITIONS = 12;

type Phase = "joining" | "syncing" | "stable" | "crashed" | "stopped";

interface SimMember {
  name: string;
  instanceId: string | null;
  memberId: string;
  generation: number;
  phase: Phase;
  assignment: number[];
  /** Bumped when the member crashes or starts a new join, so stale callbacks are ignored. */
  epoch: number;
  requireKnownMemberId: boolean;
}

interface SimOptions {
  seed: number;
  steps: number;
  initialDelayMs: number;
}

const encode = (parts: number[]) => Buffer.from(JSON.stringify(parts));
const decode = (b: Buffer): number[] => (b.length === 0 ? [] : (JSON.parse(b.toString()) as number[]));
/** Static members are known to the leader by instance id across id replacements. */
const keyOf = (m: { memberId: string; groupInstanceId: string | null }) => m.groupInstanceId ?? m.memberId;

async function simulate(o: SimOptions): Promise<{ failovers: number; generations: number; commits: number; crashes: number }> {
  const random = seededRandom(o.seed);
  const chance = (p: number) => random() < p;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const time = new ManualTime(1_000_000);
  const topic = new InMemoryOffsetsTopic();
  const config = { ...TEST_CONFIG, groupInitialRebalanceDelayMs: o.initialDelayMs };
  const violations: string[] = [];
  const fail = (msg: string) => violations.push(`seed ${o.seed} t=${time.now()}: ${msg}`);

  // ---- the coordinator, replaceable on failover
  let incarnation = 0;
  let coord!: GroupCoordinator;
  let log!: InMemoryCoordinatorLog;
  let events: GroupStateChange[] = [];
  let uuid = 0;
  const start = (): Promise<void> => {
    incarnation++;
    log = topic.newLeaderView();
    // Mostly quick replication, sometimes a slow follower: appends complete out of order.
    log.replication = { timer: time, latency: () => (chance(0.05) ? between(200, 5000) : between(0, 30)) };
    const myEvents: GroupStateChange[] = [];
    events = myEvents;
    let lastGeneration = -1;
    coord = new GroupCoordinator({
      config,
      log,
      clock: time,
      timer: time,
      newUuid: () => `${incarnation}.${++uuid}`,
      onStateChange: (e) => {
        myEvents.push(e);
        // Generations strictly increase with every completed rebalance.
        if (e.to === GroupState.CompletingRebalance || e.to === GroupState.Empty) {
          if (e.details.generation <= lastGeneration) fail(`generation went from ${lastGeneration} to ${e.details.generation}`);
          lastGeneration = e.details.generation;
        }
      },
    });
    coord.startup();
    return coord.onBecomeLeader(0);
  };
  await start();

  // ---- bookkeeping for the invariants
  /**
   * The assignment the leader sent in its SyncGroup, per generation. A failover loses the
   * generations the log never recorded, so those entries go when a coordinator loads.
   */
  const leaderAssignments = new Map<number, Map<string, Buffer>>();
  /** Per partition: the highest offset whose commit was acknowledged. */
  const acked = new Map<number, bigint>();
  const nextOffset = new Map<number, bigint>();
  const unexpected: string[] = [];
  let commits = 0;
  let crashes = 0;
  let failovers = 0;

  const members: SimMember[] = [];
  let nextName = 0;
  const newMember = (instanceId: string | null): SimMember => {
    const m: SimMember = { name: `m${nextName++}`, instanceId, memberId: "", generation: -1, phase: "joining", assignment: [], epoch: 0, requireKnownMemberId: instanceId === null && chance(0.7) };
    members.push(m);
    return m;
  };

  /** Mostly LAN latency, sometimes a stall (GC pause, retransmit). */
  const networkDelay = (): number => (chance(0.03) ? between(200, 3000) : between(0, 120));

  /**
   * Delivers a request after a network delay and the response after another. A request once
   * sent arrives even if its member crashed or moved on meanwhile; only the member's
   * handling of the response depends on it still waiting for it.
   */
  const rpc = <T>(m: SimMember, call: () => Promise<T> | T, onResponse: (r: T) => void): void => {
    const epoch = m.epoch;
    time.schedule(networkDelay(), () => {
      void Promise.resolve(call()).then((r) => {
        time.schedule(networkDelay(), () => {
          if (m.phase === "crashed" || m.phase === "stopped" || m.epoch !== epoch) return;
          onResponse(r);
        });
      });
    });
  };

  const rejoin = (m: SimMember, resetId: boolean, backoff = 0): void => {
    // Like an eager consumer revoking its partitions: commit what it consumed before rejoining.
    if (m.phase === "stable" && !resetId && chance(0.5)) commitNow(m, m.epoch, () => {});
    m.epoch++;
    m.phase = "joining";
    m.assignment = [];
    if (resetId) {
      m.memberId = "";
      m.generation = -1;
    }
    if (backoff > 0) {
      const epoch = m.epoch;
      time.schedule(backoff, () => {
        if (m.epoch === epoch && m.phase === "joining") sendJoin(m);
      });
    } else {
      sendJoin(m);
    }
  };

  const sendJoin = (m: SimMember): void => {
    rpc(
      m,
      () =>
        coord.joinGroup(
          joinParams(GROUP, {
            memberId: m.memberId,
            groupInstanceId: m.instanceId,
            requireKnownMemberId: m.requireKnownMemberId,
            clientId: m.name,
            sessionTimeoutMs: 6000,
            rebalanceTimeoutMs: 10_000,
            protocols: [
              { name: "range", metadata: subscription([TOPIC]) },
              { name: "roundrobin", metadata: subscription([TOPIC]) },
            ],
          }),
        ),
      (r: JoinGroupResult) => onJoin(m, r),
    );
  };

  const onJoin = (m: SimMember, r: JoinGroupResult): void => {
    switch (r.error) {
      case ErrorCode.NONE: {
        m.memberId = r.memberId;
        m.generation = r.generationId;
        m.phase = "syncing";
        const isLeader = r.leaderId === r.memberId && !r.skipAssignment;
        let assignments = new Map<string, Buffer>();
        if (isLeader) {
          // Round-robin over the generation's members, as a consumer leader would.
          const ids = [...r.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
          const parts = new Map(ids.map((x) => [x.memberId, [] as number[]]));
          for (let p = 0; p < PARTITIONS; p++) parts.get(ids[p % ids.length]!.memberId)!.push(p);
          assignments = new Map([...parts].map(([id, ps]) => [id, encode(ps)]));
        }
        const gen = r.generationId;
        rpc(
          m,
          () => {
            const before = coord.manager.getGroup(GROUP);
            // What the coordinator will keep as "the leader's assignment for this generation".
            if (isLeader && before?.is(GroupState.CompletingRebalance) && before.generationId === gen && before.isLeader(m.memberId)) {
              const byKey = new Map<string, Buffer>();
              for (const mm of before.allMembers) byKey.set(keyOf(mm), assignments.get(mm.memberId) ?? Buffer.alloc(0));
              leaderAssignments.set(gen, byKey);
            }
            return coord.syncGroup({ groupId: GROUP, generationId: gen, memberId: m.memberId, groupInstanceId: m.instanceId, protocolType: "consumer", protocolName: r.protocolName, assignments });
          },
          (s: SyncGroupResult) => onSync(m, gen, s),
        );
        return;
      }
      case ErrorCode.MEMBER_ID_REQUIRED:
        m.memberId = r.memberId;
        return rejoin(m, false);
      case ErrorCode.UNKNOWN_MEMBER_ID:
        return rejoin(m, true, 100);
      case ErrorCode.FENCED_INSTANCE_ID:
        m.phase = "stopped";
        return;
      case ErrorCode.REBALANCE_IN_PROGRESS:
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
        return rejoin(m, false, 100);
      default:
        unexpected.push(`JoinGroup ${r.error}`);
        return rejoin(m, true, 100);
    }
  };

  const onSync = (m: SimMember, gen: number, s: SyncGroupResult): void => {
    switch (s.error) {
      case ErrorCode.NONE: {
        m.phase = "stable";
        m.assignment = decode(s.assignment);
        // The member got exactly what the leader assigned it for this generation.
        const expected = leaderAssignments.get(gen)?.get(m.instanceId ?? m.memberId);
        if (expected === undefined) fail(`${m.name} synced generation ${gen} with no leader assignment recorded`);
        else if (!expected.equals(s.assignment)) fail(`${m.name} got ${s.assignment.toString()} but the leader assigned ${expected.toString()}`);
        scheduleHeartbeat(m);
        scheduleCommit(m);
        return;
      }
      case ErrorCode.UNKNOWN_MEMBER_ID:
        return rejoin(m, true, 100);
      case ErrorCode.FENCED_INSTANCE_ID:
        m.phase = "stopped";
        return;
      case ErrorCode.ILLEGAL_GENERATION:
      case ErrorCode.REBALANCE_IN_PROGRESS:
      case ErrorCode.NOT_COORDINATOR:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
        return rejoin(m, false, 50);
      default:
        unexpected.push(`SyncGroup ${s.error}`);
        return rejoin(m, false, 100);
    }
  };

  const scheduleHeartbeat = (m: SimMember): void => {
    const epoch = m.epoch;
    time.schedule(between(800, 1500), () => {
      if (m.epoch !== epoch || m.phase !== "stable") return;
      rpc(
        m,
        () => coord.heartbeat({ groupId: GROUP, generationId: m.generation, memberId: m.memberId, groupInstanceId: m.instanceId }),
        (error) => {
          switch (error) {
            case ErrorCode.NONE:
            case ErrorCode.NOT_COORDINATOR:
            case ErrorCode.COORDINATOR_NOT_AVAILABLE:
              return scheduleHeartbeat(m);
            case ErrorCode.REBALANCE_IN_PROGRESS:
            case ErrorCode.ILLEGAL_GENERATION:
              return rejoin(m, false);
            case ErrorCode.UNKNOWN_MEMBER_ID:
              return rejoin(m, true);
            case ErrorCode.FENCED_INSTANCE_ID:
              m.phase = "stopped";
              return;
            default:
              unexpected.push(`Heartbeat ${error}`);
              return rejoin(m, true);
          }
        },
      );
    });
  };

  const scheduleCommit = (m: SimMember): void => {
    const epoch = m.epoch;
    time.schedule(between(500, 2500), () => {
      if (m.epoch !== epoch || m.phase !== "stable") return;
      commitNow(m, epoch, () => scheduleCommit(m));
    });
  };

  const commitNow = (m: SimMember, epoch: number, then: () => void): void => {
    {
      const gen = m.generation;
      const parts = [...m.assignment];
      rpc(
        m,
        () => {
          const offsets = parts.map((p) => {
            const next = (nextOffset.get(p) ?? 0n) + BigInt(between(1, 100));
            nextOffset.set(p, next);
            return { tp: { topic: TOPIC, partition: p }, value: { offset: next, leaderEpoch: -1, metadata: m.name, commitTimestamp: time.now(), expireTimestamp: null } };
          });
          const g = coord.manager.getGroup(GROUP);
          const currentGeneration = g?.generationId;
          const isMember = g?.has(m.memberId) ?? false;
          const result = coord.commitOffsets({ groupId: GROUP, generationId: gen, memberId: m.memberId, groupInstanceId: m.instanceId, offsets });
          commits++;
          void result.then((errors) => {
            errors.forEach((e, i) => {
              if (e !== ErrorCode.NONE) return;
              // No member of a previous generation (or no member at all) can commit.
              if (currentGeneration !== gen || !isMember) fail(`${m.name} committed with generation ${gen} while the group was at ${currentGeneration} (member: ${isMember})`);
              const o = offsets[i]!;
              const prev = acked.get(o.tp.partition) ?? -1n;
              if (o.value.offset > prev) acked.set(o.tp.partition, o.value.offset);
            });
          });
          return result;
        },
        (errors) => {
          for (const e of errors) {
            if (e !== ErrorCode.NONE && ![ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.FENCED_INSTANCE_ID, ErrorCode.REQUEST_TIMED_OUT].includes(e as never)) {
              unexpected.push(`OffsetCommit ${e}`);
            }
          }
          if (m.epoch === epoch) then();
        },
      );
    }
  };

  // ---- invariants checked after every step
  const check = (): void => {
    // A fetch never shows an offset older than one already acknowledged.
    if (coord.manager.isPartitionOwned(0)) {
      for (const o of coord.fetchOffsets(GROUP, null).offsets) {
        const ack = acked.get(o.partition);
        if (ack !== undefined && o.offset < ack) fail(`fetch shows offset ${o.offset} of partition ${o.partition}, older than acknowledged ${ack}`);
      }
    }
    const g = coord.manager.getGroup(GROUP);
    if (!g || !g.is(GroupState.Stable)) return;
    const owners = new Map<number, string>();
    for (const mm of g.allMembers) {
      for (const p of decode(mm.assignment)) {
        if (owners.has(p)) fail(`partition ${p} assigned to ${owners.get(p)} and ${mm.memberId} in generation ${g.generationId}`);
        owners.set(p, mm.memberId);
      }
      const fromLeader = leaderAssignments.get(g.generationId)?.get(keyOf(mm));
      if (fromLeader === undefined || !fromLeader.equals(mm.assignment)) {
        fail(`member ${mm.memberId} of Stable generation ${g.generationId} holds an assignment the leader did not send`);
      }
    }
    // Clients of the current generation that believe they are stable agree with each other.
    const claimed = new Map<number, string>();
    for (const m of members) {
      if (m.phase !== "stable" || m.generation !== g.generationId || !g.has(m.memberId)) continue;
      for (const p of m.assignment) {
        if (claimed.has(p)) fail(`partition ${p} consumed by ${claimed.get(p)} and ${m.name} in generation ${g.generationId}`);
        claimed.set(p, m.name);
      }
    }
  };

  const failover = async (): Promise<void> => {
    failovers++;
    coord.onResign(0);
    coord.shutdown();
    await start();
    const loadedGeneration = coord.manager.getGroup(GROUP)?.generationId ?? 0;
    for (const gen of [...leaderAssignments.keys()]) if (gen > loadedGeneration) leaderAssignments.delete(gen);
    // The new coordinator holds at least every acknowledged offset.
    for (const o of coord.fetchOffsets(GROUP, null).offsets) {
      if (o.offset < (acked.get(o.partition) ?? -1n)) fail(`reloaded offset ${o.offset} of partition ${o.partition} is older than acknowledged ${acked.get(o.partition)}`);
    }
    for (const [p, off] of acked) {
      if (!coord.fetchOffsets(GROUP, [{ topic: TOPIC, partition: p }]).offsets.some((x) => x.offset >= off)) fail(`acknowledged offset ${off} of partition ${p} lost on failover`);
    }
  };

  // ---- the run
  for (let i = 0; i < 4; i++) sendJoin(newMember(i < 2 ? `static-${i}` : null));
  for (let step = 0; step < o.steps; step++) {
    const live = members.filter((m) => m.phase !== "crashed" && m.phase !== "stopped");
    if (chance(0.004) && live.length > 1) {
      const victim = live[between(0, live.length - 1)]!;
      victim.phase = "crashed";
      victim.epoch++;
      crashes++;
    }
    if (chance(0.004)) {
      const crashed = members.filter((m) => m.phase === "crashed");
      if (crashed.length > 0) {
        const c = crashed[between(0, crashed.length - 1)]!;
        // A static member restarts with its instance id; a dynamic one comes back as new.
        if (c.instanceId !== null) {
          c.phase = "stopped";
          sendJoin(newMember(c.instanceId));
        } else {
          c.phase = "stopped";
          sendJoin(newMember(null));
        }
      }
    }
    if (chance(0.003) && live.length < 8) sendJoin(newMember(chance(0.3) ? `static-${nextName}` : null));
    if (chance(0.002) && live.length > 1) {
      const leaver = live[between(0, live.length - 1)]!;
      if (leaver.memberId !== "") {
        const { memberId, instanceId } = leaver;
        leaver.phase = "stopped";
        leaver.epoch++;
        time.schedule(between(0, 100), () => void coord.leaveGroup(GROUP, [{ memberId, groupInstanceId: instanceId, reason: "closing" }]));
      }
    }
    if (chance(0.002)) log.failNext(chance(0.5) ? ErrorCode.NOT_ENOUGH_REPLICAS : (ErrorCode.REQUEST_TIMED_OUT as ErrorCodeValue));
    if (chance(0.001)) await failover();
    time.advance(between(1, 100));
    await settle();
    check();
  }

  // ---- quiesce: no more faults; the live members must converge to one Stable generation
  for (let i = 0; i < 600; i++) {
    time.advance(100);
    await settle();
    check();
  }
  const g = coord.manager.getGroup(GROUP)!;
  const live = members.filter((m) => m.phase !== "crashed" && m.phase !== "stopped");
  expect(g.state, `seed ${o.seed}`).toBe(GroupState.Stable);
  expect(g.memberIds.sort(), `seed ${o.seed}`).toEqual(live.map((m) => m.memberId).sort());
  expect(live.every((m) => m.phase === "stable" && m.generation === g.generationId), `seed ${o.seed}`).toBe(true);
  expect(new Set(live.flatMap((m) => m.assignment)).size, `seed ${o.seed}`).toBe(PARTITIONS);

  // ---- crash + reload: the offsets a new coordinator loads are exactly the acknowledged ones
  // (once the members stopped and every append in flight completed)
  for (const m of members) m.phase = "stopped";
  for (let i = 0; i < 100; i++) {
    time.advance(100);
    await settle();
  }
  const reloaded = new GroupCoordinator({ config, log: topic.newLeaderView(), clock: time, timer: time });
  reloaded.startup();
  await reloaded.onBecomeLeader(0);
  const loaded = new Map(reloaded.fetchOffsets(GROUP, null).offsets.map((x) => [x.partition, x.offset]));
  expect(loaded, `seed ${o.seed}`).toEqual(acked);

  expect(violations).toEqual([]);
  expect(unexpected).toEqual([]);
  void events;
  return { failovers, generations: g.generationId, commits, crashes };
}

describe("group coordinator simulation", () => {
  const seeds = Array.from({ length: 12 }, (_, i) => 1000 + i * 7919);
  it.each(seeds)("keeps its invariants with seed %i (initial delay 0)", async (seed) => {
    const r = await simulate({ seed, steps: 3000, initialDelayMs: 0 });
    expect(r.commits).toBeGreaterThan(0);
  });
  it.each(seeds.slice(0, 6))("keeps its invariants with seed %i (initial delay 3000)", async (seed) => {
    await simulate({ seed, steps: 3000, initialDelayMs: 3000 });
  });
  it("exercises failovers and crashes across seeds", async () => {
    let failovers = 0;
    let crashes = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const r = await simulate({ seed, steps: 4000, initialDelayMs: 0 });
      failovers += r.failovers;
      crashes += r.crashes;
    }
    expect(failovers).toBeGreaterThan(0);
    expect(crashes).toBeGreaterThan(0);
  }, 60_000); // 32,000 simulated steps: seconds of CPU on a busy two-core machine, past vitest's 5 s default
});
