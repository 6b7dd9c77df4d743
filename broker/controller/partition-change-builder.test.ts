import { describe, expect, it } from "vitest";
import { LeaderRecoveryState, NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from "./metadata-image.ts";
import { BOOTSTRAP_METADATA_VERSION, MetadataVersion } from "./metadata-version.ts";
import { type Election, PartitionChangeBuilder } from "./partition-change-builder.ts";
import { randomUuid, ZERO_UUID } from "./uuid.ts";

const TOPIC = randomUuid();

function registration(replicas: number[], isr: number[], leader: number, leaderRecoveryState: number = LeaderRecoveryState.RECOVERED): PartitionRegistration {
  return {
    replicas,
    directories: replicas.map(() => ZERO_UUID),
    isr,
    removingReplicas: [],
    addingReplicas: [],
    leader,
    leaderRecoveryState,
    leaderEpoch: 4,
    partitionEpoch: 9,
    elr: null,
    lastKnownElr: null,
  };
}

type Change = { topicId: string; partitionId: number; leader: number; isr: number[] | null; leaderRecoveryState: number };

const change = (
  p: PartitionRegistration,
  acceptable: (id: number) => boolean,
  isr?: number[],
  o: { election?: Election; recovery?: number; metadataVersion?: number } = {},
) => {
  const b = new PartitionChangeBuilder(p, TOPIC, 3, acceptable, o.metadataVersion ?? BOOTSTRAP_METADATA_VERSION);
  if (isr) b.setTargetIsr(isr);
  if (o.election) b.setElection(o.election);
  if (o.recovery !== undefined) b.setTargetLeaderRecoveryState(o.recovery);
  return b.build()?.data as Change | undefined;
};

describe("PartitionChangeBuilder", () => {
  const all = () => true;

  it("emits nothing when neither the ISR nor the leader changes", () => {
    expect(change(registration([1, 2, 3], [1, 2, 3], 1), all)).toBeUndefined();
    expect(change(registration([1, 2, 3], [1, 2, 3], 1), all, [1, 2, 3])).toBeUndefined();
  });

  it("keeps a leader that stays in the ISR and writes only the ISR", () => {
    expect(change(registration([1, 2, 3], [1, 2, 3], 1), all, [1, 3])).toMatchObject({ topicId: TOPIC, partitionId: 3, leader: NO_LEADER_CHANGE, isr: [1, 3] });
  });

  it("elects the first replica in preferred order that is in the ISR and may lead", () => {
    // Leader 1 leaves; 2 is fenced; 3 is next in replica order among the ISR.
    expect(change(registration([1, 2, 3], [1, 2, 3], 1), (id) => id === 3, [2, 3])).toMatchObject({ leader: 3, isr: [2, 3] });
    // A leader that may no longer lead is replaced even if the ISR stays.
    expect(change(registration([2, 1, 3], [1, 2, 3], 1), (id) => id !== 1)).toMatchObject({ leader: 2, isr: null });
  });

  it("leaves the partition without a leader when no ISR member may lead, and elects again when one can", () => {
    const offline = change(registration([1, 2], [1], 1), (id) => id === 2);
    expect(offline).toMatchObject({ leader: NO_LEADER, isr: null });
    expect(change(registration([1, 2], [1], NO_LEADER), (id) => id === 1)).toMatchObject({ leader: 1, isr: null });
    expect(change(registration([1, 2], [1], NO_LEADER), (id) => id === 2)).toBeUndefined();
  });

  it("without unclean election leaves a partition whose ISR has no live member offline, whatever other replicas live", () => {
    // Replicas [1, 2, 3]; 1, the last ISR member, is gone; 2 and 3 are alive but out of sync.
    const lost = registration([1, 2, 3], [1], 1);
    expect(change(lost, (id) => id !== 1)).toMatchObject({ leader: NO_LEADER, isr: null, leaderRecoveryState: LeaderRecoveryState.NO_CHANGE });
    expect(change(lost, (id) => id !== 1, undefined, { election: "online" })).toMatchObject({ leader: NO_LEADER });
  });

  it("an unclean election takes the first live replica in replica order, makes it the whole ISR and marks it RECOVERING", () => {
    const lost = registration([3, 1, 2], [1], NO_LEADER);
    expect(change(lost, (id) => id !== 1 && id !== 3, undefined, { election: "unclean" })).toEqual(
      expect.objectContaining({ leader: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.RECOVERING }),
    );
    expect(change(registration([3, 1, 2], [1], 1), (id) => id !== 1, undefined, { election: "unclean" })).toMatchObject({ leader: 3, isr: [3] });
    // Nobody may lead: nothing changes, unclean or not.
    expect(change(lost, () => false, undefined, { election: "unclean" })).toBeUndefined();
  });

  it("an unclean election prefers the ISR: a live ISR member is elected cleanly", () => {
    expect(change(registration([1, 2, 3], [1, 3], 1), (id) => id !== 1, [3], { election: "unclean" })).toMatchObject({
      leader: 3,
      isr: [3],
      leaderRecoveryState: LeaderRecoveryState.NO_CHANGE,
    });
  });

  it("before metadata.version 3.2-IV0 an unclean leader is not marked RECOVERING (no leader recovery state yet)", () => {
    const old = change(registration([1, 2], [1], NO_LEADER), (id) => id === 2, undefined, { election: "unclean", metadataVersion: MetadataVersion.IBP_3_0_IV1 });
    expect(old).toMatchObject({ leader: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.NO_CHANGE });
  });

  it("the leader's RECOVERED report alone makes a record with only the recovery state", () => {
    const recovering = registration([2, 1], [2], 2, LeaderRecoveryState.RECOVERING);
    expect(change(recovering, () => true, [2], { recovery: LeaderRecoveryState.RECOVERED })).toMatchObject({
      leader: NO_LEADER_CHANGE,
      isr: null,
      leaderRecoveryState: LeaderRecoveryState.RECOVERED,
    });
    expect(change(recovering, () => true, [2], { recovery: LeaderRecoveryState.RECOVERING })).toBeUndefined();
  });
});
