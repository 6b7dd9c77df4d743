import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRecordBatch, iterateBatches } from "../protocol/records/record-batch.ts";
import { ManualTime, makeTmpDir, openTestLog, removeDir } from "../log/test-support.ts";
import { Partition, type PartitionSettings } from "./partition.ts";
import { LogManager } from "../log/log-manager.ts";
import { MetadataDelta, replayAll } from "../controller/metadata-delta.ts";
import { MetadataImage } from "../controller/metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "../controller/metadata-record-serde.ts";
import { randomUuid } from "../controller/uuid.ts";
import { defaultPartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import { defaultPartitionRecord } from "../protocol/generated/metadata/PartitionRecord.ts";
import { defaultRegisterBrokerRecord } from "../protocol/generated/metadata/RegisterBrokerRecord.ts";
import { ReplicaManager } from "./replica-manager.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";

const SETTINGS: PartitionSettings = TEST_PARTITION_SETTINGS;

function batch(values: string[], producer?: { id: bigint; epoch: number; seq: number }): Buffer {
  return encodeRecordBatch({
    baseTimestamp: 1_000_000n,
    producerId: producer?.id ?? -1n,
    producerEpoch: producer?.epoch ?? -1,
    baseSequence: producer?.seq ?? -1,
    records: values.map((v, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(v), headers: [] })),
  });
}

describe("ReplicaManager with a leader partition", () => {
  let dir: string;
  let time: ManualTime;
  let rm: ReplicaManager;
  let partition: Partition;

  const setup = (settings: PartitionSettings = SETTINGS, isr = [0], replicas = isr) => {
    partition = new Partition("t", 0, "AAAAAAAAAAAAAAAAAAAAAQ", openTestLog(dir, time), settings, 0, time);
    partition.makeLeader(3, 0, replicas, isr);
    rm = new ReplicaManager({
      localId: 0,
      clock: time,
      logs: new LogManager({ config: { "log.dirs": [dir] }, clock: time, timer: time }),
      topicSettings: () => ({ overrides: {}, settings }),
    });
    rm.add(partition);
  };
  const produce = (records: Buffer, acks = 1) => rm.appendRecords(acks, 30_000, [{ topic: "t", partition: 0, records }]).then((r) => r[0]!);
  const fetch = (fetchOffset: number, minBytes = 1, maxWaitMs = 500) =>
    rm.fetchMessages({ replicaId: -1, maxWaitMs, minBytes, maxBytes: 1 << 20, partitions: [{ topic: "t", partition: 0, fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch: -1 }] });

  beforeEach(() => {
    dir = makeTmpDir("samsa-rm-");
    time = new ManualTime();
  });
  afterEach(() => {
    partition.log.close();
    removeDir(dir);
  });

  it("assigns consecutive offsets, stamps the leader epoch and advances the high watermark", async () => {
    setup();
    expect(await produce(batch(["a", "b", "c"]))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(batch(["d"]), -1)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(partition.highWatermark).toBe(4);
    const [r] = await fetch(0);
    const headers = [...iterateBatches(r!.records!)].map((b) => b.header!);
    expect(headers.map((h) => [h.baseOffset, h.partitionLeaderEpoch])).toEqual([[0n, 3], [3n, 3]]);
  });

  it("parks a fetch at the log end until an append arrives, and expires it after max wait", async () => {
    setup();
    await produce(batch(["a"]));
    let done = false;
    const waiting = fetch(1).then((r) => ((done = true), r));
    await Promise.resolve();
    expect(done).toBe(false);
    await produce(batch(["b"]));
    const [r] = await waiting;
    expect([...iterateBatches(r!.records!)].map((b) => b.header!.baseOffset)).toEqual([1n]);

    const expiring = fetch(2);
    time.advance(499);
    await Promise.resolve();
    time.advance(1);
    const [empty] = await expiring;
    expect(empty!.records!.length).toBe(0);
    expect(empty!.highWatermark).toBe(2);
  });

  it("answers a retried idempotent batch with its first offsets and rejects sequence gaps", async () => {
    setup();
    const p = { id: 42n, epoch: 0, seq: 0 };
    expect(await produce(batch(["a", "b"], p))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(batch(["a", "b"], p))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(partition.log.logEndOffset).toBe(2);
    expect(await produce(batch(["z"], { ...p, seq: 5 }))).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await produce(batch(["c"], { ...p, seq: 2 }))).toMatchObject({ errorCode: 0, baseOffset: 2 });
  });

  it("refuses acks=-1 below min.insync.replicas, unknown partitions and corrupt batches with Kafka's codes", async () => {
    // Two replicas, one in sync: below min ISR 2 (with one replica, Kafka caps min ISR at 1).
    setup({ ...SETTINGS, minInsyncReplicas: 2 }, [0], [0, 1]);
    expect(await produce(batch(["a"]), -1)).toMatchObject({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS });
    expect(await produce(batch(["a"]), 1)).toMatchObject({ errorCode: 0 });
    const bad = batch(["x"]);
    bad[bad.length - 1] ^= 0xff;
    expect(await produce(bad)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });
    const [r] = await rm.appendRecords(1, 1000, [{ topic: "nope", partition: 0, records: batch(["a"]) }]);
    expect(r!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(partition.log.logEndOffset).toBe(1);
  });

  it("answers out-of-range fetch offsets and stale leader epochs with errors", async () => {
    setup();
    await produce(batch(["a"]));
    expect((await fetch(7))[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const [stale] = await rm.fetchMessages({ replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 100, partitions: [{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 100, currentLeaderEpoch: 2 }] });
    expect(stale!.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
  });
});

describe("ReplicaManager following the metadata (node 0)", () => {
  const CLUSTER = randomUuid();
  const ORDERS = randomUuid();
  const DIR = randomUuid();
  let dir: string;
  let time: ManualTime;
  let rm: ReplicaManager;
  let logs: LogManager;
  let image: MetadataImage;
  const leadership: string[] = [];
  const stateChanges: string[] = [];

  const apply = (records: MetadataRecord[]) => {
    const delta = new MetadataDelta(image);
    for (const r of records) delta.replay(r);
    image = delta.apply();
    rm.applyDelta(image, delta);
  };
  const broker = (id: number) =>
    metadataRecord("RegisterBrokerRecord", {
      ...defaultRegisterBrokerRecord(),
      brokerId: id,
      brokerEpoch: BigInt(id + 10),
      incarnationId: randomUuid(),
      endPoints: [{ name: "PLAINTEXT", host: "h", port: 9092 + id, securityProtocol: 0 }],
      rack: null,
      logDirs: [DIR],
    }, 3);
  const partitionRecord = (id: number, replicas: number[]) =>
    metadataRecord("PartitionRecord", { ...defaultPartitionRecord(), partitionId: id, topicId: ORDERS, replicas, isr: replicas, leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0, directories: replicas.map(() => DIR) }, 1);
  const produceTo = (topic: string, partition: number) => rm.appendRecords(1, 1000, [{ topic, partition, records: batch(["v"]) }]).then((r) => r[0]!.errorCode);
  const fetchFrom = (topic: string, partition: number) =>
    rm.fetchMessages({ replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 100, partitions: [{ topic, partition, fetchOffset: 0, maxBytes: 100, currentLeaderEpoch: -1 }] }).then((r) => r[0]!.errorCode);

  beforeEach(() => {
    dir = makeTmpDir("samsa-rm-meta-");
    time = new ManualTime();
    logs = new LogManager({ config: { "log.dirs": [dir] }, clock: time, timer: time });
    leadership.length = 0;
    stateChanges.length = 0;
    rm = new ReplicaManager({
      localId: 0,
      clock: time,
      logs,
      topicSettings: () => ({ overrides: {}, settings: SETTINGS }),
      onLeadershipChange: (topic, partition, leading) => leadership.push(`${topic}-${partition}:${leading ? "lead" : "resign"}`),
      stateChanges: (e) => stateChanges.push(`${e.subject}: ${e.from} -> ${e.to} (${e.cause})`),
    });
    image = replayAll(MetadataImage.empty(CLUSTER), [metadataRecord("FeatureLevelRecord", { name: "metadata.version", featureLevel: 19 })]);
    rm.applyDelta(image);
    apply([broker(0), broker(1), metadataRecord("TopicRecord", { name: "orders", topicId: ORDERS }), partitionRecord(0, [0]), partitionRecord(1, [1])]);
  });
  afterEach(() => {
    logs.shutdown();
    removeDir(dir);
  });

  it("hosts and leads only the partitions assigned here, and drops a replica moved away", async () => {
    expect(rm.get("orders", 0)?.isLeader).toBe(true);
    expect(rm.get("orders", 1)).toBeUndefined();
    expect(leadership).toEqual(["orders-0:lead"]);
    expect(await produceTo("orders", 0)).toBe(ErrorCode.NONE);

    apply([metadataRecord("PartitionChangeRecord", { ...defaultPartitionChangeRecord(), topicId: ORDERS, partitionId: 0, replicas: [1], isr: [1], leader: 1 }, 1)]);
    expect(rm.get("orders", 0)).toBeUndefined();
    expect(leadership).toEqual(["orders-0:lead", "orders-0:resign"]);
    expect(logs.allLogs().map((l) => `${l.topic}-${l.partition}`)).toEqual([]);
    // This broker deleted the log, so it reports the end of the replica's deletion.
    expect(stateChanges).toEqual([
      "orders-0@0: ReplicaDeletionStarted -> ReplicaDeletionSuccessful (log deleted on broker 0: replica reassigned away)",
      "orders-0@0: ReplicaDeletionSuccessful -> NonExistentReplica (replica reassigned away)",
    ]);
  });

  it("answers NOT_LEADER_OR_FOLLOWER for a partition that exists elsewhere and UNKNOWN_TOPIC_OR_PARTITION for one that does not (Kafka's getPartitionOrError)", async () => {
    expect(await produceTo("orders", 1)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(await fetchFrom("orders", 1)).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(() => rm.leaderPartition("orders", 1)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    expect(rm.currentLeader("orders", 1)).toEqual({ leaderId: 1, leaderEpoch: 0 });

    expect(await produceTo("orders", 2)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await produceTo("payments", 0)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await fetchFrom("payments", 0)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(rm.currentLeader("payments", 0)).toEqual({ leaderId: -1, leaderEpoch: -1 });
  });
});

describe("ReplicaManager as leader of three replicas: acks=-1 and consumers wait for the followers", () => {
  let dir: string;
  let time: ManualTime;
  let rm: ReplicaManager;
  let partition: Partition;

  beforeEach(() => {
    dir = makeTmpDir("samsa-rm-repl-");
    time = new ManualTime();
    partition = new Partition("t", 0, "AAAAAAAAAAAAAAAAAAAAAQ", openTestLog(dir, time), { ...SETTINGS, minInsyncReplicas: 2 }, 0, time);
    partition.makeLeader(1, 1, [0, 1, 2], [0, 1, 2]);
    rm = new ReplicaManager({ localId: 0, clock: time, logs: new LogManager({ config: { "log.dirs": [dir] }, clock: time, timer: time }), topicSettings: () => ({ overrides: {}, settings: SETTINGS }) });
    rm.add(partition);
  });
  afterEach(() => {
    partition.log.close();
    removeDir(dir);
  });

  const followerFetch = (replicaId: number, fetchOffset: number) =>
    rm.fetchMessages({ replicaId, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, partitions: [{ topic: "t", partition: 0, fetchOffset, maxBytes: 1 << 20, currentLeaderEpoch: 1, logStartOffset: 0 }] });
  const settle = () => new Promise((r) => setTimeout(r, 0));

  it("acknowledges an acks=-1 produce only once every ISR follower has fetched past it, and wakes a consumer waiting at the high watermark", async () => {
    let acked: { errorCode: number; baseOffset: number } | undefined;
    const produce = rm.appendRecords(-1, 30_000, [{ topic: "t", partition: 0, records: batch(["a", "b"]) }]).then((r) => (acked = r[0]!));
    let consumed: number | undefined;
    const consumer = rm
      .fetchMessages({ replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, partitions: [{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20, currentLeaderEpoch: -1 }] })
      .then((r) => (consumed = r[0]!.records!.length));
    const [first] = await followerFetch(1, 0);
    expect(first!.records!.length).toBeGreaterThan(0); // followers read to the log end
    await followerFetch(1, 2);
    await settle();
    expect(acked).toBeUndefined();
    expect(consumed).toBeUndefined();
    await followerFetch(2, 2);
    await settle();
    expect(acked).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(consumed).toBeGreaterThan(0);
    await Promise.all([produce, consumer]);
  });

  it("answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR falls below min ISR after the append, and times out while followers lag", async () => {
    const produce = rm.appendRecords(-1, 30_000, [{ topic: "t", partition: 0, records: batch(["a"]) }]);
    await followerFetch(1, 1);
    const covered = followerFetch(2, 1); // the high watermark covers the append; its waiters are checked next
    partition.makeLeader(1, 2, [0, 1, 2], [0]); // ...but the ISR shrank first
    await covered;
    expect((await produce)[0]).toMatchObject({ errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND });

    partition.makeLeader(1, 3, [0, 1, 2], [0, 1, 2]);
    const slow = rm.appendRecords(-1, 1000, [{ topic: "t", partition: 0, records: batch(["b"]) }]);
    await followerFetch(1, 2);
    time.advance(1000);
    expect((await slow)[0]).toMatchObject({ errorCode: ErrorCode.REQUEST_TIMED_OUT });
  });
});
