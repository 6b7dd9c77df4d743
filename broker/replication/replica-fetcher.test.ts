import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRecordBatch, iterateBatches } from "../protocol/records/record-batch.ts";
import { ManualTime, makeTmpDir, removeDir } from "../log/test-support.ts";
import { LogManager } from "../log/log-manager.ts";
import { MetadataDelta, replayAll } from "../controller/metadata-delta.ts";
import { MetadataImage } from "../controller/metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "../controller/metadata-record-serde.ts";
import { randomUuid } from "../controller/uuid.ts";
import { defaultPartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import { defaultPartitionRecord } from "../protocol/generated/metadata/PartitionRecord.ts";
import { defaultRegisterBrokerRecord } from "../protocol/generated/metadata/RegisterBrokerRecord.ts";
import type { PartitionSettings } from "./partition.ts";
import { ReplicaManager, type FetchParams, type FetchPartitionResult } from "./replica-manager.ts";
import { InProcessLeaderEndpoint } from "./replica-fetcher-endpoints.ts";
import type { ReplicaFetchConfig } from "./replica-fetcher.ts";
import { ReplicaFetcherManager, replicaFetchSettings } from "./replica-fetcher-manager.ts";
import { BROKER_CONFIGS } from "../config/broker-config-defs.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";

const SETTINGS: PartitionSettings = { ...TEST_PARTITION_SETTINGS, minInsyncReplicas: 2 };
const FETCH: ReplicaFetchConfig = { maxWaitMs: 500, minBytes: 1, partitionMaxBytes: 1 << 20, responseMaxBytes: 10 << 20, backoffMs: 1000 };
const CLUSTER = randomUuid();
const TOPIC = "orders";
const TOPIC_ID = randomUuid();
const DIR = randomUuid();
const KEY = `${TOPIC}-0`;

function batch(values: string[], producer?: { id: bigint; epoch: number; seq: number }): Buffer {
  return encodeRecordBatch({
    baseTimestamp: 1_000_000n,
    producerId: producer?.id ?? -1n,
    producerEpoch: producer?.epoch ?? -1,
    baseSequence: producer?.seq ?? -1,
    records: values.map((v, i) => ({ offsetDelta: i, timestampDelta: i, key: null, value: Buffer.from(v), headers: [] })),
  });
}

/**
 * Three ReplicaManagers in one process (nodes 0, 1, 2, a log directory each) following the
 * same metadata, their fetchers talking to each other in process, on one ManualTime. A node
 * in `cut` neither fetches nor gets or gives answers (a network partition or a dead broker).
 */
class Cluster {
  readonly time = new ManualTime();
  readonly dirs: string[] = [];
  readonly logs: LogManager[] = [];
  readonly rms: ReplicaManager[] = [];
  readonly cut = new Set<number>();
  /** Fetch requests each node's fetchers sent. */
  readonly fetchesSent = [0, 0, 0];
  image: MetadataImage;

  constructor(n = 3) {
    this.image = replayAll(MetadataImage.empty(CLUSTER), [metadataRecord("FeatureLevelRecord", { name: "metadata.version", featureLevel: 19 })]);
    for (let id = 0; id < n; id++) {
      const dir = makeTmpDir(`samsa-fetcher-${id}-`);
      this.dirs.push(dir);
      const logs = new LogManager({ config: { "log.dirs": [dir] }, clock: this.time, timer: this.time });
      this.logs.push(logs);
      this.rms.push(
        new ReplicaManager({
          localId: id,
          clock: this.time,
          logs,
          topicSettings: () => ({ overrides: {}, settings: SETTINGS }),
          fetchers: {
            numFetchers: 1,
            config: FETCH,
            endpoint: (leader) => this.endpoint(id, leader),
          },
        }),
      );
    }
    for (const rm of this.rms) rm.applyDelta(this.image);
  }

  private endpoint(from: number, leader: number): InProcessLeaderEndpoint {
    const inner = new InProcessLeaderEndpoint(leader, () => (this.cut.has(from) || this.cut.has(leader) ? undefined : this.rms[leader]));
    const fetch = inner.fetch.bind(inner);
    inner.fetch = async (request: FetchParams): Promise<FetchPartitionResult[]> => {
      // A fetcher spinning without ever waiting would starve the test's clock: fail it instead.
      if (++this.fetchesSent[from]! > 10_000) throw new Error(`node ${from} sent more than 10000 fetches`);
      const results = await fetch(request);
      // A fetch parked at the leader when the link was cut loses its answer.
      if (this.cut.has(from) || this.cut.has(leader)) throw new Error(`link ${from}-${leader} is cut`);
      return results;
    };
    return inner;
  }

  /** Applies metadata records to the image and to the given nodes (all by default). */
  apply(records: MetadataRecord[], nodes: number[] = this.rms.map((_, i) => i)): void {
    const delta = new MetadataDelta(this.image);
    for (const r of records) delta.replay(r);
    this.image = delta.apply();
    for (const id of nodes) this.rms[id]!.applyDelta(this.image, delta);
  }

  /** Brokers and the topic with one partition on `replicas`, led by the first. */
  createTopic(replicas = [0, 1, 2]): void {
    this.apply([
      ...this.rms.map((_, id) =>
        metadataRecord("RegisterBrokerRecord", {
          ...defaultRegisterBrokerRecord(),
          brokerId: id,
          brokerEpoch: BigInt(id + 10),
          incarnationId: randomUuid(),
          endPoints: [{ name: "PLAINTEXT", host: "h", port: 9092 + id, securityProtocol: 0 }],
          rack: null,
          logDirs: [DIR],
        }, 3),
      ),
      metadataRecord("TopicRecord", { name: TOPIC, topicId: TOPIC_ID }),
      metadataRecord("PartitionRecord", {
        ...defaultPartitionRecord(),
        partitionId: 0,
        topicId: TOPIC_ID,
        replicas,
        isr: replicas,
        leader: replicas[0]!,
        leaderEpoch: 0,
        partitionEpoch: 0,
        directories: replicas.map(() => DIR),
      }, 1),
    ]);
  }

  /** A PartitionChangeRecord (leader -2 = unchanged, isr null = unchanged). */
  change(change: { leader?: number; isr?: number[] }, nodes?: number[]): void {
    this.apply([metadataRecord("PartitionChangeRecord", { ...defaultPartitionChangeRecord(), topicId: TOPIC_ID, partitionId: 0, leader: change.leader ?? -2, isr: change.isr ?? null }, 1)], nodes);
  }

  partition(id: number) {
    return this.rms[id]!.get(TOPIC, 0)!;
  }
  log(id: number) {
    return this.partition(id).log;
  }
  /** The whole log of node `id` as it is on disk (every batch byte for byte). */
  bytes(id: number): Buffer {
    const log = this.log(id);
    return log.read(log.logStartOffset, 1 << 24, log.logEndOffset, true).records;
  }
  batches(id: number): { base: number; epoch: number; crc: number }[] {
    return [...iterateBatches(this.bytes(id))].map((b) => ({ base: Number(b.header!.baseOffset), epoch: b.header!.partitionLeaderEpoch, crc: b.header!.crc }));
  }

  produce(leader: number, records: Buffer, acks = 1) {
    return this.rms[leader]!.appendRecords(acks, 30_000, [{ topic: TOPIC, partition: 0, records }]).then((r) => r[0]!);
  }

  /**
   * Runs the fetchers until `done()`: lets every pending promise settle, then moves the
   * clock by a fetch's max wait (parked fetches answer, backoffs end). Deterministic: the
   * only time is the ManualTime.
   */
  async until(done: () => boolean, maxRounds = 40): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      await settle();
      if (done()) return;
      this.time.advance(FETCH.maxWaitMs);
    }
    await settle();
    if (!done()) throw new Error(`not reached after ${maxRounds} rounds`);
  }

  async rounds(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await settle();
      this.time.advance(FETCH.maxWaitMs);
    }
    await settle();
  }

  close(): void {
    for (const rm of this.rms) rm.shutdown();
    for (const l of this.logs) l.shutdown();
    for (const d of this.dirs) removeDir(d);
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

describe("replica fetchers between three in-process ReplicaManagers", () => {
  let c: Cluster;
  beforeEach(() => {
    c = new Cluster();
  });
  afterEach(() => c.close());

  it("followers fetch the leader's batches and store them byte for byte: same offsets, leader epochs and CRCs", async () => {
    c.createTopic();
    expect(c.partition(1).role).toEqual({ kind: "Follower", leaderId: 0 });
    expect(c.rms[1]!.fetchers!.describe()).toEqual([{ sourceBrokerId: 0, fetcherId: 0, partitions: 1 }]);
    await c.produce(0, batch(["a", "b", "c"]));
    await c.produce(0, batch(["d"]));
    await c.produce(0, batch(["e", "f"]));
    await c.until(() => c.log(1).logEndOffset === 6 && c.log(2).logEndOffset === 6);
    const leader = c.bytes(0);
    expect(leader.length).toBeGreaterThan(0);
    expect(c.bytes(1).equals(leader)).toBe(true);
    expect(c.bytes(2).equals(leader)).toBe(true);
    expect(c.batches(1)).toEqual(c.batches(0));
    expect(c.batches(1).map((b) => [b.base, b.epoch])).toEqual([[0, 0], [3, 0], [4, 0]]);
    expect(c.log(1).endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 6 });
    // One Fetch carries every partition of a source broker: one fetcher per follower here.
    expect(c.rms[2]!.fetchers!.describe()).toEqual([{ sourceBrokerId: 0, fetcherId: 0, partitions: 1 }]);
  });

  it("advances the leader's high watermark as the followers fetch, completes acks=-1, and the followers learn it", async () => {
    c.createTopic();
    c.cut.add(1);
    c.cut.add(2);
    let acked: { errorCode: number; baseOffset: number } | undefined;
    const produced = c.produce(0, batch(["a", "b"]), -1).then((r) => (acked = r));
    await c.rounds(3);
    expect(acked).toBeUndefined();
    expect(c.partition(0).highWatermark).toBe(0);
    // Follower 1 copies the records, and its next fetch (at 2) tells the leader it has them.
    c.cut.delete(1);
    await c.until(() => c.partition(0).follower(1)?.logEndOffset === 2);
    expect(c.log(1).logEndOffset).toBe(2);
    expect(c.partition(0).highWatermark).toBe(0); // follower 2, in the ISR, has not fetched
    expect(acked).toBeUndefined();
    c.cut.delete(2);
    await c.until(() => acked !== undefined);
    expect(acked).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(c.partition(0).highWatermark).toBe(2);
    expect(c.partition(0).follower(2)?.logEndOffset).toBe(2);
    // The followers hear of the new high watermark in their next fetch response.
    await c.until(() => c.partition(1).highWatermark === 2 && c.partition(2).highWatermark === 2);
    await produced;
  });

  it("truncates a follower's divergent tail from an older epoch to the new leader's end of that epoch, then matches the leader", async () => {
    c.createTopic();
    await c.produce(0, batch(["a", "b"]));
    await c.until(() => c.log(1).logEndOffset === 2 && c.log(2).logEndOffset === 2);
    // Node 2 is cut off; node 1 still copies two more records from leader 0, in epoch 0.
    c.cut.add(2);
    await c.produce(0, batch(["x", "y"]));
    await c.until(() => c.log(1).logEndOffset === 4);
    expect(c.log(2).logEndOffset).toBe(2);
    // Leader 0 dies; node 2 (still in the ISR) is elected in epoch 1 and takes new writes.
    c.cut.delete(2);
    c.cut.add(0);
    c.change({ leader: 2, isr: [1, 2] }, [1, 2]);
    expect(c.partition(2).isLeader).toBe(true);
    expect(c.partition(2).leaderEpoch).toBe(1);
    await c.produce(2, batch(["c", "d", "e"]));
    expect(c.rms[1]!.fetchers!.fetchStateOf(KEY)?.sourceBrokerId).toBe(2);
    // Node 1 fetches at 4 with lastFetchedEpoch 0; epoch 0 ends at 2 on the new leader.
    await c.until(() => c.log(1).logEndOffset === 5 && c.log(1).latestEpoch() === 1);
    expect(c.batches(1)).toEqual(c.batches(2));
    expect(c.bytes(1).equals(c.bytes(2))).toBe(true);
    expect(c.batches(1).map((b) => [b.base, b.epoch])).toEqual([[0, 0], [2, 1]]);
    expect(c.log(1).endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 2 });

    // The old leader comes back as a follower of node 2 and loses the same tail.
    c.cut.delete(0);
    c.rms[0]!.applyDelta(c.image);
    expect(c.partition(0).role).toEqual({ kind: "Follower", leaderId: 2 });
    await c.until(() => c.log(0).latestEpoch() === 1 && c.log(0).logEndOffset === 5);
    expect(c.bytes(0).equals(c.bytes(2))).toBe(true);
  });

  it("drops an epoch a follower opened as leader but never wrote to, instead of sending it as its last fetched epoch forever (found by the replication simulation, seed 847)", async () => {
    c.createTopic();
    await c.produce(0, batch(["a", "b", "c"]));
    await c.until(() => c.log(1).logEndOffset === 3 && c.log(2).logEndOffset === 3);
    c.change({ leader: 2 }, [2]); // node 2 leads epoch 1 (its cache: epoch 1 from 3) and writes nothing...
    c.change({ leader: 1 }); // ...before node 1 is elected in epoch 2, also from 3
    expect(c.log(2).latestEpoch()).toBe(1);
    await c.produce(1, batch(["d", "e"]));
    await c.until(() => c.log(2).logEndOffset === 5);
    expect(c.log(2).latestEpoch()).toBe(2);
    expect(c.batches(2)).toEqual(c.batches(1));
  });

  it("restarts a follower at the leader's log start after OFFSET_OUT_OF_RANGE (the records it needed were deleted)", async () => {
    c.createTopic();
    await c.produce(0, batch(["a", "b"]));
    await c.until(() => c.log(2).logEndOffset === 2);
    c.cut.add(2);
    c.change({ isr: [0, 1] }); // node 2 falls out of the ISR; the high watermark moves without it
    for (const v of ["c", "d", "e", "f"]) await c.produce(0, batch([v]));
    await c.until(() => c.partition(0).highWatermark === 6);
    expect(c.partition(0).deleteRecordsBefore(5)).toBe(5);
    // Node 1 follows the leader's log start once its own high watermark allows.
    await c.until(() => c.log(1).logStartOffset === 5);

    c.cut.delete(2);
    await c.until(() => c.log(2).logEndOffset === 6);
    expect(c.log(2).logStartOffset).toBe(5);
    expect(c.batches(2)).toEqual(c.batches(0));
    expect(c.batches(2).map((b) => b.base)).toEqual([5]);
    expect(c.rms[2]!.fetchers!.fetchStateOf(KEY)?.state.state).toEqual({ kind: "Fetching" });
  });

  it("stops fetching from a leader that resigned: delayed on NOT_LEADER_OR_FOLLOWER, removed when the metadata says offline", async () => {
    c.createTopic();
    await c.produce(0, batch(["a"]));
    await c.until(() => c.log(1).logEndOffset === 1 && c.log(2).logEndOffset === 1);
    // The leader learns first that the partition has no leader any more.
    c.change({ leader: -1, isr: [0] }, [0]);
    expect(c.partition(0).role).toEqual({ kind: "Offline" });
    await c.until(() => c.rms[1]!.fetchers!.fetchStateOf(KEY)?.state.state.kind === "Delayed");
    expect(c.rms[1]!.fetchers!.fetchStateOf(KEY)?.state.state).toMatchObject({ kind: "Delayed", reason: expect.stringContaining("NOT_LEADER_OR_FOLLOWER") });
    // Then the followers: offline, off their fetchers, and the idle fetchers stop.
    for (const id of [1, 2]) {
      c.rms[id]!.applyDelta(c.image);
      expect(c.partition(id).role).toEqual({ kind: "Offline" });
      expect(c.rms[id]!.fetchers!.fetchStateOf(KEY)).toBeUndefined();
      expect(c.rms[id]!.fetchers!.describe()).toEqual([]);
    }
    const sent = [...c.fetchesSent];
    await c.rounds(10);
    expect(c.fetchesSent).toEqual(sent);
    expect(c.log(1).logEndOffset).toBe(1);
  });

  it("a follower keeps the idempotent producers' state from the batches it copies, so after becoming leader it answers a retry as a duplicate", async () => {
    c.createTopic();
    const pid = { id: 42n, epoch: 0, seq: 0 };
    expect(await c.produce(0, batch(["a", "b"], pid))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    await c.produce(0, batch(["plain"]));
    await c.until(() => c.log(1).logEndOffset === 3);
    // The leader dies before the producer saw its acknowledgement; node 1 takes over.
    c.cut.add(0);
    c.change({ leader: 1, isr: [1, 2] }, [1, 2]);
    expect(c.partition(1).isLeader).toBe(true);
    expect(await c.produce(1, batch(["a", "b"], pid))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(c.log(1).logEndOffset).toBe(3);
    expect(await c.produce(1, batch(["z"], { ...pid, seq: 5 }))).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await c.produce(1, batch(["c"], { ...pid, seq: 2 }))).toMatchObject({ errorCode: 0, baseOffset: 3 });
  });

  it("answers an acks=-1 produce waiting on a leader that becomes a follower with NOT_LEADER_OR_FOLLOWER at once (Kafka's makeFollowers)", async () => {
    c.createTopic();
    c.cut.add(1);
    c.cut.add(2);
    let acked: { errorCode: number } | undefined;
    const produced = c.produce(0, batch(["a"]), -1).then((r) => (acked = r));
    await c.rounds(2);
    expect(acked).toBeUndefined();
    c.change({ leader: 1, isr: [1, 2] });
    await settle(); // no time passes: the 30 s produce timeout is far away
    expect(acked).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    await produced;
  });

  it("keeps a follower's fetch state through a same-epoch change and moves it to the new leader's fetcher on a leader change", async () => {
    c.createTopic();
    await c.produce(0, batch(["a"]));
    await c.until(() => c.log(2).logEndOffset === 1);
    const before = c.rms[2]!.fetchers!.fetchStateOf(KEY)!;
    c.change({ isr: [0, 2] }); // an ISR change: same leader epoch, the fetcher goes on as it was
    expect(c.rms[2]!.fetchers!.fetchStateOf(KEY)!.state).toBe(before.state);
    c.change({ leader: 1, isr: [1, 2] });
    expect(c.rms[2]!.fetchers!.describe()).toEqual([{ sourceBrokerId: 1, fetcherId: 0, partitions: 1 }]);
    expect(c.rms[2]!.fetchers!.fetchStateOf(KEY)?.state.currentLeaderEpoch).toBe(1);
    expect(c.rms[0]!.fetchers!.describe()).toEqual([{ sourceBrokerId: 1, fetcherId: 0, partitions: 1 }]);
    expect(c.rms[1]!.fetchers!.describe()).toEqual([]);
    await c.produce(1, batch(["b"]));
    await c.until(() => c.log(2).logEndOffset === 2 && c.log(0).logEndOffset === 2);
    expect(c.bytes(2).equals(c.bytes(1))).toBe(true);
  });
});

describe("ReplicaFetcherManager placement and settings", () => {
  it("puts a partition on the fetcher Kafka's getFetcherId picks (Java String.hashCode, Utils.abs)", () => {
    const m = new ReplicaFetcherManager({ localId: 0, numFetchers: 5, config: FETCH, endpoint: () => { throw new Error("unused"); }, clock: new ManualTime(), partitions: { get: () => undefined } });
    const ids = (topic: string) => [0, 1, 2, 3, 4, 5].map((p) => m.fetcherId(topic, p));
    // Values from Kafka's formula run on the JVM.
    expect(ids("orders")).toEqual([4, 3, 2, 1, 0, 4]);
    expect(ids("__consumer_offsets")).toEqual([2, 1, 0, 4, 3, 2]);
    expect(ids("päyments")).toEqual([0, 1, 2, 3, 4, 0]);
    expect(ids("topic-with-a-long-name")).toEqual([0, 4, 3, 2, 1, 0]);
  });

  it("reads num.replica.fetchers and replica.fetch.* with Kafka's defaults", () => {
    const defaults = (name: string) => Number(BROKER_CONFIGS.find((d) => d.name === name)!.default);
    expect(replicaFetchSettings(defaults)).toEqual({
      numFetchers: 1,
      config: { maxWaitMs: 500, minBytes: 1, partitionMaxBytes: 1048576, responseMaxBytes: 10485760, backoffMs: 1000 },
    });
  });
});
