import { afterEach, describe, expect, it } from "vitest";
import type { StateChangeSink } from "../events/state-change.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ElectionType } from "./leader-election-control.ts";
import { LeaderRecoveryState, NO_LEADER } from "./metadata-image.ts";
import { clusterStateObserver } from "./state-machines/cluster-state-observer.ts";
import { type ControllerWithBrokers, controllerWithBrokers } from "./test-support.ts";

const open: ControllerWithBrokers[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

const SESSION_MS = 9000;
const CHECK_INTERVAL_S = 10;
const { PREFERRED, UNCLEAN } = ElectionType;

/**
 * A controller (node 0) with brokers 1 and 2 active and topic "e" (two partitions) on
 * replicas [1, 2] (preferred leader 1) and [2, 1]; state changes collected in `events`.
 */
async function cluster(config: Record<string, string> = {}) {
  const events: Parameters<StateChangeSink>[0][] = [];
  const c = await controllerWithBrokers({
    brokers: [1, 2],
    seed: 3,
    config: { "broker.session.timeout.ms": String(SESSION_MS), "leader.imbalance.check.interval.seconds": String(CHECK_INTERVAL_S), ...config },
    beforeStart: (controller) =>
      controller.onImage(clusterStateObserver((e) => events.push(e), () => 1, () => controller.isActive(), (t, p) => controller.electionCause(t, p))),
  });
  open.push(c);
  const { controller } = c;
  const [created] = await controller.createTopics({
    topics: [{ name: "e", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2, 1] }], configs: [] }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(ErrorCode.NONE);
  const state = (p = 0) => controller.image.partition("e", p)!;
  /** The current leader of partition `p` sets its ISR (AlterPartition), as after a follower caught up. */
  const setIsr = async (p: number, isr: number[]) => {
    const s = state(p);
    const reply = await controller.alterPartition({
      version: 3,
      brokerId: s.leader,
      brokerEpoch: c.epochs.get(s.leader)!,
      topics: [
        {
          topicName: "",
          topicId: created!.topicId,
          partitions: [
            {
              partitionIndex: p,
              leaderEpoch: s.leaderEpoch,
              partitionEpoch: s.partitionEpoch,
              leaderRecoveryState: s.leaderRecoveryState,
              newIsrWithEpochs: isr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
            },
          ],
        },
      ],
    });
    expect(reply.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  };
  /** Broker 1 is fenced (its partitions move to 2), comes back, and rejoins both ISRs. */
  const bounceBroker1 = async () => {
    await c.pass(SESSION_MS + 1000, [2]);
    expect(state(0)).toMatchObject({ leader: 2, isr: [2] });
    await c.beat(1);
    await setIsr(0, [2, 1]);
    await setIsr(1, [2, 1]);
  };
  const elect = (electionType: number, topicPartitions: { topic: string; partitions: number[] }[] | null) =>
    controller.electLeaders({ electionType, topicPartitions });
  return { ...c, events, state, setIsr, bounceBroker1, elect };
}

describe("ElectLeaders, preferred", () => {
  it("moves the lead back to the preferred replica once it is in the ISR; ELECTION_NOT_NEEDED where it already leads", async () => {
    const c = await cluster();
    await c.bounceBroker1();
    expect(c.state(0)).toMatchObject({ leader: 2, isr: [2, 1] });
    const epoch = c.state(0).leaderEpoch;

    const results = await c.elect(PREFERRED, [{ topic: "e", partitions: [0, 1] }]);
    expect(results).toEqual([
      {
        topic: "e",
        partitionResult: [
          { partitionId: 0, errorCode: ErrorCode.NONE, errorMessage: null },
          { partitionId: 1, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: "Leader election not needed for topic partition." },
        ],
      },
    ]);
    expect(c.state(0)).toMatchObject({ leader: 1, isr: [2, 1] });
    expect(c.state(0).leaderEpoch).toBe(epoch + 1);

    // The partition state machine says who asked for it.
    const moved = c.events.filter((e) => e.subject === "e-0" && e.to === "OnlinePartition").at(-1)!;
    expect(moved.cause).toBe("leader changed from broker 2 to 1 by preferred leader election requested by an admin (ElectLeaders), clean election from the ISR [2, 1]");
    // An election nobody asked for (fencing) says nothing of the kind.
    const fenced = c.events.find((e) => e.subject === "e-0" && e.details?.leader === 2)!;
    expect(fenced.cause).toBe("leader changed from broker 1 to 2, clean election from the ISR [1, 2]");
  });

  it("PREFERRED_LEADER_NOT_AVAILABLE while the preferred replica is live but not in the ISR", async () => {
    const c = await cluster();
    await c.pass(SESSION_MS + 1000, [2]);
    await c.beat(1);
    expect(c.controller.image.isActiveBroker(1)).toBe(true);
    expect(c.state(0)).toMatchObject({ leader: 2, isr: [2] });
    const [r] = await c.elect(PREFERRED, [{ topic: "e", partitions: [0] }]);
    expect(r!.partitionResult).toEqual([{ partitionId: 0, errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: "The preferred leader was not available." }]);
    expect(c.state(0).leader).toBe(2);
  });

  it("UNKNOWN_TOPIC_OR_PARTITION for a missing topic or partition, with Kafka's messages", async () => {
    const c = await cluster();
    const results = await c.elect(PREFERRED, [
      { topic: "nope", partitions: [0] },
      { topic: "e", partitions: [7] },
    ]);
    expect(results).toEqual([
      { topic: "nope", partitionResult: [{ partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "No such topic as nope" }] },
      { topic: "e", partitionResult: [{ partitionId: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "No such partition as e-7" }] },
    ]);
  });

  it("for every partition (null): only the partitions that needed an election are reported, every topic is listed", async () => {
    const c = await cluster();
    await c.bounceBroker1();
    const results = await c.elect(PREFERRED, null);
    expect(results).toEqual([{ topic: "e", partitionResult: [{ partitionId: 0, errorCode: ErrorCode.NONE, errorMessage: null }] }]);
    expect(await c.elect(PREFERRED, null)).toEqual([{ topic: "e", partitionResult: [] }]);
    // An empty list elects nothing and lists nothing.
    expect(await c.elect(PREFERRED, [])).toEqual([]);
  });

  it("refuses an unknown election type with INVALID_REQUEST", async () => {
    const c = await cluster();
    const err = await c.elect(2, [{ topic: "e", partitions: [0] }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaError);
    expect(err).toMatchObject({ code: ErrorCode.INVALID_REQUEST, message: "Unknown election type 2" });
  });
});

describe("ElectLeaders, unclean", () => {
  /** Broker 2 is fenced first (ISRs shrink to [1]), then 1; 2 comes back: partition 0 is offline with ISR [1]. */
  async function offline() {
    const c = await cluster();
    await c.pass(SESSION_MS + 1000, [1]);
    await c.pass(SESSION_MS + 1000, []);
    await c.beat(2);
    expect(c.state(0)).toMatchObject({ leader: NO_LEADER, isr: [1] });
    return c;
  }

  it("elects a live replica outside the ISR of an offline partition though the topic does not allow unclean elections", async () => {
    const c = await offline();
    // A preferred election cannot help: no ISR member is live.
    const [preferred] = await c.elect(PREFERRED, [{ topic: "e", partitions: [0] }]);
    expect(preferred!.partitionResult[0]!.errorCode).toBe(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);

    const [r] = await c.elect(UNCLEAN, [{ topic: "e", partitions: [0] }]);
    expect(r!.partitionResult).toEqual([{ partitionId: 0, errorCode: ErrorCode.NONE, errorMessage: null }]);
    expect(c.state(0)).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.RECOVERING });
    const elected = c.events.filter((e) => e.subject === "e-0").at(-1)!;
    expect(elected).toMatchObject({ from: "OfflinePartition", to: "OnlinePartition" });
    expect(elected.cause).toMatch(/^leader elected by unclean leader election requested by an admin \(ElectLeaders\): broker 2, unclean election/);
  });

  it("ELECTION_NOT_NEEDED for a partition with a leader; ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live", async () => {
    const c = await cluster();
    const [led] = await c.elect(UNCLEAN, [{ topic: "e", partitions: [0] }]);
    expect(led!.partitionResult[0]).toMatchObject({ errorCode: ErrorCode.ELECTION_NOT_NEEDED });
    await c.pass(SESSION_MS + 1000, [1]);
    await c.pass(SESSION_MS + 1000, []);
    expect(c.state(0).leader).toBe(NO_LEADER);
    const [none] = await c.elect(UNCLEAN, [{ topic: "e", partitions: [0] }]);
    expect(none!.partitionResult[0]).toEqual({ partitionId: 0, errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: "Eligible topic partition leaders are not available." });
  });
});

describe("automatic preferred-leader rebalance", () => {
  it("moves the lead back to the preferred replica within leader.imbalance.check.interval.seconds once it is in the ISR", async () => {
    const c = await cluster();
    await c.pass(SESSION_MS + 1000, [2]);
    await c.beat(1);
    // Not in the ISR: the runs change nothing.
    await c.pass(2 * CHECK_INTERVAL_S * 1000, [1, 2]);
    expect(c.state(0).leader).toBe(2);
    await c.setIsr(0, [2, 1]);
    await c.pass(CHECK_INTERVAL_S * 1000, [1, 2]);
    expect(c.state(0)).toMatchObject({ leader: 1, isr: [2, 1] });
    const moved = c.events.filter((e) => e.subject === "e-0").at(-1)!;
    expect(moved.cause).toContain("by preferred leader rebalance by the controller (auto.leader.rebalance.enable)");
  });

  it("does nothing with auto.leader.rebalance.enable=false", async () => {
    const c = await cluster({ "auto.leader.rebalance.enable": "false" });
    await c.bounceBroker1();
    await c.pass(3 * CHECK_INTERVAL_S * 1000, [1, 2]);
    expect(c.state(0).leader).toBe(2);
  });
});
