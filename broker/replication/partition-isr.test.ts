import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IllegalStateTransition } from "../controller/state-machines/state-machine.ts";
import { ManualTime, makeTmpDir, openTestLog, removeDir } from "../log/test-support.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRecordBatch } from "../protocol/records/record-batch.ts";
import type { IsrChangeSubmitter, IsrProposal, IsrProposalOutcome } from "./alter-partition-manager.ts";
import { IsrState } from "./isr-state.ts";
import { Partition, type PartitionSettings } from "./partition.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";

const SETTINGS: PartitionSettings = TEST_PARTITION_SETTINGS;
const LAG_MS = 10_000;

const batch = (n: number) =>
  encodeRecordBatch({ baseTimestamp: 1_000_000n, records: Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`v${i}`), headers: [] })) });

/** Takes proposals as the AlterPartitionManager would, and lets the test answer them. */
class RecordingSubmitter implements IsrChangeSubmitter {
  readonly proposals: { proposal: IsrProposal; isCurrent: () => boolean; onDone: (o: IsrProposalOutcome) => void }[] = [];
  accepting = true;
  submit(proposal: IsrProposal, isCurrent: () => boolean, onDone: (o: IsrProposalOutcome) => void): boolean {
    if (!this.accepting) return false;
    this.proposals.push({ proposal, isCurrent, onDone });
    return true;
  }
  get last() {
    return this.proposals[this.proposals.length - 1]!;
  }
  isrs(): number[][] {
    return this.proposals.map((p) => p.proposal.newIsr.map((m) => m.brokerId));
  }
  /** The controller commits the last proposal: partition epoch + 1. */
  commitLast(): void {
    const { proposal, onDone } = this.last;
    onDone({
      kind: "committed",
      leaderId: 0,
      leaderEpoch: proposal.leaderEpoch,
      partitionEpoch: proposal.partitionEpoch + 1,
      isr: proposal.newIsr.map((m) => m.brokerId),
      leaderRecoveryState: 0,
    });
  }
}

describe("ISR shrink and expand on the leader (node 0 of replicas 0, 1, 2)", () => {
  let dir: string;
  let time: ManualTime;
  let p: Partition;
  let submitter: RecordingSubmitter;
  let eligible: Set<number>;
  let hwMoves: number;

  const lead = (leaderEpoch: number, partitionEpoch: number, isr: number[]) => p.makeLeader(leaderEpoch, partitionEpoch, [0, 1, 2], isr);
  const follow = (id: number, offset: number) => p.fetchFromFollower(id, offset, 0, 1 << 20, true, -1);

  beforeEach(() => {
    dir = makeTmpDir("samsa-partition-isr-");
    time = new ManualTime();
    submitter = new RecordingSubmitter();
    eligible = new Set([1, 2]);
    hwMoves = 0;
    p = new Partition("t", 0, "AAAAAAAAAAAAAAAAAAAAAQ", openTestLog(dir, time), SETTINGS, 0, time);
    p.enableIsrChanges({
      submitter,
      replicaLagTimeMaxMs: LAG_MS,
      localBrokerEpoch: () => 77n,
      isEligible: (id) => eligible.has(id),
      onHighWatermarkMoved: () => hwMoves++,
    });
  });
  afterEach(() => {
    p.log.close();
    removeDir(dir);
  });

  it("proposes removing a follower that lags more than replica.lag.time.max.ms, and not before", () => {
    lead(1, 4, [0, 1, 2]);
    p.appendRecordsToLeader(batch(3), 1);
    follow(1, 3);
    follow(2, 1);
    time.advance(LAG_MS);
    follow(1, 3); // 1 stays at the log end
    expect(p.maybeShrinkIsr()).toBe(false); // 2 was caught up (at the epoch start) exactly LAG_MS ago
    expect(submitter.proposals).toHaveLength(0);
    time.advance(1);
    expect(p.maybeShrinkIsr()).toBe(true);
    expect(submitter.isrs()).toEqual([[0, 1]]);
    expect(submitter.last.proposal).toMatchObject({ topic: "t", partition: 0, leaderEpoch: 1, partitionEpoch: 4, leaderRecoveryState: 0 });
    expect(submitter.last.proposal.newIsr).toEqual([
      { brokerId: 0, brokerEpoch: 77n },
      { brokerId: 1, brokerEpoch: -1n },
    ]);
    expect(p.isrChangeState.kind).toBe("PendingShrink");
    // Until the controller commits, 2 still counts: the high watermark stays at its offset.
    expect(p.highWatermark).toBe(1);
    expect(p.isr).toEqual([0, 1, 2]);

    submitter.commitLast();
    expect(p.isrChangeState.kind).toBe("Committed");
    expect(p.isr).toEqual([0, 1]);
    expect(p.partitionEpoch).toBe(5);
    expect(p.highWatermark).toBe(3); // the shrink let it move, and waiting requests are told
    expect(hwMoves).toBe(1);
  });

  it("never counts a follower at the leader's log end as lagging, however long since it fetched", () => {
    lead(1, 1, [0, 1, 2]);
    p.appendRecordsToLeader(batch(2), 1);
    follow(1, 2);
    follow(2, 2);
    time.advance(LAG_MS * 5);
    expect(p.maybeShrinkIsr()).toBe(false);
    p.appendRecordsToLeader(batch(1), 1);
    expect(p.outOfSyncReplicas(LAG_MS)).toEqual([1, 2]); // now behind, caught up long ago
  });

  it("keeps a proposal pending when late metadata only repeats the partition epoch it has (found by the replication simulation, seed 102)", () => {
    lead(1, 1, [0, 1]);
    p.appendRecordsToLeader(batch(5), 1);
    follow(1, 5);
    follow(2, 5); // caught up: proposes [0, 1, 2]
    expect(p.isrChangeState.kind).toBe("PendingExpand");
    lead(1, 1, [0, 1]); // a delayed metadata change in the same partition epoch (nothing new)
    expect(p.isrChangeState.kind).toBe("PendingExpand");
    submitter.commitLast(); // the controller's ISR is now [0, 1, 2]...
    expect(p.isr).toEqual([0, 1, 2]);
    p.appendRecordsToLeader(batch(2), 1);
    follow(1, 7);
    expect(p.highWatermark).toBe(5); // ...so the high watermark waits for 2 as well
  });

  it("proposes adding a follower only once it reaches both the high watermark and the leader epoch's start", () => {
    lead(1, 1, [0, 1]);
    p.appendRecordsToLeader(batch(5), 1);
    follow(1, 3);
    expect(p.highWatermark).toBe(3);
    lead(2, 2, [0, 1]); // a new leader epoch starting at offset 5
    follow(2, 2); // below the high watermark
    follow(2, 3); // at the high watermark, before the epoch start
    follow(2, 4);
    expect(submitter.proposals).toHaveLength(0);
    follow(2, 5);
    expect(submitter.isrs()).toEqual([[0, 1, 2]]);
    expect(submitter.last.proposal).toMatchObject({ leaderEpoch: 2, partitionEpoch: 2 });
    expect(p.isrChangeState).toMatchObject({ kind: "PendingExpand", adding: 2 });
    submitter.commitLast();
    expect(p.isr).toEqual([0, 1, 2]);
    expect(p.partitionEpoch).toBe(3);
  });

  it("does not propose a follower the metadata says is fenced or shutting down", () => {
    lead(1, 1, [0, 1]);
    eligible.delete(2);
    follow(2, 0);
    expect(submitter.proposals).toHaveLength(0);
    eligible.add(2);
    follow(2, 0);
    expect(submitter.isrs()).toEqual([[0, 1, 2]]);
  });

  it("makes no second proposal while one is in flight", () => {
    lead(1, 1, [0, 1]);
    p.appendRecordsToLeader(batch(2), 1);
    follow(2, 2); // caught up: expansion in flight
    expect(submitter.proposals).toHaveLength(1);
    time.advance(LAG_MS + 1); // 1 now lags...
    expect(p.maybeShrinkIsr()).toBe(false); // ...but nothing is proposed while the expansion waits
    follow(2, 2);
    expect(submitter.proposals).toHaveLength(1);
    submitter.commitLast();
    expect(p.maybeShrinkIsr()).toBe(true);
    expect(submitter.isrs()).toEqual([
      [0, 1, 2],
      [0, 2],
    ]);
  });

  it("counts a follower being added in the high watermark (the maximal ISR)", () => {
    lead(1, 1, [0, 1]);
    p.appendRecordsToLeader(batch(2), 1);
    follow(1, 2);
    expect(p.highWatermark).toBe(2);
    follow(2, 2); // joins: PendingExpand
    p.appendRecordsToLeader(batch(3), 1);
    follow(1, 5);
    expect(p.highWatermark).toBe(2); // 2 is still at offset 2 and already counts
    follow(2, 4);
    expect(p.highWatermark).toBe(4);
  });

  it("returns to the committed ISR when the controller refuses without applying (INELIGIBLE_REPLICA)", () => {
    lead(1, 1, [0, 1]);
    follow(2, 0);
    submitter.last.onDone({ kind: "failed", errorCode: ErrorCode.INELIGIBLE_REPLICA });
    expect(p.isrChangeState.kind).toBe("Committed");
    expect(p.isr).toEqual([0, 1]);
    follow(2, 0);
    expect(submitter.proposals).toHaveLength(2);
  });

  it("stays pending after a stale-epoch refusal until the metadata brings the partition's state", () => {
    lead(1, 1, [0, 1]);
    follow(2, 0);
    const first = submitter.last;
    first.onDone({ kind: "failed", errorCode: ErrorCode.INVALID_UPDATE_VERSION });
    expect(p.isrChangeState.kind).toBe("PendingExpand");
    follow(2, 0);
    expect(submitter.proposals).toHaveLength(1);
    lead(1, 3, [0, 1]); // the image: partition epoch 3
    expect(p.isrChangeState.kind).toBe("Committed");
    expect(first.isCurrent()).toBe(false);
    follow(2, 0);
    expect(submitter.proposals).toHaveLength(2);
    expect(submitter.last.proposal.partitionEpoch).toBe(3);
  });

  it("takes the newer of the answer and the metadata, by partition epoch", () => {
    lead(1, 1, [0, 1]);
    follow(2, 0);
    const pending = submitter.last;
    lead(1, 2, [0, 1, 2]); // the metadata overtook the answer
    pending.onDone({ kind: "committed", leaderId: 0, leaderEpoch: 1, partitionEpoch: 2, isr: [0, 1, 2], leaderRecoveryState: 0 });
    expect(p.isr).toEqual([0, 1, 2]);

    p.appendRecordsToLeader(batch(1), 1);
    time.advance(LAG_MS + 1);
    expect(p.maybeShrinkIsr()).toBe(true); // 1 and 2 never fetched the new record
    submitter.commitLast(); // partition epoch 3
    expect(p.isr).toEqual([0]);
    lead(1, 2, [0, 1, 2]); // an older image arriving late changes nothing
    expect(p.isr).toEqual([0]);
    expect(p.partitionEpoch).toBe(3);
  });

  it("ignores an answer for a leadership it no longer holds", () => {
    lead(1, 1, [0, 1]);
    follow(2, 0);
    const pending = submitter.last;
    p.resign(1, 2, 2);
    pending.onDone({ kind: "committed", leaderId: 0, leaderEpoch: 1, partitionEpoch: 2, isr: [0, 1, 2], leaderRecoveryState: 0 });
    expect(p.isr).toEqual([0, 1]);
    expect(pending.isCurrent()).toBe(false);
  });

  it("proposes nothing without enableIsrChanges (one replica per partition today)", () => {
    const plain = new Partition("u", 0, "AAAAAAAAAAAAAAAAAAAAAg", openTestLog(makeTmpDir("samsa-partition-isr-"), time), SETTINGS, 0, time);
    plain.makeLeader(1, 1, [0, 1, 2], [0, 1]);
    plain.fetchFromFollower(2, 0, 0, 1 << 20, true, -1);
    time.advance(LAG_MS * 2);
    expect(plain.maybeShrinkIsr()).toBe(false);
    expect(plain.isrChangeState.kind).toBe("Committed");
    removeDir(plain.log.dir);
    plain.log.close();
  });
});

describe("IsrState transitions", () => {
  it("Committed → PendingExpand/PendingShrink → Committed, with the maximal ISR of each", () => {
    const committed = IsrState.committed([0, 1]);
    expect(committed).toMatchObject({ kind: "Committed", isInflight: false, isr: [0, 1], maximalIsr: [0, 1] });
    const expanding = committed.expand(2);
    expect(expanding).toMatchObject({ kind: "PendingExpand", isInflight: true, isr: [0, 1], maximalIsr: [0, 1, 2], proposedIsr: [0, 1, 2] });
    expect(expanding.revert()).toBe(committed);
    const shrinking = committed.shrink([1]);
    expect(shrinking).toMatchObject({ kind: "PendingShrink", isr: [0, 1], maximalIsr: [0, 1], proposedIsr: [0] });
  });

  it("refuses a second change while one is pending, and changes that make no sense", () => {
    const committed = IsrState.committed([0, 1]);
    expect(() => committed.expand(2).shrink([1])).toThrow(IllegalStateTransition);
    expect(() => committed.shrink([1]).expand(2)).toThrow(IllegalStateTransition);
    expect(() => committed.expand(1)).toThrow(IllegalStateTransition);
    expect(() => committed.shrink([5])).toThrow(IllegalStateTransition);
    expect(() => committed.revert()).toThrow(IllegalStateTransition);
  });
});
