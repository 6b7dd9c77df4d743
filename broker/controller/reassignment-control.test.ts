import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/errors.ts";
import type { AlterPartitionReassignmentsCommand } from "./reassignment-control.ts";
import { type ControllerWithBrokers, controllerWithBrokers } from "./test-support.ts";

const fixtures: ControllerWithBrokers[] = [];
afterEach(() => {
  for (const f of fixtures.splice(0)) f.close();
});

/** Controller node 0 (also a broker) with `brokers` (1 and 2), and topic "t" on the given replicas. */
async function cluster(replicas: number[], config: Record<string, string> = {}, brokers: number[] = [1, 2]) {
  const f = await controllerWithBrokers({ brokers, config });
  fixtures.push(f);
  const { controller } = f;
  const [created] = await controller.createTopics({
    topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: [] }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  const topicId = created!.topicId;
  const state = () => controller.image.partition("t", 0)!;
  const reassign = async (replicas: number[] | null, partitionIndex = 0, name = "t") => {
    const cmd: AlterPartitionReassignmentsCommand = { topics: [{ name, partitions: [{ partitionIndex, replicas }] }] };
    const [topic] = await controller.alterPartitionReassignments(cmd);
    return topic!.partitions[0]!;
  };
  /** The leader's ISR proposal, as its AlterPartitionManager sends it. */
  const expandIsr = async (isr: number[]) => {
    const p = state();
    const reply = await controller.alterPartition({
      version: 3,
      brokerId: p.leader,
      brokerEpoch: p.leader === 0 ? controller.brokerEpoch! : f.epochs.get(p.leader)!,
      topics: [
        {
          topicName: "",
          topicId,
          partitions: [
            {
              partitionIndex: 0,
              leaderEpoch: p.leaderEpoch,
              partitionEpoch: p.partitionEpoch,
              leaderRecoveryState: 0,
              newIsrWithEpochs: isr.map((id) => ({ brokerId: id, brokerEpoch: -1n })),
            },
          ],
        },
      ],
    });
    return reply.topics[0]!.partitions[0]!;
  };
  return { ...f, state, reassign, expandIsr };
}

describe("AlterPartitionReassignments on the controller (KIP-455)", () => {
  it("grows the replicas to target + removing, then completes once the target is in the ISR, moving the leader off a removed replica", async () => {
    const c = await cluster([0, 1]);
    const before = c.state();
    expect(await c.reassign([1, 2])).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    expect(c.state()).toMatchObject({ replicas: [1, 2, 0], addingReplicas: [2], removingReplicas: [0], isr: [0, 1], leader: 0 });
    // No replica left yet: same leader epoch.
    expect(c.state().leaderEpoch).toBe(before.leaderEpoch);
    expect(await c.controller.listPartitionReassignments(null)).toEqual([
      { name: "t", partitions: [{ partitionIndex: 0, replicas: [1, 2, 0], addingReplicas: [2], removingReplicas: [0] }] },
    ]);

    // Leader 0 adds the caught-up replica 2: the reassignment completes and 0 leaves, so the
    // lead moves to 1 and 0 learns it from the metadata (NEW_LEADER_ELECTED).
    const answer = await c.expandIsr([0, 1, 2]);
    expect(answer.errorCode).toBe(ErrorCode.NEW_LEADER_ELECTED);
    expect(c.state()).toMatchObject({ replicas: [1, 2], addingReplicas: [], removingReplicas: [], isr: [1, 2], leader: 1, leaderEpoch: before.leaderEpoch + 1 });
    expect(await c.controller.listPartitionReassignments(null)).toEqual([]);
  });

  it("raises the replication factor from 1 to 3 and lowers it back at once (the kept replica is in the ISR)", async () => {
    const c = await cluster([0]);
    await c.reassign([0, 1, 2]);
    expect(c.state()).toMatchObject({ replicas: [0, 1, 2], addingReplicas: [1, 2], removingReplicas: [], isr: [0] });
    await c.expandIsr([0, 1]);
    expect(c.state()).toMatchObject({ replicas: [0, 1, 2], addingReplicas: [1, 2], isr: [0, 1] });
    const done = await c.expandIsr([0, 1, 2]);
    expect(done.errorCode).toBe(ErrorCode.NONE);
    expect(c.state()).toMatchObject({ replicas: [0, 1, 2], addingReplicas: [], removingReplicas: [], isr: [0, 1, 2], leader: 0 });

    const epoch = c.state().leaderEpoch;
    await c.reassign([0]);
    // Replicas left: a new leader epoch, same leader.
    expect(c.state()).toMatchObject({ replicas: [0], addingReplicas: [], removingReplicas: [], isr: [0], leader: 0, leaderEpoch: epoch + 1 });
  });

  it("cancels by reverting to the replicas without the adding ones, and refuses to cancel nothing", async () => {
    const c = await cluster([0, 1]);
    await c.reassign([1, 2]);
    expect(await c.reassign(null)).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: null });
    // Kafka's revert keeps the current order less the adding replicas, not the original order.
    expect(c.state()).toMatchObject({ replicas: [1, 0], addingReplicas: [], removingReplicas: [], isr: [0, 1], leader: 0 });
    expect(await c.reassign(null)).toEqual({ partitionIndex: 0, errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: null });
  });

  it("refuses a cancel that would need an unclean election unless the topic allows one", async () => {
    const c = await cluster([1], {}, [1, 2, 3]);
    await c.reassign([1, 2, 3]);
    await c.expandIsr([1, 2]);
    // Broker 1 is fenced: the adding replica 2 is all the ISR has, and it leads.
    await c.pass(20_000, [2, 3]);
    expect(c.state()).toMatchObject({ replicas: [1, 2, 3], addingReplicas: [2, 3], isr: [2], leader: 2 });
    expect(await c.reassign(null)).toEqual({
      partitionIndex: 0,
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: "Unable to revert partition assignment for t:0 because it would require an unclean leader election.",
    });
    expect(c.state()).toMatchObject({ replicas: [1, 2, 3], addingReplicas: [2, 3] });
  });

  it("reverts through an unclean election when the topic allows one", async () => {
    const c = await cluster([1], { "unclean.leader.election.enable": "true" }, [1, 2, 3]);
    await c.reassign([1, 2, 3]);
    await c.expandIsr([1, 2]);
    await c.pass(20_000, [2, 3]);
    expect(c.state()).toMatchObject({ isr: [2], leader: 2 });
    expect((await c.reassign(null)).errorCode).toBe(ErrorCode.NONE);
    // Only the fenced broker 1 is left: no leader, and (as Kafka without ELR) the ISR is not
    // written empty, so it keeps [2].
    expect(c.state()).toMatchObject({ replicas: [1], isr: [2], leader: -1, addingReplicas: [], removingReplicas: [] });
    // Broker 1 returns: the unclean election makes it leader from outside the ISR, recovering (KIP-704).
    await c.beat(1);
    expect(c.state()).toMatchObject({ replicas: [1], isr: [1], leader: 1, leaderRecoveryState: 1 });
  });

  it("answers Kafka's errors for bad plans, partition by partition", async () => {
    const c = await cluster([0, 1]);
    expect(await c.reassign([1, 1])).toEqual({
      partitionIndex: 0,
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: "The manual partition assignment includes the broker 1 more than once.",
    });
    expect(await c.reassign([1, 7])).toEqual({
      partitionIndex: 0,
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: "The manual partition assignment includes broker 7, but no such broker is registered.",
    });
    expect(await c.reassign([])).toEqual({
      partitionIndex: 0,
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: "The manual partition assignment includes an empty replica list.",
    });
    expect(await c.reassign([1], 0, "nope")).toEqual({ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "Unable to find a topic named nope." });
    expect(await c.reassign([1], 5)).toEqual({ partitionIndex: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "Unable to find partition t:5." });
    // Nothing changed, and a good partition in the same request still goes through.
    expect(c.state()).toMatchObject({ replicas: [0, 1], addingReplicas: [], removingReplicas: [] });
    const [topic] = await c.controller.alterPartitionReassignments({
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, replicas: [0, 1, 2] }, { partitionIndex: 1, replicas: [0] }] }],
    });
    expect(topic!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(c.state()).toMatchObject({ replicas: [0, 1, 2], addingReplicas: [2] });
  });

  it("lists only the partitions asked for that are moving", async () => {
    const c = await cluster([0, 1]);
    expect(await c.controller.listPartitionReassignments([{ name: "t", partitionIndexes: [0, 3] }, { name: "nope", partitionIndexes: [0] }])).toEqual([]);
    await c.reassign([0, 2]);
    expect(await c.controller.listPartitionReassignments([{ name: "t", partitionIndexes: [0, 3] }])).toEqual([
      { name: "t", partitions: [{ partitionIndex: 0, replicas: [0, 2, 1], addingReplicas: [2], removingReplicas: [1] }] },
    ]);
  });
});
