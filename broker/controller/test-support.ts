import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerConfig } from "../config/broker-config.ts";
import { ManualTime } from "../log/test-support.ts";
import type { BrokerHeartbeatReply } from "./cluster-control.ts";
import { QuorumController } from "./controller.ts";
import { BOOTSTRAP_METADATA_VERSION } from "./metadata-version.ts";
import { MemoryRaftLogStore } from "./quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "./quorum/single-voter-quorum.ts";
import { seededRandom } from "../util/seeded-random.ts";
import { randomUuid } from "./uuid.ts";

/** A broker registration for controller tests (a new incarnation unless one is given). */
export const testRegistration = (incarnationId = randomUuid()) => ({
  incarnationId,
  listeners: [{ name: "PLAINTEXT", host: "localhost", port: 9092, securityProtocol: 0 }],
  rack: null,
  features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: BOOTSTRAP_METADATA_VERSION }],
  logDirs: [randomUuid()],
});

export interface ControllerWithBrokers {
  controller: QuorumController;
  time: ManualTime;
  epochs: Map<number, bigint>;
  /** A heartbeat from broker `id`, caught up with the metadata (unfences it). */
  beat(id: number): Promise<BrokerHeartbeatReply>;
  /** Lets `ms` pass in 1 s steps while only `alive` heartbeat, running what falls due. */
  pass(ms: number, alive: readonly number[]): Promise<void>;
  /** Lets queued controller commands (fencing, periodic elections, AlterPartition) run. */
  settle(): Promise<void>;
  close(): void;
}

/**
 * Controller node 0 on a manual clock and an in-memory log, with `brokers` registered and
 * active; `config` adds server.properties entries. `beforeStart` sees it before it starts
 * (to subscribe to its images from the first one).
 */
export async function controllerWithBrokers(
  o: { brokers: readonly number[]; config?: Record<string, string>; seed?: number; beforeStart?: (c: QuorumController) => void },
): Promise<ControllerWithBrokers> {
  const dir = mkdtempSync(join(tmpdir(), "samsa-controller-"));
  const time = new ManualTime();
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: "AAAAAAAAAAAAAAAAAAAAAQ",
    quorum: new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore(), clock: time }),
    config: new BrokerConfig(new Map([["node.id", "0"], ...Object.entries(o.config ?? {})])),
    random: seededRandom(o.seed ?? 1),
    registration: testRegistration(),
    clock: time,
  });
  o.beforeStart?.(controller);
  await controller.start();
  const epochs = new Map<number, bigint>();
  const beat = (id: number) =>
    controller.brokerHeartbeat({ brokerId: id, brokerEpoch: epochs.get(id)!, currentMetadataOffset: controller.image.provenance.lastOffset, wantFence: false, wantShutDown: false });
  for (const id of o.brokers) {
    epochs.set(id, (await controller.registerBroker({ brokerId: id, ...testRegistration() })).brokerEpoch);
    await beat(id);
  }
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const pass = async (ms: number, alive: readonly number[]) => {
    for (let t = 0; t < ms; t += 1000) {
      time.advance(1000);
      for (const id of alive) await beat(id);
      await settle();
    }
  };
  return { controller, time, epochs, beat, pass, settle, close: () => rmSync(dir, { recursive: true, force: true }) };
}
