import { afterEach, describe, expect, it } from "vitest";
import type { StateChangeSink } from "../../events/state-change.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { type ControllerWithBrokers, controllerWithBrokers } from "../test-support.ts";
import { clusterStateObserver } from "./cluster-state-observer.ts";

type Event = Parameters<StateChangeSink>[0];
const fixtures: ControllerWithBrokers[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
});

async function start() {
  const events: Event[] = [];
  const f = await controllerWithBrokers({
    brokers: [1, 2, 3],
    beforeStart: (c) => c.onImage(clusterStateObserver((e) => events.push(e), () => 1, () => c.isActive())),
  });
  fixtures.push(f);
  const [created] = await f.controller.createTopics({
    topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0, 1] }], configs: [] }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  const reassign = (replicas: number[] | null) => f.controller.alterPartitionReassignments({ topics: [{ name: "t", partitions: [{ partitionIndex: 0, replicas }] }] });
  const expandIsr = (isr: number[]) => {
    const p = f.controller.image.partition("t", 0)!;
    return f.controller.alterPartition({
      version: 3,
      brokerId: p.leader,
      brokerEpoch: f.controller.brokerEpoch!,
      topics: [{ topicName: "", topicId: created!.topicId, partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, leaderRecoveryState: 0, newIsrWithEpochs: isr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })) }] }],
    });
  };
  events.length = 0;
  return { events, reassign, expandIsr };
}

const brief = (events: Event[]) => events.filter((e) => e.machine === "reassignment" || e.machine === "replica").map((e) => `${e.machine} ${e.subject}: ${e.from} -> ${e.to}`);

describe("reassignment state changes", () => {
  it("a move: started with from/to, the added replica new then online, completed, the removed one taken out", async () => {
    const c = await start();
    await c.reassign([1, 2]);
    expect(brief(c.events)).toEqual([
      "reassignment t-0: NoReassignment -> Reassigning",
      "replica t-0@2: NonExistentReplica -> NewReplica",
      "replica t-0@2: NewReplica -> OnlineReplica",
    ]);
    const reassignment = () => c.events.find((e) => e.machine === "reassignment")!;
    expect(reassignment().details).toMatchObject({ from: [0, 1], to: [1, 2], addingReplicas: [2], removingReplicas: [0] });
    c.events.length = 0;
    await c.expandIsr([0, 1, 2]);
    expect(brief(c.events)).toEqual([
      "reassignment t-0: Reassigning -> Completed",
      "replica t-0@0: OnlineReplica -> OfflineReplica",
      "replica t-0@0: OfflineReplica -> ReplicaDeletionStarted",
    ]);
    expect(reassignment()).toMatchObject({ cause: "every target replica is in the ISR; removed [0]", details: { replicas: [1, 2], leader: 1 } });
  });

  it("each adding replica's catch-up, until the last completes it", async () => {
    const c = await start();
    await c.reassign([2, 3]);
    c.events.length = 0;
    await c.expandIsr([0, 1, 2]);
    const catchUp = c.events.filter((e) => e.machine === "reassignment");
    expect(catchUp.map((e) => [e.from, e.to, e.cause])).toEqual([["Reassigning", "Reassigning", "adding replica 2 caught up and joined the ISR"]]);
    expect(catchUp[0]!.details).toMatchObject({ broker: 2, addingReplicas: [2, 3], isr: [0, 1, 2] });
    c.events.length = 0;
    await c.expandIsr([0, 1, 2, 3]);
    expect(brief(c.events).filter((e) => e.startsWith("reassignment"))).toEqual(["reassignment t-0: Reassigning -> Completed"]);
  });

  it("a cancel: Cancelled, the adding replica taken out", async () => {
    const c = await start();
    await c.reassign([1, 2]);
    c.events.length = 0;
    await c.reassign(null);
    expect(brief(c.events)).toEqual([
      "reassignment t-0: Reassigning -> Cancelled",
      "replica t-0@2: OnlineReplica -> OfflineReplica",
      "replica t-0@2: OfflineReplica -> ReplicaDeletionStarted",
    ]);
    // Added again later: a new replica again (the deleting broker reported its end).
    c.events.length = 0;
    await c.reassign([0, 1, 2]);
    expect(brief(c.events)).toContain("replica t-0@2: NonExistentReplica -> NewReplica");
  });

  it("lowering the replication factor starts and completes in one change", async () => {
    const c = await start();
    await c.reassign([0]);
    expect(brief(c.events).filter((e) => e.startsWith("reassignment"))).toEqual(["reassignment t-0: NoReassignment -> Reassigning", "reassignment t-0: Reassigning -> Completed"]);
  });
});
