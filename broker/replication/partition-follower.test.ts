import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRecordBatch, iterateBatches } from "../protocol/records/record-batch.ts";
import { initCompression } from "../protocol/records/compression.ts";
import { ManualTime, makeTmpDir, openTestLog, removeDir } from "../log/test-support.ts";
import { Partition, type PartitionSettings } from "./partition.ts";
import { PartitionRoleState, ROLE_LEADER, ROLE_NONE } from "./partition-role.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";

const SETTINGS: PartitionSettings = TEST_PARTITION_SETTINGS;
const GZIP = 1;

/** A batch as a leader wrote it: offsets and leader epoch assigned, CRC over them. */
function leaderBatch(baseOffset: number, epoch: number, values: string[], o: { compression?: number; producer?: { id: bigint; seq: number } } = {}): Buffer {
  return encodeRecordBatch({
    baseOffset: BigInt(baseOffset),
    partitionLeaderEpoch: epoch,
    baseTimestamp: 1_000_000n + BigInt(baseOffset),
    compression: o.compression ?? 0,
    producerId: o.producer?.id ?? -1n,
    producerEpoch: o.producer ? 0 : -1,
    baseSequence: o.producer?.seq ?? -1,
    records: values.map((v, i) => ({ offsetDelta: i, timestampDelta: i, key: null, value: Buffer.from(v), headers: [] })),
  });
}
const clientBatch = (values: string[], producer: { id: bigint; seq: number }) =>
  encodeRecordBatch({ baseTimestamp: 2_000_000n, producerId: producer.id, producerEpoch: 0, baseSequence: producer.seq, records: values.map((v, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(v), headers: [] })) });

describe("PartitionRoleState", () => {
  it("starts as None, may not return to it, and knows the leader of each role", () => {
    const s = new PartitionRoleState();
    expect(s.role).toEqual({ kind: "None" });
    expect(s.leaderId(3)).toBe(-1);
    s.transition({ kind: "Follower", leaderId: 1 });
    expect(s.leaderId(3)).toBe(1);
    expect(s.transition(ROLE_LEADER)).toEqual({ kind: "Follower", leaderId: 1 });
    expect(s.leaderId(3)).toBe(3);
    expect(() => s.transition(ROLE_NONE)).toThrow(/Leader -> None/);
  });
});

describe("Partition as a follower (node 1)", () => {
  let dir: string;
  let time: ManualTime;
  let p: Partition;

  beforeEach(async () => {
    await initCompression();
    dir = makeTmpDir("samsa-follower-");
    time = new ManualTime();
    p = new Partition("t", 0, "AAAAAAAAAAAAAAAAAAAAAQ", openTestLog(dir, time), SETTINGS, 1, time);
  });
  afterEach(() => {
    p.log.close();
    removeDir(dir);
  });

  it("makeFollower asks for a fetcher (re)start only for a new leader or leader epoch, and ignores stale partition epochs", () => {
    expect(p.role).toEqual({ kind: "None" });
    expect(p.makeFollower(0, 3, 5, [0, 1, 2], [0, 1, 2])).toBe(true);
    expect(p.role).toEqual({ kind: "Follower", leaderId: 0 });
    expect([p.leaderId, p.leaderEpoch, p.partitionEpoch, p.isLeader, p.isFollower]).toEqual([0, 3, 5, false, true]);
    expect(p.isr).toEqual([]); // the ISR is the leader's business
    expect(p.makeFollower(0, 3, 6, [0, 1, 2], [0, 1])).toBe(false); // an ISR change: keep fetching
    expect(p.makeFollower(2, 3, 4, [0, 1, 2], [2])).toBe(false); // older than what we have: ignored
    expect(p.leaderId).toBe(0);
    expect(p.makeFollower(0, 4, 7, [0, 1, 2], [0, 1])).toBe(true); // a new epoch on the same leader
    expect(p.makeFollower(2, 5, 8, [0, 1, 2], [1, 2])).toBe(true); // a new leader
    expect(p.leaderId).toBe(2);
    p.makeLeader(6, 9, [0, 1, 2], [1, 2]);
    expect(p.role).toEqual({ kind: "Leader" });
    expect(p.makeFollower(2, 7, 10, [0, 1, 2], [2])).toBe(true);
    p.resign(-1, 8, 11);
    expect(p.role).toEqual({ kind: "Offline" });
    expect(p.leaderId).toBe(-1);
  });

  it("appends the leader's batches unchanged (offsets, epochs, compression, CRCs) and learns their epochs", () => {
    p.makeFollower(0, 2, 2, [0, 1], [0, 1]);
    const a = leaderBatch(0, 0, ["a", "b"]);
    const b = leaderBatch(2, 2, ["c", "d", "e"], { compression: GZIP });
    expect(p.appendRecordsAsFollower(Buffer.concat([a, b]))).toEqual({ firstOffset: 0, lastOffset: 4, bytes: a.length + b.length });
    const stored = p.log.read(0, 1 << 20, p.log.logEndOffset, true).records;
    expect(stored.equals(Buffer.concat([a, b]))).toBe(true);
    expect([...iterateBatches(stored)].map((x) => [Number(x.header!.baseOffset), x.header!.partitionLeaderEpoch])).toEqual([[0, 0], [2, 2]]);
    expect(p.log.latestEpoch()).toBe(2);
    expect(p.log.endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 2 });
    // The follower's high watermark is the leader's, never past its own log end.
    expect(p.updateFollowerHighWatermark(3)).toBe(3);
    expect(p.updateFollowerHighWatermark(99)).toBe(5);
  });

  it("refuses corrupt batches and batches below its log end, keeps a trailing partial batch for the next fetch, and appends nothing unless following", () => {
    const a = leaderBatch(0, 0, ["a"]);
    expect(() => p.appendRecordsAsFollower(a)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    p.makeFollower(0, 0, 0, [0, 1], [0, 1]);
    const bad = Buffer.from(leaderBatch(0, 0, ["x"]));
    bad[bad.length - 1]! ^= 0xff;
    expect(() => p.appendRecordsAsFollower(bad)).toThrow(expect.objectContaining({ code: ErrorCode.CORRUPT_MESSAGE }));
    expect(p.log.logEndOffset).toBe(0);
    const b = leaderBatch(1, 0, ["b", "c"]);
    expect(p.appendRecordsAsFollower(Buffer.concat([a, b.subarray(0, b.length - 3)]))).toMatchObject({ firstOffset: 0, lastOffset: 0 });
    expect(p.log.logEndOffset).toBe(1);
    expect(() => p.appendRecordsAsFollower(a)).toThrow(/below the log end/);
    p.appendRecordsAsFollower(b);
    expect(p.log.logEndOffset).toBe(3);
  });

  it("forgets the producer state of a truncated tail, and keeps that of what remains", () => {
    const pid = { id: 7n, seq: 0 };
    p.makeFollower(0, 0, 0, [0, 1], [0, 1]);
    p.appendRecordsAsFollower(leaderBatch(0, 0, ["a", "b"], { producer: pid }));
    p.appendRecordsAsFollower(leaderBatch(2, 0, ["c"], { producer: { id: 7n, seq: 2 } }));
    p.truncateTo(2);
    p.makeLeader(1, 1, [0, 1], [1]);
    // seq 0-1 stayed: a retry is a duplicate; seq 2 was truncated: its retry is appended again.
    expect(p.appendRecordsToLeader(clientBatch(["a", "b"], pid), 1)).toMatchObject({ baseOffset: 0 });
    expect(p.appendRecordsToLeader(clientBatch(["c"], { id: 7n, seq: 2 }), 1)).toMatchObject({ baseOffset: 2 });
    expect(p.log.logEndOffset).toBe(3);
    expect(() => p.truncateTo(0)).toThrow(expect.objectContaining({ code: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
  });
});

describe("Partition as leader answering lastFetchedEpoch (Fetch v12+ divergence)", () => {
  let dir: string;
  let time: ManualTime;
  let p: Partition;

  beforeEach(() => {
    dir = makeTmpDir("samsa-diverge-");
    time = new ManualTime();
    p = new Partition("t", 0, "AAAAAAAAAAAAAAAAAAAAAQ", openTestLog(dir, time), SETTINGS, 0, time);
    // Epoch 1 holds offsets 0-2, epoch 3 holds 3-4; this node leads in epoch 3.
    p.makeFollower(9, 1, 1, [0, 9], [9]);
    p.appendRecordsAsFollower(leaderBatch(0, 1, ["a", "b", "c"]));
    p.makeLeader(3, 3, [0, 9], [0]);
    p.appendRecordsToLeader(encodeRecordBatch({ baseTimestamp: 0n, records: [0, 1].map((i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from("x"), headers: [] })) }), 1);
  });
  afterEach(() => {
    p.log.close();
    removeDir(dir);
  });

  it("answers the end of the fetcher's last epoch when its log goes further, and nothing when the logs agree", () => {
    expect(p.divergingEpoch(-1, 7, 3)).toBeUndefined(); // not sent
    expect(p.divergingEpoch(1, 3, 3)).toBeUndefined(); // epoch 1 ends at 3 here too
    expect(p.divergingEpoch(3, 5, 3)).toBeUndefined();
    expect(p.divergingEpoch(1, 4, 3)).toEqual({ epoch: 1, endOffset: 3 }); // a tail of epoch 1 we do not have
    expect(p.divergingEpoch(2, 4, 3)).toEqual({ epoch: 1, endOffset: 3 }); // epoch 2 never led here
    expect(() => p.divergingEpoch(1, 3, 2)).toThrow(expect.objectContaining({ code: ErrorCode.FENCED_LEADER_EPOCH }));
    expect(() => p.divergingEpoch(4, 5, 3)).toThrow(expect.objectContaining({ code: ErrorCode.OFFSET_OUT_OF_RANGE })); // unknown epoch
    p.deleteRecordsBefore(-1);
    expect(() => p.divergingEpoch(3, 2, 3)).toThrow(expect.objectContaining({ code: ErrorCode.OFFSET_OUT_OF_RANGE })); // below log start
  });
});
