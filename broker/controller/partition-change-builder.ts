import { defaultPartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import { LeaderRecoveryState, NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from "./metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "./metadata-record-serde.ts";
import { isDirectoryAssignmentSupported, isLeaderRecoverySupported, partitionChangeRecordVersion } from "./metadata-version.ts";
import { completedReassignment } from "./partition-reassignment.ts";
import { DirectoryId, type UuidString } from "./uuid.ts";

/**
 * Kafka's PartitionChangeBuilder.Election: `online` elects only from the ISR; `preferred`
 * too, but moves the lead to the first replica when it is in the ISR and may lead;
 * `unclean` (the topic's unclean.leader.election.enable) may, when no ISR member can lead,
 * elect any live replica, losing what only the ISR had.
 */
export type Election = "online" | "preferred" | "unclean";

/**
 * The one place partition changes are made (Kafka's PartitionChangeBuilder): fencing,
 * unfencing, ISR changes, unclean elections and reassignment say what they want (a new ISR,
 * new replica sets, which brokers may lead, which election) and the builder completes a
 * reassignment whose target replicas are all in the ISR, applies the election rule and emits
 * a PartitionChangeRecord with only the fields that change, or nothing when nothing does.
 */
export class PartitionChangeBuilder {
  private targetIsr: readonly number[];
  private targetReplicas: readonly number[];
  private targetAdding: readonly number[];
  private targetRemoving: readonly number[];
  private election: Election = "online";
  private targetLeaderRecoveryState: number;
  /** Where a replica new to the partition lives (Kafka's DefaultDirProvider). */
  private defaultDir: (brokerId: number) => UuidString = () => DirectoryId.UNASSIGNED;

  constructor(
    private readonly partition: PartitionRegistration,
    private readonly topicId: string,
    private readonly partitionId: number,
    /** Whether a broker may lead now (active, not shutting down, or the one being unfenced). */
    private readonly isAcceptableLeader: (brokerId: number) => boolean,
    /** The cluster's metadata.version level: record versions and leader recovery support. */
    private readonly metadataVersion: number,
  ) {
    this.targetIsr = partition.isr;
    this.targetReplicas = partition.replicas;
    this.targetAdding = partition.addingReplicas;
    this.targetRemoving = partition.removingReplicas;
    this.targetLeaderRecoveryState = partition.leaderRecoveryState;
  }

  /** The replica list after the change, preferred leader first (a reassignment's target + removing). */
  setTargetReplicas(replicas: readonly number[]): this {
    this.targetReplicas = replicas;
    return this;
  }

  setTargetAdding(adding: readonly number[]): this {
    this.targetAdding = adding;
    return this;
  }

  setTargetRemoving(removing: readonly number[]): this {
    this.targetRemoving = removing;
    return this;
  }

  setDefaultDirProvider(defaultDir: (brokerId: number) => UuidString): this {
    this.defaultDir = defaultDir;
    return this;
  }

  setTargetIsr(isr: readonly number[]): this {
    this.targetIsr = isr;
    return this;
  }

  setElection(election: Election): this {
    this.election = election;
    return this;
  }

  /** The leader's recovery state as it reports it (AlterPartition: RECOVERED once recovered). */
  setTargetLeaderRecoveryState(state: number): this {
    this.targetLeaderRecoveryState = state;
    return this;
  }

  /**
   * The leader after the change (Kafka's electPreferredLeader, then electAnyLeader): in a
   * preferred election the first replica when it is in the ISR and may lead; the current
   * one while it stays in the ISR and may lead; otherwise the first replica in preferred
   * order that is in the ISR and may lead; otherwise, in an unclean election, the first
   * replica in preferred order that may lead; otherwise none (the partition goes offline).
   * Replicas are the target ones (Kafka's targetReplicas): a replica a reassignment
   * completes or a cancel drops never leads.
   */
  private electLeader(): { leader: number; unclean: boolean } {
    const current = this.partition.leader;
    const preferred = this.targetReplicas[0];
    if (this.election === "preferred" && preferred !== undefined && this.isValidLeader(preferred)) return { leader: preferred, unclean: false };
    if (current !== NO_LEADER && this.isValidLeader(current)) return { leader: current, unclean: false };
    const clean = this.targetReplicas.find((r) => this.isValidLeader(r));
    if (clean !== undefined) return { leader: clean, unclean: false };
    const unclean = this.election === "unclean" ? this.targetReplicas.find((r) => this.isAcceptableLeader(r)) : undefined;
    return unclean !== undefined ? { leader: unclean, unclean: true } : { leader: NO_LEADER, unclean: false };
  }

  /** In the target ISR and acceptable as leader (Kafka's isValidNewLeader, without ELR). */
  private isValidLeader(replica: number): boolean {
    return this.targetIsr.includes(replica) && this.isAcceptableLeader(replica);
  }

  /** The record that makes the change, or null when the partition would stay as it is. */
  build(): MetadataRecord | null {
    this.completeReassignmentIfNeeded();
    const { leader, unclean } = this.electLeader();
    // A replica leaving the partition must stop following this leader: a new leader epoch
    // fences its fetches (Kafka's triggerLeaderEpochBumpForReplicaReassignmentIfNeeded).
    const replicaLeft = this.partition.replicas.some((r) => !this.targetReplicas.includes(r));
    const leaderChanged = leader !== this.partition.leader || replicaLeft;
    let isr = this.targetIsr;
    let recovery = this.targetLeaderRecoveryState;
    if (leaderChanged && unclean) {
      // The new leader's log is the partition now: it alone is in sync, and it is marked as
      // recovering from the election (KIP-704) until it reports RECOVERED.
      isr = [leader];
      if (isLeaderRecoverySupported(this.metadataVersion)) recovery = LeaderRecoveryState.RECOVERING;
    }
    // An empty ISR is never written (Kafka without ELR): a reverted reassignment whose ISR
    // held only adding replicas, with no leader to elect, keeps the ISR it had.
    if (isr.length === 0) isr = this.partition.isr;
    const isrChanged = !sameMembers(isr, this.partition.isr);
    const recoveryChanged = recovery !== this.partition.leaderRecoveryState;
    const replicasChanged = !sameMembers(this.targetReplicas, this.partition.replicas);
    const addingChanged = !sameMembers(this.targetAdding, this.partition.addingReplicas);
    const removingChanged = !sameMembers(this.targetRemoving, this.partition.removingReplicas);
    if (!isrChanged && !leaderChanged && !recoveryChanged && !replicasChanged && !addingChanged && !removingChanged) return null;
    return metadataRecord(
      "PartitionChangeRecord",
      {
        ...defaultPartitionChangeRecord(),
        topicId: this.topicId,
        partitionId: this.partitionId,
        leader: leaderChanged ? leader : NO_LEADER_CHANGE,
        isr: isrChanged ? [...isr] : null,
        leaderRecoveryState: recoveryChanged ? recovery : LeaderRecoveryState.NO_CHANGE,
        replicas: replicasChanged ? [...this.targetReplicas] : null,
        directories: replicasChanged && isDirectoryAssignmentSupported(this.metadataVersion) ? this.targetDirectories() : null,
        addingReplicas: addingChanged ? [...this.targetAdding] : null,
        removingReplicas: removingChanged ? [...this.targetRemoving] : null,
      },
      partitionChangeRecordVersion(this.metadataVersion),
    );
  }

  /**
   * Kafka's completeReassignmentIfNeeded: once every target replica is in the ISR the
   * removing replicas leave the replica list and the ISR, and nothing is adding any more.
   */
  private completeReassignmentIfNeeded(): void {
    const done = completedReassignment({ replicas: [...this.targetReplicas], adding: [...this.targetAdding], removing: [...this.targetRemoving] }, this.targetIsr);
    if (!done) return;
    this.targetReplicas = done.replicas;
    this.targetIsr = done.isr;
    this.targetAdding = [];
    this.targetRemoving = [];
  }

  /** Each target replica's directory: where it lives now, or its broker's default for a new one. */
  private targetDirectories(): UuidString[] {
    return this.targetReplicas.map((r) => {
      const i = this.partition.replicas.indexOf(r);
      return i >= 0 ? (this.partition.directories[i] ?? DirectoryId.UNASSIGNED) : this.defaultDir(r);
    });
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
