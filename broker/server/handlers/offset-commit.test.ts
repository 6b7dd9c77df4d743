import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/errors.ts";
import type { OffsetCommitRequest } from "../../protocol/generated/message/OffsetCommitRequest.ts";
import { decodedRecords } from "../../coordinator/test-support.ts";
import { call, testServices } from "./groups-test-support.ts";
import { offsetCommitHandler } from "./offset-commit.ts";
import { offsetDeleteHandler } from "./offset-delete.ts";
import { offsetFetchHandler } from "./offset-fetch.ts";

function commitReq(o: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return {
    groupId: "g",
    generationIdOrMemberEpoch: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [
      {
        name: "orders",
        partitions: [
          { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 4, commitTimestamp: -1n, committedMetadata: "m0" },
          { partitionIndex: 7, committedOffset: 11n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null },
        ],
      },
      { name: "missing", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] },
    ],
    ...o,
  };
}

const fetchReq = (topics: { name: string; partitionIndexes: number[] }[] | null) => ({ groupId: "g", topics, groups: [], requireStable: false });

describe("offset handlers", () => {
  it("OffsetCommit: unknown topics and partitions refused, the rest stored, at every version", async () => {
    for (const version of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const t = await testServices();
      const r = await call(offsetCommitHandler(t.services), 8, version, commitReq());
      expect(r.topics).toEqual([
        { name: "orders", partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
        { name: "missing", partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ]);
      const f = await call(offsetFetchHandler(t.services), 9, Math.max(1, Math.min(version, 7)), fetchReq([{ name: "orders", partitionIndexes: [0, 1] }]));
      expect(f.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 10n, metadata: "m0", errorCode: 0 });
      expect(f.topics[0]!.partitions[1]).toMatchObject({ partitionIndex: 1, committedOffset: -1n, metadata: "", errorCode: 0 });
    }
  });

  it("OffsetCommit: v1 commit timestamp, v2-4 retention time, v6+ leader epoch", async () => {
    const t = await testServices();
    const handler = offsetCommitHandler(t.services);
    const one = (o: Partial<OffsetCommitRequest["topics"][number]["partitions"][number]>) => [
      { name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: "", ...o }] },
    ];
    await call(handler, 8, 1, commitReq({ topics: one({ commitTimestamp: 123n }) }));
    expect(decodedRecords(t.offsetsTopic).at(-1)!.value).toMatchObject({ commitTimestamp: 123, expireTimestamp: null });
    await call(handler, 8, 3, commitReq({ retentionTimeMs: 60_000n, topics: one({}) }));
    expect(decodedRecords(t.offsetsTopic).at(-1)!.value).toMatchObject({ commitTimestamp: 1_000_000, expireTimestamp: 1_060_000 });
    await call(handler, 8, 6, commitReq({ topics: one({ committedLeaderEpoch: 9 }) }));
    const f = await call(offsetFetchHandler(t.services), 9, 5, fetchReq(null));
    expect(f.topics[0]!.partitions[0]).toMatchObject({ committedOffset: 5n, committedLeaderEpoch: 9 });
  });

  it("OffsetFetch: all partitions for null topics, group errors by version, several groups in v8+", async () => {
    const t = await testServices({ offsetsTopicNumPartitions: 2 });
    const commit = offsetCommitHandler(t.services);
    const groupHere = ["a", "b", "c", "d"].find((g) => t.coordinator.partitionFor(g) === 0)!;
    const groupElsewhere = ["a", "b", "c", "d"].find((g) => t.coordinator.partitionFor(g) === 1)!;
    t.coordinator.onResign(1);
    await call(commit, 8, 8, commitReq({ groupId: groupHere }));
    const fetch = offsetFetchHandler(t.services);
    const all = await call(fetch, 9, 6, { ...fetchReq(null), groupId: groupHere });
    expect(all.topics).toEqual([{ name: "orders", partitions: [{ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 4, metadata: "m0", errorCode: 0 }] }]);
    // v0-1 have no top-level error: it goes on every requested partition.
    const v1 = await call(fetch, 9, 1, { ...fetchReq([{ name: "orders", partitionIndexes: [0, 1] }]), groupId: groupElsewhere });
    expect(v1.topics[0]!.partitions.map((p) => [p.errorCode, p.committedOffset])).toEqual([
      [ErrorCode.NOT_COORDINATOR, -1n],
      [ErrorCode.NOT_COORDINATOR, -1n],
    ]);
    const v2 = await call(fetch, 9, 2, { ...fetchReq([{ name: "orders", partitionIndexes: [0] }]), groupId: groupElsewhere });
    expect(v2).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR, topics: [] });
    const v8 = await call(fetch, 9, 8, {
      groupId: "",
      topics: [],
      requireStable: true,
      groups: [
        { groupId: groupHere, memberId: null, memberEpoch: -1, topics: [{ name: "orders", partitionIndexes: [0, 2] }] },
        { groupId: groupElsewhere, memberId: null, memberEpoch: -1, topics: null },
        { groupId: "", memberId: null, memberEpoch: -1, topics: null },
      ],
    });
    expect(v8.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((x) => x.partitions.map((p) => p.committedOffset))])).toEqual([
      [groupHere, 0, [10n, -1n]],
      [groupElsewhere, ErrorCode.NOT_COORDINATOR, []],
      ["", ErrorCode.NONE, []],
    ]);
  });

  it("OffsetDelete: unknown topics per partition, group errors for the whole answer", async () => {
    const t = await testServices();
    await call(offsetCommitHandler(t.services), 8, 8, commitReq());
    const del = offsetDeleteHandler(t.services);
    const r = await call(del, 47, 0, {
      groupId: "g",
      topics: [
        { name: "orders", partitions: [{ partitionIndex: 0 }, { partitionIndex: 9 }] },
        { name: "missing", partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect(r).toEqual({
      errorCode: 0,
      throttleTimeMs: 0,
      topics: [
        { name: "orders", partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
        { name: "missing", partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    });
    expect((await call(del, 47, 0, { groupId: "nope", topics: [{ name: "orders", partitions: [{ partitionIndex: 0 }] }] }))).toEqual({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, throttleTimeMs: 0, topics: [] });
  });
});
