import { afterEach, beforeEach, describe, expect, it } from "vitest";
import pino from "pino";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRecordBatch } from "../protocol/records/record-batch.ts";
import { makeTmpDir, removeDir } from "../log/test-support.ts";
import { appendInfo, makeBatch } from "../log/test-batches.ts";
import { LogManager } from "../log/log-manager.ts";
import { MetadataDelta, replayAll } from "../controller/metadata-delta.ts";
import { MetadataImage } from "../controller/metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "../controller/metadata-record-serde.ts";
import { randomUuid } from "../controller/uuid.ts";
import { defaultPartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import { defaultPartitionRecord } from "../protocol/generated/metadata/PartitionRecord.ts";
import { defaultRegisterBrokerRecord } from "../protocol/generated/metadata/RegisterBrokerRecord.ts";
import { SocketServer } from "../network/socket-server.ts";
import { RequestDispatcher } from "../server/request-dispatcher.ts";
import type { BrokerServices } from "../server/broker-services.ts";
import { fetchHandler } from "../server/handlers/fetch.ts";
import { listOffsetsHandler } from "../server/handlers/list-offsets.ts";
import { apiVersionsHandler } from "../server/handlers/api-versions.ts";
import { systemClock } from "../util/clock.ts";
import type { PartitionSettings } from "./partition.ts";
import { ReplicaManager } from "./replica-manager.ts";
import { WireLeaderEndpoint } from "./replica-fetcher-endpoints.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";

const SETTINGS: PartitionSettings = TEST_PARTITION_SETTINGS;
const TOPIC = "orders";
const TOPIC_ID = randomUuid();
const DIR = randomUuid();

const batch = (values: string[]) =>
  encodeRecordBatch({ baseTimestamp: 1_000_000n, records: values.map((v, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(v), headers: [] })) });

/**
 * Leader (node 0) served over a real socket with the broker's own Fetch, ListOffsets and
 * ApiVersions handlers; follower (node 1) fetching from it through WireLeaderEndpoint, both
 * on the system clock.
 */
describe("replica fetching over the wire (WireLeaderEndpoint against the Fetch and ListOffsets handlers)", () => {
  const dirs: string[] = [];
  let server: SocketServer;
  let image: MetadataImage;
  let logs: LogManager[];
  let leader: ReplicaManager;
  let follower: ReplicaManager;

  const apply = (records: MetadataRecord[], rms: ReplicaManager[]) => {
    const delta = new MetadataDelta(image);
    for (const r of records) delta.replay(r);
    image = delta.apply();
    for (const rm of rms) rm.applyDelta(image, delta);
  };
  const manager = (id: number, withFetchers: boolean) => {
    const dir = makeTmpDir(`samsa-wire-${id}-`);
    dirs.push(dir);
    const lm = new LogManager({ config: { "log.dirs": [dir] }, clock: systemClock, timer: systemClock });
    logs.push(lm);
    const rm = new ReplicaManager({
      localId: id,
      clock: systemClock,
      logs: lm,
      topicSettings: () => ({ overrides: {}, settings: SETTINGS }),
      ...(withFetchers
        ? {
            fetchers: {
              numFetchers: 1,
              config: { maxWaitMs: 50, minBytes: 1, partitionMaxBytes: 1 << 20, responseMaxBytes: 10 << 20, backoffMs: 20 },
              endpoint: (brokerId: number, fetcherId: number) => new WireLeaderEndpoint(brokerId, fetcherId, { localId: id, interBrokerListener: "PLAINTEXT", metadata: () => image, timeoutMs: 5000 }),
            },
          }
        : {}),
    });
    return rm;
  };
  const waitFor = async (cond: () => boolean) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 10));
  };

  beforeEach(async () => {
    logs = [];
    image = replayAll(MetadataImage.empty(randomUuid()), [metadataRecord("FeatureLevelRecord", { name: "metadata.version", featureLevel: 19 })]);
    leader = manager(0, false);
    follower = manager(1, true);
    const services = { metadata: () => image, replicaManager: leader } as unknown as BrokerServices;
    const dispatcher: RequestDispatcher = new RequestDispatcher({
      1: { minVersion: 4, maxVersion: 17, handle: fetchHandler(services) },
      2: { minVersion: 0, maxVersion: 9, handle: listOffsetsHandler(services) },
      18: { minVersion: 0, maxVersion: 4, handle: apiVersionsHandler(services, () => dispatcher.advertised) },
    });
    server = new SocketServer("PLAINTEXT", dispatcher, { maxRequestBytes: 100 << 20, maxConnections: 100, idleTimeoutMs: 60_000 }, pino({ level: "silent" }));
    const port = await server.listen("127.0.0.1", 0);
    const register = (id: number, p: number) =>
      metadataRecord("RegisterBrokerRecord", {
        ...defaultRegisterBrokerRecord(),
        brokerId: id,
        brokerEpoch: BigInt(id + 10),
        incarnationId: randomUuid(),
        endPoints: [{ name: "PLAINTEXT", host: "127.0.0.1", port: p, securityProtocol: 0 }],
        rack: null,
        logDirs: [DIR],
      }, 3);
    apply([register(0, port), register(1, 1), metadataRecord("TopicRecord", { name: TOPIC, topicId: TOPIC_ID })], [leader, follower]);
  });
  afterEach(async () => {
    follower.shutdown();
    leader.shutdown();
    await server.close();
    for (const l of logs) l.shutdown();
    for (const d of dirs.splice(0)) removeDir(d);
  });

  const partitionRecord = (isr: number[]) =>
    metadataRecord("PartitionRecord", { ...defaultPartitionRecord(), partitionId: 0, topicId: TOPIC_ID, replicas: [0, 1], isr, leader: 0, leaderEpoch: 0, partitionEpoch: 0, directories: [DIR, DIR] }, 1);
  const produce = (records: Buffer) => leader.appendRecords(1, 5000, [{ topic: TOPIC, partition: 0, records }]).then((r) => r[0]!);
  const wholeLog = (rm: ReplicaManager) => {
    const log = rm.get(TOPIC, 0)!.log;
    return log.read(log.logStartOffset, 1 << 24, log.logEndOffset, true).records;
  };

  it("truncates a divergent tail on the leader's DivergingEpoch, copies the leader's batches, reports its log start and learns the high watermark", async () => {
    apply([partitionRecord([0, 1])], [leader]);
    await produce(batch(["a", "b"]));
    // A new leader epoch on the same leader, then more records in epoch 1.
    apply([metadataRecord("PartitionChangeRecord", { ...defaultPartitionChangeRecord(), topicId: TOPIC_ID, partitionId: 0, leader: 0 }, 1)], [leader]);
    expect(leader.get(TOPIC, 0)!.leaderEpoch).toBe(1);
    await produce(batch(["c", "d", "e"]));
    // The follower's log: the same first batch, then two records of epoch 0 the leader never had.
    const followerLog = logs[1]!.getOrCreateLog(TOPIC, 0, {});
    const first = leader.get(TOPIC, 0)!.log.read(0, 1 << 20, 2, true).records;
    followerLog.append(first, appendInfo(first));
    const stray = makeBatch({ baseOffset: 2, count: 2, leaderEpoch: 0 });
    followerLog.append(stray, appendInfo(stray));
    expect(followerLog.logEndOffset).toBe(4);

    follower.applyDelta(image);
    expect(follower.get(TOPIC, 0)!.role).toEqual({ kind: "Follower", leaderId: 0 });
    await waitFor(() => follower.get(TOPIC, 0)!.log.latestEpoch() === 1 && follower.get(TOPIC, 0)!.log.logEndOffset === 5);
    expect(wholeLog(follower).equals(wholeLog(leader))).toBe(true);
    await waitFor(() => follower.get(TOPIC, 0)!.highWatermark === 5);
    expect(leader.get(TOPIC, 0)!.highWatermark).toBe(5);
    // The follower's log start offset reached the leader through Fetch (v5+ logStartOffset).
    expect(leader.get(TOPIC, 0)!.follower(1)?.logStartOffset).toBe(0);
  });

  it("asks the leader for its log end (ListOffsets as a replica, not the high watermark) and start, and restarts an out-of-range follower at the leader's log start", async () => {
    apply([partitionRecord([0])], [leader]);
    for (const v of ["a", "b", "c", "d"]) await produce(batch([v]));
    const p = leader.get(TOPIC, 0)!;
    expect(p.highWatermark).toBe(4);
    expect(p.deleteRecordsBefore(3)).toBe(3);
    // Follower 1 joins the ISR before it ever fetched: the high watermark waits for it.
    apply([metadataRecord("PartitionChangeRecord", { ...defaultPartitionChangeRecord(), topicId: TOPIC_ID, partitionId: 0, isr: [0, 1] }, 1)], [leader]);
    await produce(batch(["e"]));
    expect([p.highWatermark, p.log.logEndOffset]).toEqual([4, 5]);
    const endpoint = new WireLeaderEndpoint(0, 9, { localId: 1, interBrokerListener: "PLAINTEXT", metadata: () => image, timeoutMs: 5000 });
    try {
      expect(await endpoint.fetchEarliestOffset({ topic: TOPIC, partition: 0 }, 0)).toBe(3);
      expect(await endpoint.fetchLatestOffset({ topic: TOPIC, partition: 0 }, 0)).toBe(5);
      await expect(endpoint.fetchLatestOffset({ topic: TOPIC, partition: 0 }, 7)).rejects.toMatchObject({ code: ErrorCode.UNKNOWN_LEADER_EPOCH });
    } finally {
      endpoint.close();
    }

    follower.applyDelta(image);
    await waitFor(() => follower.get(TOPIC, 0)?.log.logEndOffset === 5);
    expect(follower.get(TOPIC, 0)!.log.logStartOffset).toBe(3);
    await waitFor(() => p.highWatermark === 5);
    expect(wholeLog(follower).equals(wholeLog(leader))).toBe(true);
  });
});
