import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { ManualTime } from "../log/test-support.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { QuorumController } from "./controller.ts";
import { MemoryRaftLogStore } from "./quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "./quorum/single-voter-quorum.ts";
import type { AlterPartitionCommand, AlterPartitionPartitionData } from "./replication-control.ts";
import { seededRandom } from "../util/seeded-random.ts";
import { randomUuid, ZERO_UUID } from "./uuid.ts";
import { testRegistration } from "./test-support.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const registration = testRegistration;

const SESSION_MS = 9000;

/**
 * A controller (node 0) with brokers 1, 2 and 3 registered (unfenced unless listed in
 * `fenced`) and topic "t" with one partition on replicas [1, 2, 3], led by 1.
 */
async function cluster(options: { fenced?: number[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "samsa-alter-partition-"));
  dirs.push(dir);
  const time = new ManualTime();
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: randomUuid(),
    quorum: new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore(), clock: time }),
    config: new BrokerConfig(new Map([["node.id", "0"], ["broker.session.timeout.ms", String(SESSION_MS)]])),
    random: seededRandom(5),
    registration: registration(),
    clock: time,
  });
  await controller.start();
  const epochs = new Map<number, bigint>();
  for (const id of [1, 2, 3]) {
    const { brokerEpoch } = await controller.registerBroker({ brokerId: id, ...registration() });
    epochs.set(id, brokerEpoch);
    if (!options.fenced?.includes(id)) await beat(controller, id, brokerEpoch);
  }
  const [created] = await controller.createTopics({
    topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }], configs: [] }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  const topicId = created!.topicId;
  const state = () => controller.image.partition("t", 0)!;
  /** One partition's proposal from broker `brokerId` (default: as the current leader sees it). */
  const alter = (newIsr: number[], o: Partial<AlterPartitionPartitionData> & { brokerId?: number; version?: number; topicId?: string; topicName?: string } = {}) => {
    const brokerId = o.brokerId ?? 1;
    const cmd: AlterPartitionCommand = {
      version: o.version ?? 3,
      brokerId,
      brokerEpoch: epochs.get(brokerId)!,
      topics: [
        {
          topicName: o.topicName ?? "t",
          topicId: o.topicId ?? topicId,
          partitions: [
            {
              partitionIndex: o.partitionIndex ?? 0,
              leaderEpoch: o.leaderEpoch ?? state().leaderEpoch,
              partitionEpoch: o.partitionEpoch ?? state().partitionEpoch,
              leaderRecoveryState: o.leaderRecoveryState ?? 0,
              newIsrWithEpochs: o.newIsrWithEpochs ?? newIsr.map((id) => ({ brokerId: id, brokerEpoch: epochs.get(id) ?? -1n })),
            },
          ],
        },
      ],
    };
    return controller.alterPartition(cmd);
  };
  const errorOf = async (p: ReturnType<typeof alter>) => (await p).topics[0]!.partitions[0]!.errorCode;
  return { controller, time, epochs, topicId, state, alter, errorOf };
}

const beat = (controller: QuorumController, brokerId: number, brokerEpoch: bigint, wantShutDown = false) =>
  controller.brokerHeartbeat({ brokerId, brokerEpoch, currentMetadataOffset: controller.image.provenance.lastOffset, wantFence: false, wantShutDown });

describe("AlterPartition on the controller", () => {
  it("shrinks and expands the ISR: one PartitionChangeRecord each, partition epoch bumped, leader epoch kept", async () => {
    const { controller, state, alter, topicId } = await cluster();
    expect(state()).toMatchObject({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0, partitionEpoch: 0 });
    const changes: unknown[] = [];
    controller.onImage((_image, delta) => changes.push(...delta.changedTopics.keys()));

    const shrunk = await alter([1, 2]);
    expect(shrunk.topics).toEqual([
      { topicName: "t", topicId, partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2], leaderRecoveryState: 0, partitionEpoch: 1 }] },
    ]);
    expect(state()).toMatchObject({ leader: 1, isr: [1, 2], leaderEpoch: 0, partitionEpoch: 1 });

    const expanded = await alter([1, 2, 3]);
    expect(expanded.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderId: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 2 });
    expect(state()).toMatchObject({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0, partitionEpoch: 2 });
    expect(changes).toEqual([topicId, topicId]);
  });

  it("answers an unchanged ISR with the current state and writes nothing", async () => {
    const { controller, alter } = await cluster();
    const before = controller.image.provenance.lastOffset;
    const reply = await alter([1, 2, 3]);
    expect(reply.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderId: 1, isr: [1, 2, 3], partitionEpoch: 0 });
    expect(controller.image.provenance.lastOffset).toBe(before);
  });

  it("refuses a stale broker epoch for the whole request (STALE_BROKER_EPOCH)", async () => {
    const { controller, epochs, topicId, state } = await cluster();
    const cmd = (brokerEpoch: bigint): AlterPartitionCommand => ({
      version: 3,
      brokerId: 1,
      brokerEpoch,
      topics: [{ topicName: "t", topicId, partitions: [{ partitionIndex: 0, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0, newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: -1n }] }] }],
    });
    await expect(controller.alterPartition(cmd(epochs.get(1)! - 1n))).rejects.toMatchObject({ code: ErrorCode.STALE_BROKER_EPOCH });
    expect(state().isr).toEqual([1, 2, 3]);
  });

  it("reports unknown topics by id (v2+) or name (v0-1), and unknown partitions", async () => {
    const { alter, errorOf } = await cluster();
    expect(await errorOf(alter([1, 2], { topicId: randomUuid() }))).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(await errorOf(alter([1, 2], { topicId: ZERO_UUID }))).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(await errorOf(alter([1, 2], { version: 1, topicName: "nope", topicId: ZERO_UUID }))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await errorOf(alter([1, 2], { version: 1, topicId: ZERO_UUID }))).toBe(ErrorCode.NONE); // v1 finds "t" by name
    expect(await errorOf(alter([1, 2], { partitionIndex: 7 }))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it("checks leader epoch, leadership and partition epoch in Kafka's order", async () => {
    const { alter, errorOf, state } = await cluster();
    await alter([1, 2]); // partition epoch 1
    expect(await errorOf(alter([1], { leaderEpoch: 1 }))).toBe(ErrorCode.NOT_CONTROLLER); // newer than the controller's
    expect(await errorOf(alter([1], { partitionEpoch: 5 }))).toBe(ErrorCode.NOT_CONTROLLER);
    expect(await errorOf(alter([1], { leaderEpoch: -1 }))).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    // Kafka 3.9 answers a requester that is not the leader with INVALID_REQUEST.
    expect(await errorOf(alter([2], { brokerId: 2 }))).toBe(ErrorCode.INVALID_REQUEST);
    expect(await errorOf(alter([1], { partitionEpoch: 0 }))).toBe(ErrorCode.INVALID_UPDATE_VERSION);
    expect(state()).toMatchObject({ isr: [1, 2], partitionEpoch: 1 });
  });

  it("refuses ISRs outside the replicas, without the leader, or with duplicates (INVALID_REQUEST)", async () => {
    const { alter, errorOf, state } = await cluster();
    expect(await errorOf(alter([1, 4]))).toBe(ErrorCode.INVALID_REQUEST);
    expect(await errorOf(alter([2, 3]))).toBe(ErrorCode.INVALID_REQUEST);
    expect(await errorOf(alter([1, 2, 2]))).toBe(ErrorCode.INVALID_REQUEST);
    expect(await errorOf(alter([1], { leaderRecoveryState: 1 }))).toBe(ErrorCode.INVALID_REQUEST); // RECOVERED → RECOVERING
    expect(state()).toMatchObject({ isr: [1, 2, 3], partitionEpoch: 0 });
  });

  it("refuses a fenced broker in the new ISR (INELIGIBLE_REPLICA; OPERATION_NOT_ATTEMPTED before v2)", async () => {
    const { alter, errorOf, state } = await cluster({ fenced: [3] });
    expect(state().isr).toEqual([1, 2]); // created with the unfenced replicas only
    expect(await errorOf(alter([1, 2, 3]))).toBe(ErrorCode.INELIGIBLE_REPLICA);
    expect(await errorOf(alter([1, 2, 3], { version: 1 }))).toBe(ErrorCode.OPERATION_NOT_ATTEMPTED);
    expect(state()).toMatchObject({ isr: [1, 2], partitionEpoch: 0 });
  });

  it("refuses a broker in controlled shutdown, and (v3) a member registered with another broker epoch", async () => {
    const { controller, alter, errorOf, state, epochs } = await cluster();
    await beat(controller, 3, epochs.get(3)!, true);
    expect(controller.image.brokers.get(3)).toMatchObject({ inControlledShutdown: true, fenced: false });
    expect(state().isr).toEqual([1, 2]); // the shutdown took 3 out of the ISR
    expect(await errorOf(alter([1, 2, 3]))).toBe(ErrorCode.INELIGIBLE_REPLICA);

    const wrongEpoch = [
      { brokerId: 1, brokerEpoch: epochs.get(1)! },
      { brokerId: 2, brokerEpoch: epochs.get(2)! + 1n },
    ];
    expect(await errorOf(alter([], { newIsrWithEpochs: wrongEpoch }))).toBe(ErrorCode.INELIGIBLE_REPLICA);
    const unchecked = [wrongEpoch[0]!, { brokerId: 2, brokerEpoch: -1n }];
    expect(await errorOf(alter([], { newIsrWithEpochs: unchecked }))).toBe(ErrorCode.NONE);
  });

  it("keeps removing a fenced broker from every ISR, which makes the leader's next proposal stale", async () => {
    const { controller, time, alter, errorOf, state, epochs } = await cluster();
    const before = state().partitionEpoch;
    // Brokers 1 and 2 keep heartbeating; 3 stops and is fenced after its session.
    for (let i = 0; i < 3; i++) {
      time.advance(SESSION_MS / 2);
      await beat(controller, 1, epochs.get(1)!);
      await beat(controller, 2, epochs.get(2)!);
      await new Promise((r) => setImmediate(r));
    }
    expect(controller.image.brokers.get(3)!.fenced).toBe(true);
    expect(state()).toMatchObject({ leader: 1, isr: [1, 2], partitionEpoch: before + 1 });
    expect(await errorOf(alter([1, 2], { partitionEpoch: before }))).toBe(ErrorCode.INVALID_UPDATE_VERSION);
  });
});
