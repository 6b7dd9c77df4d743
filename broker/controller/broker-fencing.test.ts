import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { ManualTime } from "../log/test-support.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { QuorumController } from "./controller.ts";
import { NO_LEADER } from "./metadata-image.ts";
import { MemoryRaftLogStore } from "./quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "./quorum/single-voter-quorum.ts";
import { seededRandom } from "../util/seeded-random.ts";
import { randomUuid } from "./uuid.ts";
import { testRegistration } from "./test-support.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const registration = testRegistration;

const SESSION_MS = 9000;

async function start() {
  const dir = mkdtempSync(join(tmpdir(), "samsa-fence-"));
  dirs.push(dir);
  const time = new ManualTime();
  const quorum = new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore(), clock: time });
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: randomUuid(),
    quorum,
    config: new BrokerConfig(new Map([["node.id", "0"], ["broker.session.timeout.ms", String(SESSION_MS)]])),
    random: seededRandom(3),
    registration: registration(),
    clock: time,
  });
  await controller.start();
  return { controller, time };
}

const beat = (controller: QuorumController, brokerId: number, brokerEpoch: bigint, extra: { offset?: bigint; wantShutDown?: boolean } = {}) =>
  controller.brokerHeartbeat({ brokerId, brokerEpoch, currentMetadataOffset: extra.offset ?? controller.image.provenance.lastOffset, wantFence: false, wantShutDown: extra.wantShutDown ?? false });

/** Lets queued controller commands (the session check's fencing) run. */
const settle = () => new Promise((r) => setImmediate(r));

describe("broker registration and heartbeats", () => {
  it("registers a remote broker fenced and unfences it only once it has replayed its own registration", async () => {
    const { controller } = await start();
    const { brokerEpoch } = await controller.registerBroker({ brokerId: 1, ...registration() });
    expect(controller.image.brokers.get(1)).toMatchObject({ fenced: true, epoch: brokerEpoch });

    const behind = await beat(controller, 1, brokerEpoch, { offset: brokerEpoch - 1n });
    expect(behind).toEqual({ isCaughtUp: false, isFenced: true, shouldShutDown: false });
    expect(controller.image.isActiveBroker(1)).toBe(false);

    const caughtUp = await beat(controller, 1, brokerEpoch, { offset: brokerEpoch });
    expect(caughtUp).toEqual({ isCaughtUp: true, isFenced: false, shouldShutDown: false });
    expect(controller.image.isActiveBroker(1)).toBe(true);
  });

  it("refuses heartbeats with an old broker epoch and keeps a retried registration's epoch", async () => {
    const { controller } = await start();
    const reg = registration();
    const first = await controller.registerBroker({ brokerId: 1, ...reg });
    const retried = await controller.registerBroker({ brokerId: 1, ...reg });
    expect(retried.brokerEpoch).toBe(first.brokerEpoch);
    await expect(beat(controller, 1, first.brokerEpoch - 1n)).rejects.toMatchObject({ code: ErrorCode.STALE_BROKER_EPOCH });
    await expect(beat(controller, 7, 5n)).rejects.toMatchObject({ code: ErrorCode.STALE_BROKER_EPOCH });
  });

  it("refuses a second incarnation of a live broker id until the first one's session has run out", async () => {
    const { controller, time } = await start();
    const { brokerEpoch } = await controller.registerBroker({ brokerId: 1, ...registration() });
    await beat(controller, 1, brokerEpoch);
    const twin = controller.registerBroker({ brokerId: 1, ...registration() });
    await expect(twin).rejects.toBeInstanceOf(KafkaError);
    await expect(twin).rejects.toMatchObject({ code: ErrorCode.DUPLICATE_BROKER_REGISTRATION });
    time.advance(SESSION_MS + 1000);
    await settle();
    const again = await controller.registerBroker({ brokerId: 1, ...registration() });
    expect(again.brokerEpoch).toBeGreaterThan(brokerEpoch);
  });

  it("fences two brokers that go silent together one at a time, so every leader is elected from the ISR the other fencing left", async () => {
    const { controller, time } = await start();
    for (const id of [1, 2]) {
      const { brokerEpoch } = await controller.registerBroker({ brokerId: id, ...registration() });
      await beat(controller, id, brokerEpoch);
    }
    await controller.createTopics({
      topics: [{ name: "rf3", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 0] }, { partitionIndex: 1, brokerIds: [2, 1, 0] }], configs: [] }],
      validateOnly: false,
    });
    time.advance(SESSION_MS + 1000);
    for (let i = 0; i < 5; i++) await settle();
    expect(controller.image.brokers.get(1)!.fenced && controller.image.brokers.get(2)!.fenced).toBe(true);
    for (const p of controller.image.topic("rf3")!.partitions.values()) {
      expect(p).toMatchObject({ leader: 0, isr: [0] });
    }
  });

  it("fences a broker that misses heartbeats for broker.session.timeout.ms and takes its leaderships away", async () => {
    const { controller, time } = await start();
    const { brokerEpoch } = await controller.registerBroker({ brokerId: 1, ...registration() });
    await beat(controller, 1, brokerEpoch);
    const [created] = await controller.createTopics({
      topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [0] }], configs: [] }],
      validateOnly: false,
    });
    expect(created!.errorCode).toBe(0);
    expect(controller.image.partition("t", 0)!.leader).toBe(1);

    // Heartbeats inside the session keep it alive.
    for (let i = 0; i < 4; i++) {
      time.advance(SESSION_MS / 2);
      await beat(controller, 1, brokerEpoch);
    }
    await settle();
    expect(controller.image.isActiveBroker(1)).toBe(true);

    time.advance(SESSION_MS + 1000);
    await settle();
    expect(controller.image.brokers.get(1)!.fenced).toBe(true);
    // The only replica is gone: no leader, and the ISR keeps its last member (Kafka's rule).
    expect(controller.image.partition("t", 0)).toMatchObject({ leader: NO_LEADER, isr: [1] });
    expect(controller.image.partition("t", 1)!.leader).toBe(0);
    // The controller's own broker is never fenced by the session check.
    expect(controller.image.isActiveBroker(0)).toBe(true);

    // It comes back: caught up, unfenced, and leads its partition again in a new leader epoch.
    const epochBefore = controller.image.partition("t", 0)!.leaderEpoch;
    const back = await beat(controller, 1, brokerEpoch);
    expect(back.isFenced).toBe(false);
    expect(controller.image.partition("t", 0)).toMatchObject({ leader: 1, isr: [1] });
    expect(controller.image.partition("t", 0)!.leaderEpoch).toBeGreaterThan(epochBefore);
  });

  it("on a controlled shutdown moves leaderships to other in-sync replicas and lets the broker stop", async () => {
    const { controller } = await start();
    const { brokerEpoch } = await controller.registerBroker({ brokerId: 1, ...registration() });
    await beat(controller, 1, brokerEpoch);
    await controller.createTopics({
      topics: [{ name: "shared", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 0] }], configs: [] }],
      validateOnly: false,
    });
    expect(controller.image.partition("shared", 0)).toMatchObject({ leader: 1, isr: [1, 0] });

    const first = await beat(controller, 1, brokerEpoch, { wantShutDown: true });
    expect(first).toMatchObject({ shouldShutDown: false, isFenced: false });
    expect(controller.image.brokers.get(1)).toMatchObject({ inControlledShutdown: true, fenced: false });
    expect(controller.image.partition("shared", 0)).toMatchObject({ leader: 0, isr: [0] });
    // Leading nothing now: fenced and free to stop, and a restart may register at once.
    const second = await beat(controller, 1, brokerEpoch, { wantShutDown: true });
    expect(second).toMatchObject({ shouldShutDown: true, isFenced: true });
    expect(controller.image.brokers.get(1)!.fenced).toBe(true);
    const restarted = await controller.registerBroker({ brokerId: 1, ...registration() });
    expect(restarted.brokerEpoch).toBeGreaterThan(brokerEpoch);
  });

  it("places replicas across the brokers, manual assignments as given, and refuses more replicas than brokers", async () => {
    const { controller } = await start();
    for (const id of [1, 2]) {
      const { brokerEpoch } = await controller.registerBroker({ brokerId: id, ...registration() });
      await beat(controller, id, brokerEpoch);
    }
    const [rf3, manual, spread, refused] = await controller.createTopics({
      topics: [
        { name: "rf3", numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] },
        { name: "manual", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0, 1] }], configs: [] },
        { name: "spread", numPartitions: 6, replicationFactor: 1, assignments: [], configs: [] },
        { name: "rf4", numPartitions: 1, replicationFactor: 4, assignments: [], configs: [] },
      ],
      validateOnly: false,
    });
    expect(refused).toMatchObject({ errorCode: ErrorCode.INVALID_REPLICATION_FACTOR });
    expect(refused!.errorMessage).toMatch(/only 3 broker\(s\) are registered/);
    expect(rf3!.errorCode).toBe(0);
    // Each partition on all three brokers, preferred leaders spread, the ISR all of them.
    for (const p of controller.image.topic("rf3")!.partitions.values()) {
      expect([...p.replicas].sort()).toEqual([0, 1, 2]);
      expect([...p.isr].sort()).toEqual([0, 1, 2]);
    }
    expect(new Set([...controller.image.topic("rf3")!.partitions.values()].map((p) => p.leader)).size).toBe(3);
    expect(manual!.errorCode).toBe(0);
    expect(controller.image.topic("manual")!.partitions.get(0)).toMatchObject({ replicas: [0, 1], leader: 0 });
    expect(spread!.errorCode).toBe(0);
    const leaders = [...controller.image.topic("spread")!.partitions.values()].map((p) => p.leader);
    for (const b of [0, 1, 2]) expect(leaders.filter((l) => l === b)).toHaveLength(2);
  });
});
