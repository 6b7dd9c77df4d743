import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerConfig } from "../../config/broker-config.ts";
import { QuorumController } from "../../controller/controller.ts";
import { MemoryRaftLogStore } from "../../controller/quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "../../controller/quorum/single-voter-quorum.ts";
import { randomUuid, ZERO_UUID } from "../../controller/uuid.ts";
import { ManualTime } from "../../log/test-support.ts";
import { NodeChannel } from "../../network/node-channel.ts";
import { SocketServer } from "../../network/socket-server.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import { createLogger } from "../../util/logger.ts";
import type { BrokerServices } from "../broker-services.ts";
import { RemoteController } from "../remote-controller.ts";
import { RequestDispatcher, type ServedApis } from "../request-dispatcher.ts";
import { alterPartitionHandler } from "./alter-partition.ts";
import { apiVersionsHandler } from "./api-versions.ts";
import { testRegistration } from "../../controller/test-support.ts";

/**
 * AlterPartition over the wire: a broker-only node's RemoteController (v3) and older clients
 * (v0/v1: names and plain ISRs) against the handler in front of a real QuorumController.
 */

const registration = testRegistration;

let dir: string;
let controller: QuorumController;
let server: SocketServer;
let address: string;
let remote: RemoteController;
let channel: NodeChannel;
let topicId: string;
const epochs = new Map<number, bigint>();

/** A port in 20000-32000, retried if taken. */
async function listen(s: SocketServer): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    try {
      return await s.listen("127.0.0.1", port);
    } catch (e) {
      if (attempt > 20) throw e;
    }
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "samsa-alter-partition-wire-"));
  const time = new ManualTime();
  controller = new QuorumController({
    nodeId: 0,
    clusterId: randomUuid(),
    quorum: new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore(), clock: time }),
    config: new BrokerConfig(new Map([["node.id", "0"]])),
    registration: registration(),
    clock: time,
  });
  await controller.start();
  for (const id of [1, 2]) {
    const { brokerEpoch } = await controller.registerBroker({ brokerId: id, ...registration() });
    epochs.set(id, brokerEpoch);
    await controller.brokerHeartbeat({ brokerId: id, brokerEpoch, currentMetadataOffset: controller.image.provenance.lastOffset, wantFence: false, wantShutDown: false });
  }
  const [created] = await controller.createTopics({
    topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] }],
    validateOnly: false,
  });
  topicId = created!.topicId;
  const services = { controller, metadata: () => controller.image } as unknown as BrokerServices;
  const served: ServedApis = {
    18: { minVersion: 0, maxVersion: 4, handle: apiVersionsHandler(services, () => dispatcher.advertised) },
    56: { minVersion: 0, maxVersion: 3, handle: alterPartitionHandler(services) },
  };
  const dispatcher = new RequestDispatcher(served);
  server = new SocketServer("CONTROLLER", dispatcher, { maxRequestBytes: 1 << 20, maxConnections: 10, idleTimeoutMs: 0 }, createLogger({ test: "alter-partition" }));
  address = `127.0.0.1:${await listen(server)}`;
  remote = new RemoteController({ nodeId: 1, controllerAddress: address, requestTimeoutMs: 5000, awaitImage: async () => undefined });
  channel = new NodeChannel(() => address, { clientId: "old-broker", timeoutMs: 5000 });
});

afterAll(async () => {
  remote?.close();
  channel?.close();
  await server?.close();
  await controller?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("AlterPartition over the wire", () => {
  it("a broker-only node's RemoteController shrinks the ISR (v3, topic ids, broker epochs)", async () => {
    const reply = await remote.alterPartition({
      version: 3,
      brokerId: 1,
      brokerEpoch: epochs.get(1)!,
      topics: [{ topicName: "t", topicId, partitions: [{ partitionIndex: 0, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0, newIsrWithEpochs: [{ brokerId: 1, brokerEpoch: epochs.get(1)! }] }] }],
    });
    expect(reply.topics).toHaveLength(1);
    expect(reply.topics[0]!.topicId).toBe(topicId);
    expect(reply.topics[0]!.partitions).toEqual([{ partitionIndex: 0, errorCode: 0, leaderId: 1, leaderEpoch: 0, isr: [1], leaderRecoveryState: 0, partitionEpoch: 1 }]);
    expect(controller.image.partition("t", 0)).toMatchObject({ isr: [1], partitionEpoch: 1 });
  });

  it("a stale broker epoch is a top-level error, thrown by the RemoteController", async () => {
    await expect(
      remote.alterPartition({ version: 3, brokerId: 1, brokerEpoch: epochs.get(1)! - 1n, topics: [] }),
    ).rejects.toMatchObject({ code: ErrorCode.STALE_BROKER_EPOCH });
  });

  it("v0 names topics and carries plain broker ids; v1 reports an unknown name as UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const partition = (newIsr: number[], partitionEpoch: number) => ({ partitionIndex: 0, leaderEpoch: 0, partitionEpoch, newIsr, newIsrWithEpochs: [], leaderRecoveryState: 0 });
    const v0 = await channel.send(ApiKey.AlterPartition, 0, 0, {
      brokerId: 1,
      brokerEpoch: epochs.get(1)!,
      topics: [{ topicName: "t", topicId: ZERO_UUID, partitions: [partition([1, 2], 1)] }],
    });
    expect(v0.errorCode).toBe(0);
    expect(v0.topics[0]!.topicName).toBe("t");
    expect(v0.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderId: 1, isr: [1, 2], partitionEpoch: 2 });

    const v1 = await channel.send(ApiKey.AlterPartition, 1, 1, {
      brokerId: 1,
      brokerEpoch: epochs.get(1)!,
      topics: [{ topicName: "missing", topicId: ZERO_UUID, partitions: [partition([1], 2)] }],
    });
    expect(v1.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(controller.image.partition("t", 0)).toMatchObject({ isr: [1, 2], partitionEpoch: 2 });
  });
});
