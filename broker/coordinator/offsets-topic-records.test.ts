import { describe, expect, it } from "vitest";
import {
  decodeGroupMetadataValueRecord,
  decodeOffsetCommitValueRecord,
  decodeOffsetsTopicKey,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
} from "./offsets-topic-records.ts";

// Kafka's wire types, built by hand from the schemas (big-endian, int16-length strings,
// -1 for null strings, int32-length bytes and arrays).
const i16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const i32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const i64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return b;
};
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s, "utf8")]);
const nstr = (s: string | null) => (s === null ? i16(-1) : str(s));
const bytes = (b: Buffer) => Buffer.concat([i32(b.length), b]);

describe("__consumer_offsets record formats", () => {
  it("writes offset commit keys as Kafka does (key version 1)", () => {
    const expected = Buffer.concat([i16(1), str("my-group"), str("orders"), i32(3)]);
    expect(offsetCommitKey("my-group", "orders", 3)).toEqual(expected);
    expect(decodeOffsetsTopicKey(expected)).toEqual({ type: "offset", version: 1, group: "my-group", topic: "orders", partition: 3 });
    // Version 0 keys (older Kafka) have the same layout.
    expect(decodeOffsetsTopicKey(Buffer.concat([i16(0), str("g"), str("t"), i32(0)]))).toEqual({ type: "offset", version: 0, group: "g", topic: "t", partition: 0 });
  });

  it("writes group metadata keys as Kafka does (key version 2)", () => {
    const expected = Buffer.concat([i16(2), str("grüppe")]);
    expect(groupMetadataKey("grüppe")).toEqual(expected);
    expect(decodeOffsetsTopicKey(expected)).toEqual({ type: "group", version: 2, group: "grüppe" });
  });

  it("recognises other coordinators' keys as unknown", () => {
    // Version 3+ keys belong to the KIP-848 consumer group records.
    expect(decodeOffsetsTopicKey(Buffer.concat([i16(3), str("g")]))).toEqual({ type: "unknown", version: 3 });
  });

  it("writes offset commit values v3 as Kafka 3.x does", () => {
    const value = { offset: 1234n, leaderEpoch: 7, metadata: "meta", commitTimestamp: 1_700_000_000_123, expireTimestamp: null };
    const expected = Buffer.concat([i16(3), i64(1234n), i32(7), str("meta"), i64(1_700_000_000_123n)]);
    expect(offsetCommitValue(value)).toEqual(expected);
    expect(decodeOffsetCommitValueRecord(expected)).toEqual(value);
  });

  it("writes v1 (with the expire timestamp) for commits with a retention time", () => {
    const value = { offset: 5n, leaderEpoch: -1, metadata: "", commitTimestamp: 1000, expireTimestamp: 61_000 };
    const expected = Buffer.concat([i16(1), i64(5n), str(""), i64(1000n), i64(61_000n)]);
    expect(offsetCommitValue(value)).toEqual(expected);
    expect(decodeOffsetCommitValueRecord(expected)).toEqual(value);
  });

  it("reads offset commit values v0 and v2 written by older Kafka", () => {
    expect(decodeOffsetCommitValueRecord(Buffer.concat([i16(0), i64(9n), str("m"), i64(77n)]))).toEqual({
      offset: 9n,
      leaderEpoch: -1,
      metadata: "m",
      commitTimestamp: 77,
      expireTimestamp: null,
    });
    expect(decodeOffsetCommitValueRecord(Buffer.concat([i16(2), i64(9n), str("m"), i64(77n)])).offset).toBe(9n);
  });

  it("writes group metadata values v3 as Kafka 3.x does", () => {
    const subscription = Buffer.from([0, 1, 0, 0, 0, 1, 0, 6, 111, 114, 100, 101, 114, 115]);
    const assignment = Buffer.from([0, 1, 2, 3]);
    const value = {
      protocolType: "consumer",
      generation: 4,
      protocol: "range",
      leader: "c-1-abc",
      currentStateTimestamp: 1_700_000_000_000n,
      members: [
        { memberId: "c-1-abc", groupInstanceId: null, clientId: "c-1", clientHost: "/127.0.0.1", rebalanceTimeout: 300_000, sessionTimeout: 45_000, subscription, assignment },
        { memberId: "i-1-def", groupInstanceId: "i-1", clientId: "c-2", clientHost: "/10.0.0.2", rebalanceTimeout: 60_000, sessionTimeout: 10_000, subscription, assignment: Buffer.alloc(0) },
      ],
    };
    const member = (m: (typeof value.members)[number]) =>
      Buffer.concat([str(m.memberId), nstr(m.groupInstanceId), str(m.clientId), str(m.clientHost), i32(m.rebalanceTimeout), i32(m.sessionTimeout), bytes(m.subscription), bytes(m.assignment)]);
    const expected = Buffer.concat([
      i16(3),
      str("consumer"),
      i32(4),
      nstr("range"),
      nstr("c-1-abc"),
      i64(1_700_000_000_000n),
      i32(2),
      member(value.members[0]!),
      member(value.members[1]!),
    ]);
    expect(groupMetadataValue(value)).toEqual(expected);
    expect(decodeGroupMetadataValueRecord(expected)).toEqual({ version: 3, value });
  });

  it("writes an empty group's metadata with null protocol and leader", () => {
    const value = { protocolType: "consumer", generation: 9, protocol: null, leader: null, currentStateTimestamp: 123n, members: [] };
    const expected = Buffer.concat([i16(3), str("consumer"), i32(9), i16(-1), i16(-1), i64(123n), i32(0)]);
    expect(groupMetadataValue(value)).toEqual(expected);
    expect(decodeGroupMetadataValueRecord(expected).value).toEqual(value);
  });

  it("reads group metadata values v0 (no rebalance timeout, no state timestamp)", () => {
    const v0 = Buffer.concat([i16(0), str("consumer"), i32(1), nstr("range"), nstr("m"), i32(1), str("m"), str("c"), str("/h"), i32(10_000), bytes(Buffer.from([1])), bytes(Buffer.from([2]))]);
    const { version, value } = decodeGroupMetadataValueRecord(v0);
    expect(version).toBe(0);
    expect(value.currentStateTimestamp).toBe(-1n);
    expect(value.members[0]).toMatchObject({ memberId: "m", rebalanceTimeout: -1, sessionTimeout: 10_000, groupInstanceId: null });
  });
});
