import { describe, expect, it } from "vitest";
import { NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from "./metadata-image.ts";
import { PartitionChangeBuilder } from "./partition-change-builder.ts";
import { randomUuid, ZERO_UUID } from "./uuid.ts";

const TOPIC = randomUuid();

function registration(replicas: number[], isr: number[], leader: number): PartitionRegistration {
  return {
    replicas,
    directories: replicas.map(() => ZERO_UUID),
    isr,
    removingReplicas: [],
    addingReplicas: [],
    leader,
    leaderRecoveryState: 0,
    leaderEpoch: 4,
    partitionEpoch: 9,
    elr: null,
    lastKnownElr: null,
  };
}

const change = (p: PartitionRegistration, acceptable: (id: number) => boolean, isr?: number[]) => {
  const b = new PartitionChangeBuilder(p, TOPIC, 3, acceptable, 0);
  if (isr) b.setTargetIsr(isr);
  return b.build()?.data as { topicId: string; partitionId: number; leader: number; isr: number[] | null } | undefined;
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
});
