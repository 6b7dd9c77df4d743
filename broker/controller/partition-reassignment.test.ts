import { describe, expect, it } from "vitest";
import { NO_LEADER_CHANGE, type PartitionRegistration } from "./metadata-image.ts";
import { BOOTSTRAP_METADATA_VERSION } from "./metadata-version.ts";
import { PartitionChangeBuilder } from "./partition-change-builder.ts";
import { completedReassignment, reassignmentReplicas, revertedReassignment } from "./partition-reassignment.ts";
import { randomUuid } from "./uuid.ts";

const DIR = randomUuid();
const NEW_DIR = randomUuid();

function moving(replicas: number[], isr: number[], adding: number[], removing: number[], leader: number): PartitionRegistration {
  return { replicas, directories: replicas.map(() => DIR), isr, addingReplicas: adding, removingReplicas: removing, leader, leaderRecoveryState: 0, leaderEpoch: 3, partitionEpoch: 8, elr: null, lastKnownElr: null };
}

describe("reassignment replica sets (Kafka's PartitionReassignmentReplicas and Revert)", () => {
  it("puts the target first and keeps the removing replicas after it", () => {
    expect(reassignmentReplicas([0, 1], [1, 2])).toEqual({ replicas: [1, 2, 0], adding: [2], removing: [0] });
    expect(reassignmentReplicas([0, 1, 2], [2, 1, 0])).toEqual({ replicas: [2, 1, 0], adding: [], removing: [] });
  });

  it("completes only with every target replica in the ISR, and never into an empty ISR", () => {
    const sets = reassignmentReplicas([0, 1], [1, 2]);
    expect(completedReassignment(sets, [0, 1])).toBeNull();
    expect(completedReassignment(sets, [0, 1, 2])).toEqual({ replicas: [1, 2], isr: [1, 2] });
    expect(completedReassignment(reassignmentReplicas([0], [1]), [0])).toBeNull();
    expect(completedReassignment({ replicas: [0], adding: [], removing: [] }, [0])).toBeNull();
  });

  it("reverts to the replicas and ISR without the adding ones", () => {
    expect(revertedReassignment(moving([1, 2, 0], [0, 1, 2], [2], [0], 0))).toEqual({ replicas: [1, 0], isr: [0, 1], unclean: false });
    expect(revertedReassignment(moving([1, 2, 3], [2], [2, 3], [], 2))).toEqual({ replicas: [1], isr: [], unclean: true });
  });
});

describe("PartitionChangeBuilder with a reassignment", () => {
  const all = () => true;
  const build = (p: PartitionRegistration, f: (b: PartitionChangeBuilder) => PartitionChangeBuilder) =>
    f(new PartitionChangeBuilder(p, "T", 0, all, BOOTSTRAP_METADATA_VERSION).setDefaultDirProvider(() => NEW_DIR)).build()?.data as Record<string, unknown> | undefined;

  it("starts one: new replicas get their broker's default directory, the leader epoch stays", () => {
    const d = build(moving([0, 1], [0, 1], [], [], 0), (b) => b.setTargetReplicas([1, 2, 0]).setTargetAdding([2]).setTargetRemoving([0]));
    expect(d).toMatchObject({ replicas: [1, 2, 0], addingReplicas: [2], removingReplicas: [0], directories: [DIR, NEW_DIR, DIR], leader: NO_LEADER_CHANGE, isr: null });
  });

  it("completes one from an ISR change: the removed leader gives way to the first target replica in sync", () => {
    const d = build(moving([1, 2, 0], [0, 1], [2], [0], 0), (b) => b.setTargetIsr([0, 1, 2]));
    expect(d).toMatchObject({ replicas: [1, 2], isr: [1, 2], addingReplicas: [], removingReplicas: [], leader: 1, directories: [DIR, DIR] });
  });

  it("bumps the leader epoch (leader unchanged) when a replica leaves", () => {
    const d = build(moving([0, 1, 2], [0, 1, 2], [], [], 0), (b) => b.setTargetReplicas([0, 2, 1]).setTargetRemoving([1, 2]).setTargetIsr([0, 1, 2]));
    // Removing [1, 2] with 0 in sync completes at once: only 0 is left, and 0 leads in a new epoch.
    expect(d).toMatchObject({ replicas: [0], isr: [0], leader: 0, addingReplicas: null, removingReplicas: null });
  });
});
