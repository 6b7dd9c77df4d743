import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { ManualTime } from "../log/test-support.ts";
import { QuorumController } from "./controller.ts";
import { MemoryRaftLogStore } from "./quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "./quorum/single-voter-quorum.ts";
import { seededRandom } from "../util/seeded-random.ts";
import { randomUuid } from "./uuid.ts";
import { testRegistration } from "./test-support.ts";

/**
 * A broker that comes back as a new incarnation (a crash and restart) may have lost the
 * unflushed tail of its logs. Found by the replication simulation (seed 80 of
 * broker/replication/replication.simulation.test.ts): the restarted leader registered after
 * its session ran out but before the session check fenced it, kept its leadership and ISR
 * places, led its old epoch again with a shorter log, and its followers truncated committed,
 * acks=all acknowledged records to match it.
 */

const SESSION_MS = 9000;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function cluster() {
  const dir = mkdtempSync(join(tmpdir(), "samsa-rereg-"));
  dirs.push(dir);
  // Never advanced: sessions never run out on their own, so no fencing interferes.
  const time = new ManualTime();
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: randomUuid(),
    quorum: new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore(), clock: time }),
    config: new BrokerConfig(new Map([["node.id", "0"], ["broker.session.timeout.ms", String(SESSION_MS)]])),
    random: seededRandom(5),
    clock: time,
  });
  await controller.start();
  for (const id of [1, 2, 3]) {
    const { brokerEpoch } = await controller.registerBroker({ brokerId: id, ...testRegistration() });
    await controller.brokerHeartbeat({ brokerId: id, brokerEpoch, currentMetadataOffset: brokerEpoch, wantFence: false, wantShutDown: false });
  }
  const [created] = await controller.createTopics({
    topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }, { partitionIndex: 1, brokerIds: [2, 1, 3] }], configs: [] }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(0);
  return { controller, time };
}

describe("a broker registering a new incarnation", () => {
  it("leaves every ISR and leadership in the same commit, so it cannot lead its old epoch with a log that lost its tail", async () => {
    const { controller, time } = await cluster();
    expect(controller.image.partition("t", 0)).toMatchObject({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0 });
    // Broker 1 crashed: its session runs out, and it registers again before any fencing ran.
    time.current += SESSION_MS + 1;
    await controller.registerBroker({ brokerId: 1, ...testRegistration() });

    const led = controller.image.partition("t", 0)!;
    expect(led.leader).not.toBe(1);
    expect(led.leaderEpoch).toBe(1);
    expect(led.isr).not.toContain(1);
    expect(controller.image.partition("t", 1)).toMatchObject({ leader: 2, isr: [2, 3] });
    expect(controller.image.brokers.get(1)?.fenced).toBe(true);
  });

  it("changes nothing for a retried registration of the same incarnation", async () => {
    const { controller } = await cluster();
    const reg = testRegistration();
    await controller.registerBroker({ brokerId: 4, ...reg });
    const before = controller.image.partition("t", 0);
    await controller.registerBroker({ brokerId: 4, ...reg });
    expect(controller.image.partition("t", 0)).toEqual(before);
  });
});
