import { afterEach, describe, expect, it } from "vitest";
import { type ControllerWithBrokers, controllerWithBrokers } from "../controller/test-support.ts";
import { makeTmpDir, openTestLog, removeDir } from "../log/test-support.ts";
import { encodeRecordBatch } from "../protocol/records/record-batch.ts";
import { AlterPartitionManager } from "../replication/alter-partition-manager.ts";
import { Partition } from "../replication/partition.ts";
import { TEST_PARTITION_SETTINGS } from "../replication/test-support.ts";
import type { StateChangeSink } from "./state-change.ts";

const LAG_MS = 10_000;
type Event = Parameters<StateChangeSink>[0];

const batch = (n: number) =>
  encodeRecordBatch({ baseTimestamp: 1_000_000n, records: Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`v${i}`), headers: [] })) });

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const dirs: string[] = [];
const logs: Partition[] = [];
const opened: ControllerWithBrokers[] = [];
afterEach(() => {
  for (const p of logs.splice(0)) p.log.close();
  for (const d of dirs.splice(0)) removeDir(d);
  for (const c of opened.splice(0)) c.close();
});

/**
 * Node 0 as controller and leader of "orders-3" on replicas [0, 1, 2], its ISR changes going
 * through a real AlterPartitionManager to the real controller, events into `events`.
 */
async function leaderWithController() {
  const c = await controllerWithBrokers({ brokers: [1, 2], config: { "broker.session.timeout.ms": "600000" } });
  opened.push(c);
  const { controller, time } = c;
  const dir = makeTmpDir("samsa-isr-events-");
  dirs.push(dir);
  const [created] = await controller.createTopics({
    topics: [{ name: "orders", numPartitions: -1, replicationFactor: -1, assignments: [0, 1, 2, 3].map((i) => ({ partitionIndex: i, brokerIds: [0, 1, 2] })), configs: [] }],
    validateOnly: false,
  });
  const events: Event[] = [];
  const manager = new AlterPartitionManager({
    brokerId: 0,
    brokerEpoch: () => controller.brokerEpoch!,
    send: (cmd) => controller.alterPartition(cmd),
    timer: time,
    stateChanges: (e) => events.push(e),
  });
  const p = new Partition("orders", 3, created!.topicId, openTestLog(dir, time), TEST_PARTITION_SETTINGS, 0, time);
  logs.push(p);
  const reg = controller.image.partition("orders", 3)!;
  p.makeLeader(reg.leaderEpoch, reg.partitionEpoch, [0, 1, 2], [0, 1, 2]);
  p.enableIsrChanges({
    submitter: manager,
    replicaLagTimeMaxMs: LAG_MS,
    localBrokerEpoch: () => controller.brokerEpoch!,
    isEligible: (id) => controller.image.isActiveBroker(id),
    onHighWatermarkMoved: () => undefined,
  });
  const follow = (id: number, offset: number) => p.fetchFromFollower(id, offset, 0, 1 << 20, true, -1);
  return { controller, time, p, events, follow };
}

describe("ISR change events from the leader", () => {
  it("a lagging follower's removal is reported once the controller commits it, naming the replica and how far behind it was", async () => {
    const { controller, time, p, events, follow } = await leaderWithController();
    const start = time.now();
    p.appendRecordsToLeader(batch(12), 1);
    follow(1, 12);
    follow(2, 12);
    p.appendRecordsToLeader(batch(30), 1);
    follow(2, 5); // behind: fetching from 5 while the leader is at 42
    time.advance(LAG_MS + 1500);
    follow(1, 42);
    expect(p.maybeShrinkIsr()).toBe(true);
    // Proposed, not committed yet: nothing reported.
    expect(events).toEqual([]);
    await settle();
    expect(controller.image.partition("orders", 3)!.isr).toEqual([0, 1]);
    expect(events).toHaveLength(1);
    const [shrink] = events;
    expect(shrink).toMatchObject({
      machine: "replica",
      subject: "orders-3@2",
      from: "InSync",
      to: "OutOfSync",
      details: { broker: 2, followerLogEndOffset: 5, leaderLogEndOffset: 42, offsetLag: 37, replicaLagTimeMaxMs: LAG_MS, leader: 0, isr: [0, 1] },
    });
    // Caught up at its fetch of offset 12 (then the leader's end), at the start.
    expect(shrink!.details.lastCaughtUpTimeMs).toBe(start);
    expect(shrink!.details.lagMs).toBe(LAG_MS + 1500);
    expect(shrink!.cause).toBe("replica 2 fell behind: last caught up 11.5 s ago (replica.lag.time.max.ms=10000), log end 5 vs leader 42");

    // It catches up: the expansion is reported once committed, too.
    follow(2, 42);
    expect(events).toHaveLength(1);
    await settle();
    expect(controller.image.partition("orders", 3)!.isr).toEqual([0, 1, 2]);
    expect(events[1]).toMatchObject({
      subject: "orders-3@2",
      from: "OutOfSync",
      to: "InSync",
      cause: "replica 2 caught up to the high watermark: log end 42, high watermark 42 (leader log end 42)",
      details: { followerLogEndOffset: 42, isr: [0, 1, 2] },
    });
  });

  it("a proposal the controller refuses is not reported", async () => {
    const { controller, time, p, events, follow } = await leaderWithController();
    p.appendRecordsToLeader(batch(5), 1);
    follow(1, 5);
    time.advance(LAG_MS + 1);
    follow(1, 5);
    // The leader's partition epoch is older than the controller's: the proposal is stale.
    p.partitionEpoch = controller.image.partition("orders", 3)!.partitionEpoch - 1;
    expect(p.maybeShrinkIsr()).toBe(true);
    await settle();
    expect(controller.image.partition("orders", 3)!.isr).toEqual([0, 1, 2]);
    expect(events).toEqual([]);
  });
});
