import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { QuorumController } from "../controller/controller.ts";
import { MemoryRaftLogStore } from "../controller/quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "../controller/quorum/single-voter-quorum.ts";
import { seededRandom } from "../util/seeded-random.ts";
import { randomUuid } from "../controller/uuid.ts";
import { LogManager } from "../log/log-manager.ts";
import { ManualTime } from "../log/test-support.ts";
import { encodeRecordBatch } from "../protocol/records/record-batch.ts";
import { AlterPartitionManager } from "./alter-partition-manager.ts";
import type { PartitionSettings } from "./partition.ts";
import { ReplicaManager } from "./replica-manager.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";
import { testRegistration } from "../controller/test-support.ts";

/**
 * A leader's ISR changes end to end in one process: node 0's ReplicaManager (its partitions
 * follow the controller's images) proposes through an AlterPartitionManager whose sender is
 * the real QuorumController, and learns the answers.
 */

const SETTINGS: PartitionSettings = TEST_PARTITION_SETTINGS;
const LAG_MS = 10_000;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

const registration = testRegistration;

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

async function node() {
  // The controller's sessions run on their own clock, never advanced: brokers stay unfenced.
  const controllerTime = new ManualTime();
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: randomUuid(),
    quorum: new SingleVoterQuorum({ nodeId: 0, dir: tmp("samsa-isr-quorum-"), store: new MemoryRaftLogStore(), clock: controllerTime }),
    config: new BrokerConfig(new Map([["node.id", "0"]])),
    random: seededRandom(9),
    registration: registration(),
    clock: controllerTime,
  });
  await controller.start();
  for (const id of [1, 2]) {
    const { brokerEpoch } = await controller.registerBroker({ brokerId: id, ...registration() });
    await controller.brokerHeartbeat({ brokerId: id, brokerEpoch, currentMetadataOffset: controller.image.provenance.lastOffset, wantFence: false, wantShutDown: false });
  }
  const time = new ManualTime();
  const sent: number[] = [];
  const alterPartitions = new AlterPartitionManager({
    brokerId: 0,
    brokerEpoch: () => controller.brokerEpoch!,
    send: (cmd) => {
      sent.push(cmd.topics.length);
      return controller.alterPartition(cmd);
    },
    timer: time,
  });
  const logDir = tmp("samsa-isr-logs-");
  const rm = new ReplicaManager({
    localId: 0,
    clock: time,
    logs: new LogManager({ config: { "log.dirs": [logDir] }, clock: time, timer: time }),
    topicSettings: () => ({ overrides: {}, settings: SETTINGS }),
    isrChanges: { submitter: alterPartitions, replicaLagTimeMaxMs: LAG_MS, localBrokerEpoch: () => controller.brokerEpoch! },
  });
  rm.applyDelta(controller.image);
  controller.onImage((image, delta) => rm.applyDelta(image, delta));
  const create = async (name: string, replicas: number[]) => {
    const [r] = await controller.createTopics({
      topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: replicas }], configs: [] }],
      validateOnly: false,
    });
    expect(r!.errorCode).toBe(0);
  };
  const followerFetch = (replicaId: number, topic: string, fetchOffset: number) =>
    rm.fetchMessages({ replicaId, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, partitions: [{ topic, partition: 0, fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch: -1 }] });
  const records = (n: number) =>
    encodeRecordBatch({ baseTimestamp: 1_000_000n, records: Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`v${i}`), headers: [] })) });
  return { controller, time, rm, sent, create, followerFetch, records, close: () => (rm.shutdown(), alterPartitions.close()) };
}

describe("ISR changes through the controller (ReplicaManager + AlterPartitionManager + QuorumController)", () => {
  it("the isr-expiration task drops a lagging follower, which completes a waiting acks=-1 produce; a caught-up one is added back", async () => {
    const n = await node();
    await n.create("t", [0, 1, 2]);
    expect(n.controller.image.partition("t", 0)).toMatchObject({ leader: 0, isr: [0, 1, 2], partitionEpoch: 0 });

    let acked: number | null = null;
    const produced = n.rm.appendRecords(-1, 60_000, [{ topic: "t", partition: 0, records: n.records(3) }]).then((r) => (acked = r[0]!.errorCode));
    await n.followerFetch(1, "t", 3); // follower 1 has everything; follower 2 never fetches
    await settle();
    expect(acked).toBeNull();

    n.time.advance(LAG_MS / 2); // first isr-expiration run: 2 is not lagging long enough yet
    await settle();
    expect(n.sent).toEqual([]);
    await n.followerFetch(1, "t", 3);
    n.time.advance(LAG_MS / 2 + 1);
    await settle();
    n.time.advance(LAG_MS / 2); // the run after lag.time.max.ms proposes [0, 1]
    await settle();
    expect(n.sent).toEqual([1]);
    expect(n.controller.image.partition("t", 0)).toMatchObject({ leader: 0, isr: [0, 1], leaderEpoch: 0, partitionEpoch: 1 });
    const p = n.rm.get("t", 0)!;
    expect(p.isr).toEqual([0, 1]);
    expect(p.partitionEpoch).toBe(1);
    await produced;
    expect(acked).toBe(0);
    expect(p.highWatermark).toBe(3);

    // Follower 2 catches up: its fetch at the high watermark proposes it back.
    await n.followerFetch(2, "t", 3);
    await settle();
    expect(n.controller.image.partition("t", 0)).toMatchObject({ isr: [0, 1, 2], partitionEpoch: 2 });
    expect(p.isr).toEqual([0, 1, 2]);
    expect(p.isrChangeState.kind).toBe("Committed");
    n.close();
  });

  it("with one replica per partition the isr-expiration task proposes nothing", async () => {
    const n = await node();
    await n.create("solo", [0]);
    await n.rm.appendRecords(-1, 1000, [{ topic: "solo", partition: 0, records: n.records(2) }]);
    n.time.advance(LAG_MS * 5);
    await settle();
    expect(n.sent).toEqual([]);
    expect(n.controller.image.partition("solo", 0)).toMatchObject({ isr: [0], partitionEpoch: 0 });
    n.close();
  });
});
