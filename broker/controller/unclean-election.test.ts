import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { ManualTime } from "../log/test-support.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { QuorumController } from "./controller.ts";
import { ConfigResourceType, LeaderRecoveryState, NO_LEADER } from "./metadata-image.ts";
import { MemoryRaftLogStore } from "./quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "./quorum/single-voter-quorum.ts";
import { seededRandom } from "./replica-placer.ts";
import { testRegistration } from "./test-support.ts";
import { randomUuid } from "./uuid.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SESSION_MS = 9000;
const INTERVAL_MS = 5000;
const SET = 0;

/** Lets queued controller commands (fencing, the periodic election) run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/**
 * A controller (node 0) with brokers 1 and 2 active and topic "u" on replicas [1, 2] led by
 * 1, with `configs` as topic overrides; unclean.leader.election.interval.ms is INTERVAL_MS.
 */
async function cluster(configs: { name: string; value: string }[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "samsa-unclean-"));
  dirs.push(dir);
  const time = new ManualTime();
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: randomUuid(),
    quorum: new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore(), clock: time }),
    config: new BrokerConfig(
      new Map([
        ["node.id", "0"],
        ["broker.session.timeout.ms", String(SESSION_MS)],
        ["unclean.leader.election.interval.ms", String(INTERVAL_MS)],
      ]),
    ),
    random: seededRandom(7),
    registration: testRegistration(),
    clock: time,
  });
  await controller.start();
  const epochs = new Map<number, bigint>();
  const beat = (id: number) =>
    controller.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: controller.image.provenance.lastOffset, wantFence: false, wantShutDown: false });
  for (const id of [1, 2]) {
    epochs.set(id, (await controller.registerBroker({ brokerId: id, ...testRegistration() })).brokerEpoch);
    await beat(id);
  }
  const [created] = await controller.createTopics({
    topics: [{ name: "u", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  /** Lets `ms` pass while only `alive` heartbeat, then runs what fell due. */
  const pass = async (ms: number, alive: number[]) => {
    for (let t = 0; t < ms; t += 1000) {
      time.advance(1000);
      for (const id of alive) await beat(id);
      await settle();
    }
  };
  const setUnclean = (value: string) =>
    controller.incrementalAlterConfigs({
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: "u", configs: [{ name: "unclean.leader.election.enable", configOperation: SET, value }] }],
      validateOnly: false,
    });
  const state = () => controller.image.partition("u", 0)!;
  return { controller, time, beat, pass, setUnclean, state, topicId: created!.topicId, epochs };
}

describe("unclean leader election", () => {
  it("is off by default: the partition stays offline while only an out-of-sync replica lives, and is led again when its last ISR member returns", async () => {
    const c = await cluster();
    // Broker 2 goes first (the ISR shrinks to [1]), then 1, the last ISR member.
    await c.pass(SESSION_MS + 1000, [1]);
    expect(c.state()).toMatchObject({ leader: 1, isr: [1] });
    await c.pass(SESSION_MS + 1000, []);
    expect(c.state()).toMatchObject({ leader: NO_LEADER, isr: [1] });
    // Broker 2 returns; the periodic election runs several times and elects nobody.
    await c.pass(3 * INTERVAL_MS, [2]);
    expect(c.controller.image.isActiveBroker(2)).toBe(true);
    expect(c.state()).toMatchObject({ leader: NO_LEADER, isr: [1], leaderRecoveryState: LeaderRecoveryState.RECOVERED });
    // The last in-sync replica comes back: a clean election on unfencing.
    await c.beat(1);
    expect(c.state()).toMatchObject({ leader: 1, isr: [1], leaderRecoveryState: LeaderRecoveryState.RECOVERED });
  });

  it("turned on for an offline partition: the next periodic run elects the first live replica, RECOVERING, then RECOVERED when the leader says so", async () => {
    const c = await cluster();
    await c.pass(SESSION_MS + 1000, [1]);
    await c.pass(SESSION_MS + 1000, [2]);
    expect(c.state()).toMatchObject({ leader: NO_LEADER, isr: [1] });
    const offlineEpoch = c.state().leaderEpoch;

    const [result] = await c.setUnclean("true");
    expect(result!.errorCode).toBe(ErrorCode.NONE);
    // As in Kafka 3.9 the config change itself elects nobody; the periodic task does.
    expect(c.state().leader).toBe(NO_LEADER);
    await c.pass(INTERVAL_MS, [2]);
    expect(c.state()).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.RECOVERING });
    expect(c.state().leaderEpoch).toBeGreaterThan(offlineEpoch);

    // While RECOVERING the ISR cannot grow (Kafka's validation) ...
    const alter = (isr: number[], leaderRecoveryState: number) =>
      c.controller.alterPartition({
        version: 3,
        brokerId: 2,
        brokerEpoch: c.epochs.get(2)!,
        topics: [
          {
            topicName: "",
            topicId: c.topicId,
            partitions: [
              {
                partitionIndex: 0,
                leaderEpoch: c.state().leaderEpoch,
                partitionEpoch: c.state().partitionEpoch,
                leaderRecoveryState,
                newIsrWithEpochs: isr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
              },
            ],
          },
        ],
      });
    const refused = await alter([2, 1], LeaderRecoveryState.RECOVERING);
    expect(refused.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // ... and the leader's report that it recovered is committed.
    const recovered = await alter([2], LeaderRecoveryState.RECOVERED);
    expect(recovered.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.RECOVERED });
    expect(c.state().leaderRecoveryState).toBe(LeaderRecoveryState.RECOVERED);
  });

  it("enabled for the topic: fencing the last ISR member elects a live out-of-sync replica at once", async () => {
    const c = await cluster([{ name: "unclean.leader.election.enable", value: "true" }]);
    // Broker 2 is fenced and leaves the ISR; it comes back but is not in sync yet.
    await c.pass(SESSION_MS + 1000, [1]);
    await c.beat(2);
    expect(c.state()).toMatchObject({ leader: 1, isr: [1] });
    // The leader, the last ISR member, is fenced: 2 is elected in the same change.
    await c.pass(SESSION_MS + 1000, [2]);
    expect(c.state()).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.RECOVERING });
  });

  it("enabled for the topic: unfencing an out-of-sync replica of a leaderless partition elects it", async () => {
    const c = await cluster([{ name: "unclean.leader.election.enable", value: "true" }]);
    // Both fenced, 2 first: the ISR keeps 1, the partition has no leader.
    await c.pass(SESSION_MS + 1000, [1]);
    await c.pass(SESSION_MS + 1000, []);
    expect(c.state()).toMatchObject({ leader: NO_LEADER, isr: [1] });
    await c.beat(2);
    expect(c.state()).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.RECOVERING });
  });
});
