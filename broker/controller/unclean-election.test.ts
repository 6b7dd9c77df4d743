import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/errors.ts";
import { ConfigResourceType, LeaderRecoveryState, NO_LEADER } from "./metadata-image.ts";
import { type ControllerWithBrokers, controllerWithBrokers } from "./test-support.ts";

const open: ControllerWithBrokers[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

const SESSION_MS = 9000;
const INTERVAL_MS = 5000;
const SET = 0;

/**
 * A controller (node 0) with brokers 1 and 2 active and topic "u" on replicas [1, 2] led by
 * 1, with `configs` as topic overrides; unclean.leader.election.interval.ms is INTERVAL_MS.
 */
async function cluster(configs: { name: string; value: string }[] = []) {
  const c = await controllerWithBrokers({
    brokers: [1, 2],
    seed: 7,
    config: { "broker.session.timeout.ms": String(SESSION_MS), "unclean.leader.election.interval.ms": String(INTERVAL_MS) },
  });
  open.push(c);
  const { controller } = c;
  const [created] = await controller.createTopics({
    topics: [{ name: "u", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  const setUnclean = (value: string) =>
    controller.incrementalAlterConfigs({
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: "u", configs: [{ name: "unclean.leader.election.enable", configOperation: SET, value }] }],
      validateOnly: false,
    });
  const state = () => controller.image.partition("u", 0)!;
  return { ...c, setUnclean, state, topicId: created!.topicId };
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

  it("refuses an unclean.leader.election.interval.ms below 1 as Kafka's config validation does", async () => {
    await expect(controllerWithBrokers({ brokers: [], config: { "unclean.leader.election.interval.ms": "0" } })).rejects.toThrow(
      "Invalid value 0 for configuration unclean.leader.election.interval.ms: Value must be at least 1",
    );
  });
});
