/**
 * Group coordinator, in process with an in-memory `__consumer_offsets`:
 *  - rebalance: time from the first of 50 members' JoinGroup (v4+: MEMBER_ID_REQUIRED, then
 *    the real join) until the group is Stable after the leader's SyncGroup, with
 *    group.initial.rebalance.delay.ms 0 and 3000, on a simulated clock and on the real one;
 *  - OffsetCommit throughput: commits/s of one member of a Stable group, awaited one by one
 *    and 64 in flight, with 1 and 10 partitions per commit.
 * Prints figures; asserts nothing.
 *
 *   npx tsx bench/group-coordinator.bench.ts
 */
import { GroupCoordinator, type JoinGroupParams } from "../broker/coordinator/group-coordinator.ts";
import { DEFAULT_GROUP_COORDINATOR_CONFIG } from "../broker/coordinator/group-coordinator-config.ts";
import { GroupState } from "../broker/coordinator/group-state.ts";
import { InMemoryOffsetsTopic } from "../broker/coordinator/in-memory-coordinator-log.ts";
import { subscription } from "../broker/coordinator/test-support.ts";
import { ManualTime } from "../broker/log/test-support.ts";
import { ErrorCode } from "../broker/protocol/errors.ts";
import { systemClock, type Clock, type Timer } from "../broker/util/clock.ts";

const MEMBERS = 50;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function params(groupId: string, memberId: string, i: number): JoinGroupParams {
  return {
    groupId,
    memberId,
    groupInstanceId: null,
    requireKnownMemberId: true,
    supportSkippingAssignment: true,
    clientId: `consumer-${i}`,
    clientHost: "/127.0.0.1",
    rebalanceTimeoutMs: 300_000,
    sessionTimeoutMs: 45_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription(["orders"]) }],
    reason: null,
  };
}

/** 50 consumers join at once and sync; resolves with [clock ms, wall ms] until Stable. */
async function rebalance(delayMs: number, clock: Clock & Timer, drive: (() => void) | null): Promise<[number, number]> {
  let stableAt = -1;
  const coordinator = new GroupCoordinator({
    config: { ...DEFAULT_GROUP_COORDINATOR_CONFIG, offsetsTopicNumPartitions: 1, groupInitialRebalanceDelayMs: delayMs },
    log: new InMemoryOffsetsTopic().newLeaderView(),
    clock,
    timer: clock,
    onStateChange: (e) => {
      if (e.to === GroupState.Stable) stableAt = clock.now();
    },
  });
  coordinator.startup();
  await coordinator.onBecomeLeader(0);
  const wallStart = performance.now();
  const start = clock.now();
  const member = async (i: number): Promise<void> => {
    const first = await coordinator.joinGroup(params("bench", "", i));
    if (first.error !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`join ${first.error}`);
    const r = await coordinator.joinGroup(params("bench", first.memberId, i));
    if (r.error !== ErrorCode.NONE) throw new Error(`join ${r.error}`);
    const assignments = new Map(r.members.map((m, k) => [m.memberId, Buffer.from([k])]));
    const s = await coordinator.syncGroup({ groupId: "bench", generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: "consumer", protocolName: "range", assignments: r.leaderId === r.memberId ? assignments : new Map() });
    if (s.error !== ErrorCode.NONE) throw new Error(`sync ${s.error}`);
  };
  const all = Promise.all(Array.from({ length: MEMBERS }, (_, i) => member(i)));
  if (drive) {
    await settle(); // every member's MEMBER_ID_REQUIRED round trip, at t0
    while (stableAt < 0) {
      drive();
      await settle();
    }
  }
  await all;
  const wall = performance.now() - wallStart;
  coordinator.shutdown();
  return [stableAt - start, wall];
}

async function commits(partitionsPerCommit: number, inFlight: number, seconds = 2): Promise<number> {
  const time = new ManualTime();
  const coordinator = new GroupCoordinator({ config: { ...DEFAULT_GROUP_COORDINATOR_CONFIG, offsetsTopicNumPartitions: 1, groupInitialRebalanceDelayMs: 0 }, log: new InMemoryOffsetsTopic().newLeaderView(), clock: time, timer: time });
  coordinator.startup();
  await coordinator.onBecomeLeader(0);
  const j = coordinator.joinGroup({ ...params("g", "", 0), requireKnownMemberId: false });
  time.advance(0);
  const r = await j;
  await coordinator.syncGroup({ groupId: "g", generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: new Map() });
  let offset = 0n;
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      offset++;
      const offsets = Array.from({ length: partitionsPerCommit }, (_, p) => ({
        tp: { topic: "orders", partition: p },
        value: { offset, leaderEpoch: 0, metadata: "", commitTimestamp: time.now(), expireTimestamp: null },
      }));
      const errors = await coordinator.commitOffsets({ groupId: "g", generationId: r.generationId, memberId: r.memberId, groupInstanceId: null, offsets });
      if (errors.some((e) => e !== ErrorCode.NONE)) throw new Error(`commit ${errors}`);
      done++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  coordinator.shutdown();
  return done / elapsed;
}

async function main(): Promise<void> {
  console.log(`rebalance of ${MEMBERS} members, first JoinGroup to Stable`);
  for (const delay of [0, 3000]) {
    const time = new ManualTime();
    // Each drive step jumps to the next timer (the clock only moves when nothing else can run).
    const [simulated, cpu] = await rebalance(delay, time, () => time.advance(delay === 0 ? 0 : 100));
    // With a delay, members arriving during it extend it once more (Kafka's InitialDelayedJoin).
    console.log(`  group.initial.rebalance.delay.ms=${delay}: simulated ${simulated} ms (${cpu.toFixed(1)} ms of CPU)`);
  }
  for (const delay of [0, 3000]) {
    const [, wall] = await rebalance(delay, systemClock, null);
    console.log(`  group.initial.rebalance.delay.ms=${delay}: real clock ${wall.toFixed(1)} ms`);
  }
  console.log("OffsetCommit throughput (in-memory log)");
  for (const [parts, inFlight] of [
    [1, 1],
    [1, 64],
    [10, 1],
    [10, 64],
  ] as const) {
    const rate = await commits(parts, inFlight);
    console.log(`  ${parts} partition(s)/commit, ${inFlight} in flight: ${Math.round(rate).toLocaleString("en")} commits/s (${Math.round(rate * parts).toLocaleString("en")} offsets/s)`);
  }
}

await main();
