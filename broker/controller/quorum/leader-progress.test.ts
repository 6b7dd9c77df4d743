import { describe, expect, it } from "vitest";
import { LeaderProgress } from "./leader-progress.ts";

describe("LeaderProgress", () => {
  it("commits nothing until a majority holds the leader's own LeaderChange record, then the majority offset", () => {
    // Leader 1 of epoch 4 over voters 1, 2, 3; its LeaderChange record sits at offset 10.
    const p = new LeaderProgress(1, 4, [1, 2, 3], 10n, 0);
    expect(p.updateLocalEndOffset(11n, 0)).toBe(false); // only the leader has offset 10
    expect(p.updateReplica(2, 10n, 11n, 5)).toBe(false); // older entries on a majority are not enough
    expect(p.highWatermark()).toBeNull();
    expect(p.updateReplica(2, 11n, 11n, 6)).toBe(true);
    expect(p.highWatermark()).toBe(11n);
    expect(p.updateLocalEndOffset(20n, 7)).toBe(false);
    expect(p.updateReplica(3, 15n, 20n, 8)).toBe(true);
    expect(p.highWatermark()).toBe(15n); // 20, 15, 11: the middle one is on two of three
    // A follower that truncated reports less; the high watermark never goes back.
    expect(p.updateReplica(3, 12n, 20n, 9)).toBe(false);
    expect(p.highWatermark()).toBe(15n);
  });

  it("does not count observers toward the majority", () => {
    const p = new LeaderProgress(1, 2, [1, 2, 3], 0n, 0);
    p.updateLocalEndOffset(5n, 0);
    expect(p.updateReplica(100, 5n, 5n, 1)).toBe(false);
    expect(p.updateReplica(101, 5n, 5n, 1)).toBe(false);
    expect(p.highWatermark()).toBeNull();
    expect(p.describe().observers.map((o) => o.nodeId)).toEqual([100, 101]);
  });

  it("reports each replica's log end, last fetch and last caught-up time as DescribeQuorum does", () => {
    const p = new LeaderProgress(1, 2, [1, 2, 3], 0n, 0);
    p.updateLocalEndOffset(10n, 100);
    p.updateReplica(2, 10n, 10n, 200); // caught up at 200
    p.updateReplica(3, 4n, 10n, 210); // behind
    p.updateLocalEndOffset(15n, 250);
    // Node 3 now fetches from 10: it has what the leader had at its previous fetch (210).
    p.updateReplica(3, 10n, 15n, 300);
    const d = p.describe();
    expect(d).toMatchObject({ leaderId: 1, leaderEpoch: 2, highWatermark: 10n });
    expect(d.voters.map((v) => [v.nodeId, v.logEndOffset, v.lastFetchTimestamp, v.lastCaughtUpTimestamp])).toEqual([
      [1, 15n, 250, 250],
      [2, 10n, 200, 200],
      [3, 10n, 300, 210],
    ]);
    expect(p.preferredSuccessors()).toEqual([2, 3]);
  });

  it("loses the quorum when a majority of voters has not fetched within the timeout", () => {
    const p = new LeaderProgress(1, 2, [1, 2, 3, 4, 5], 0n, 0);
    expect(p.lostQuorum(1000, 3000)).toBe(false); // too early to tell
    p.updateReplica(2, 0n, 1n, 2000);
    expect(p.lostQuorum(3500, 3000)).toBe(true); // itself and node 2: 2 of 5
    p.updateReplica(3, 0n, 1n, 3400);
    expect(p.lostQuorum(3500, 3000)).toBe(false);
    expect(p.votersNotFetchedSince(2500)).toEqual([2, 4, 5]);
  });
});
