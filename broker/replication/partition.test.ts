import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRecordBatch } from "../protocol/records/record-batch.ts";
import { ManualTime, makeTmpDir, openTestLog, removeDir } from "../log/test-support.ts";
import { Partition, type PartitionSettings } from "./partition.ts";
import { FollowerReplica, UNKNOWN_OFFSET } from "./replica.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";

const SETTINGS: PartitionSettings = { ...TEST_PARTITION_SETTINGS, minInsyncReplicas: 2 };

const batch = (n: number) =>
  encodeRecordBatch({ baseTimestamp: 1_000_000n, records: Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`v${i}`), headers: [] })) });

describe("Partition as leader of three replicas (node 0)", () => {
  let dir: string;
  let time: ManualTime;
  let p: Partition;

  const lead = (epoch: number, isr = [0, 1, 2], settings = SETTINGS, replicas = [0, 1, 2]) => {
    p ??= new Partition("t", 0, "AAAAAAAAAAAAAAAAAAAAAQ", openTestLog(dir, time), settings, 0, time);
    p.makeLeader(epoch, epoch, replicas, isr);
  };
  const follow = (id: number, offset: number) => p.fetchFromFollower(id, offset, 0, 1 << 20, true, -1);

  beforeEach(() => {
    dir = makeTmpDir("samsa-partition-");
    time = new ManualTime();
  });
  afterEach(() => {
    p?.log.close();
    p = undefined as unknown as Partition;
    removeDir(dir);
  });

  it("advances the high watermark to the smallest log end offset of the ISR, learned from follower fetches", () => {
    lead(1);
    p.appendRecordsToLeader(batch(3), -1);
    expect(p.highWatermark).toBe(0);
    expect(follow(1, 3).highWatermarkMoved).toBe(false); // follower 2 has not fetched yet
    const moved = follow(2, 2);
    expect(moved.highWatermarkMoved).toBe(true);
    expect(moved.read.highWatermark).toBe(2);
    expect(p.highWatermark).toBe(2);
    follow(2, 3);
    expect(p.highWatermark).toBe(3);
    expect(p.replicationStatus(3)).toBe("done");
  });

  it("hands a follower the leader's batches from its fetch offset up to the log end, not the high watermark", () => {
    lead(1);
    p.appendRecordsToLeader(batch(2), 1);
    p.appendRecordsToLeader(batch(1), 1);
    const { read } = follow(1, 2);
    expect(read.records.length).toBeGreaterThan(0);
    expect(read.records.readBigInt64BE(0)).toBe(2n); // the second batch's base offset
    expect(read.logEndOffset).toBe(3);
    expect(read.highWatermark).toBe(0);
  });

  it("ignores replicas outside the ISR, and never moves while the ISR is below min.insync.replicas", () => {
    lead(1, [0, 1]);
    p.appendRecordsToLeader(batch(2), -1);
    follow(1, 2);
    expect(p.highWatermark).toBe(2); // follower 2 is out of the ISR and holds nothing back

    lead(1, [0]); // ISR shrank below min ISR 2
    expect(() => p.appendRecordsToLeader(batch(1), -1)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_ENOUGH_REPLICAS }));
    p.appendRecordsToLeader(batch(1), 1);
    follow(1, 3);
    expect(p.highWatermark).toBe(2);
    expect(p.replicationStatus(3)).toBe("waiting");
  });

  it("caps min.insync.replicas at the replication factor (Kafka's effectiveMinIsr)", () => {
    lead(1, [0], SETTINGS, [0]);
    p.appendRecordsToLeader(batch(2), -1);
    expect(p.highWatermark).toBe(2);
  });

  it("keeps follower progress when made leader again in the same or a later epoch, and forgets it when leadership is new", () => {
    lead(1);
    p.appendRecordsToLeader(batch(3), 1);
    follow(1, 3);
    follow(2, 1);
    lead(1); // the same epoch again: a config or ISR change
    expect(p.follower(1)!.logEndOffset).toBe(3);
    lead(2); // re-elected in a new epoch: the followers' logs are still where they were
    expect(p.follower(2)!.logEndOffset).toBe(1);
    p.resign(1, 3, 3);
    lead(4); // leader again after another leader: nothing is known
    expect(p.follower(1)!.logEndOffset).toBe(UNKNOWN_OFFSET);
  });

  it("refuses fetches from brokers that are not replicas, and any follower fetch once it is not the leader", () => {
    lead(1);
    expect(() => p.fetchFromFollower(7, 0, 0, 100, true, -1)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    expect(() => p.fetchFromFollower(7, 0, 0, 100, true, 1)).toThrow(expect.objectContaining({ code: ErrorCode.UNKNOWN_LEADER_EPOCH }));
    p.resign(1, 2, 2);
    expect(() => follow(1, 0)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
  });
});

describe("FollowerReplica: last caught-up time (Kafka's Replica rules)", () => {
  it("is the fetch time when the fetch reaches the leader's end, else the previous fetch time when it reaches what the leader had then", () => {
    const r = new FollowerReplica(1);
    r.reset(1000, 10, true, true);
    expect(r.lastCaughtUpTimeMs).toBe(1000);
    r.updateFetchState(10, 0, 2000, 10); // at the leader's end
    expect(r.lastCaughtUpTimeMs).toBe(2000);
    r.updateFetchState(10, 0, 3000, 15); // behind, but has all the leader had at 2000
    expect(r.lastCaughtUpTimeMs).toBe(2000);
    r.updateFetchState(12, 0, 4000, 20); // still short of 15, the leader's end at 3000
    expect(r.lastCaughtUpTimeMs).toBe(2000);
    r.updateFetchState(20, 0, 5000, 30); // reached 20, the leader's end at 4000
    expect(r.lastCaughtUpTimeMs).toBe(4000);
    expect(r.isCaughtUp(30, 5000, 500)).toBe(false);
    expect(r.isCaughtUp(30, 4400, 500)).toBe(true);
    expect(r.isCaughtUp(20, 9999, 500)).toBe(true); // at the leader's end
  });

  it("counts an out-of-sync follower as never caught up when a leader is elected", () => {
    const r = new FollowerReplica(2);
    r.reset(1000, 10, true, false);
    expect(r.lastCaughtUpTimeMs).toBe(0);
    expect(r.logEndOffset).toBe(UNKNOWN_OFFSET);
  });
});
