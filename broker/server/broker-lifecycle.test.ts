import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { QuorumController } from "../controller/controller.ts";
import { BOOTSTRAP_METADATA_VERSION } from "../controller/metadata-version.ts";
import { MemoryRaftLogStore } from "../controller/quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "../controller/quorum/single-voter-quorum.ts";
import { randomUuid } from "../controller/uuid.ts";
import { ManualTime } from "../log/test-support.ts";
import { BrokerLifecycle } from "./broker-lifecycle.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const registration = () => ({
  incarnationId: randomUuid(),
  listeners: [{ name: "PLAINTEXT", host: "localhost", port: 9095, securityProtocol: 0 }],
  rack: null,
  features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: BOOTSTRAP_METADATA_VERSION }],
  logDirs: [randomUuid()],
});

/** A real controller in memory, and broker 1's lifecycle against it. */
async function setup(metadataOffset?: () => bigint) {
  const dir = mkdtempSync(join(tmpdir(), "samsa-lifecycle-"));
  dirs.push(dir);
  const time = new ManualTime();
  const quorum = new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore(), clock: time });
  const controller = new QuorumController({ nodeId: 0, clusterId: randomUuid(), quorum, config: new BrokerConfig(new Map([["node.id", "0"]])), clock: time, registration: registration() });
  await controller.start();
  const lifecycle = new BrokerLifecycle({
    nodeId: 1,
    controller,
    registration: registration(),
    metadataOffset: metadataOffset ?? (() => controller.image.provenance.lastOffset),
    clock: time,
    logger: pino({ level: "silent" }),
    heartbeatIntervalMs: 2000,
    retryBackoffMs: 100,
  });
  /** Runs timers due within `ms` and lets the controller's commands complete. */
  const run = async (ms = 0) => {
    for (let i = 0; i < 10; i++) {
      time.advance(i === 0 ? ms : 0);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { controller, lifecycle, run };
}

describe("BrokerLifecycle", () => {
  it("registers, stays fenced in Recovery until its metadata reaches its registration, then runs", async () => {
    let applied = -1n;
    const { controller, lifecycle, run } = await setup(() => applied);
    let unfenced = false;
    void lifecycle.waitUntilUnfenced().then(() => (unfenced = true));
    lifecycle.start();
    await run();
    expect(lifecycle.state).toBe("Recovery");
    expect(lifecycle.brokerEpoch).toBe(controller.image.brokers.get(1)!.epoch);
    await run(500);
    expect(lifecycle.isFenced).toBe(true);
    expect(unfenced).toBe(false);

    applied = controller.image.provenance.lastOffset;
    await run(100);
    expect(lifecycle.state).toBe("Running");
    expect(unfenced).toBe(true);
    expect(controller.image.isActiveBroker(1)).toBe(true);
    lifecycle.stop();
  });

  it("a controlled shutdown hands back its leaderships and ends fenced", async () => {
    const { controller, lifecycle, run } = await setup();
    lifecycle.start();
    await run(100);
    expect(lifecycle.state).toBe("Running");
    await controller.createTopics({
      topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }], configs: [] }],
      validateOnly: false,
    });
    expect(controller.image.partition("t", 0)!.leader).toBe(1);
    const done = lifecycle.controlledShutdown(10_000);
    // Two heartbeats: enter controlled shutdown (leaderships move), then fenced and told to stop.
    for (let i = 0; i < 3; i++) await run(100);
    await done;
    expect(lifecycle.state).toBe("ShuttingDown");
    expect(controller.image.brokers.get(1)!.fenced).toBe(true);
    expect(controller.image.partition("t", 0)!.leader).toBe(-1);
  });
});
