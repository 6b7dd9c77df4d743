import { defaultPartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import { LeaderRecoveryState, NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from "./metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "./metadata-record-serde.ts";
import { isLeaderRecoverySupported, partitionChangeRecordVersion } from "./metadata-version.ts";

/**
 * Kafka's PartitionChangeBuilder.Election: `online` elects only from the ISR; `unclean`
 * (the topic's unclean.leader.election.enable) may, when no ISR member can lead, elect any
 * live replica, losing what only the ISR had.
 */
export type Election = "online" | "unclean";

/**
 * The one place partition changes are made (Kafka's PartitionChangeBuilder): fencing,
 * unfencing, ISR changes, unclean elections and, later, reassignment say what they want (a
 * new ISR, which brokers may lead, which election) and the builder applies the election rule
 * and emits a PartitionChangeRecord with only the fields that change, or nothing when
 * nothing does.
 */
export class PartitionChangeBuilder {
  private targetIsr: readonly number[];
  private election: Election = "online";
  private targetLeaderRecoveryState: number;

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
    this.targetLeaderRecoveryState = partition.leaderRecoveryState;
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
   * The leader after the change (Kafka's electAnyLeader): the current one while it stays in
   * the ISR and may lead; otherwise the first replica in preferred order that is in the ISR
   * and may lead; otherwise, in an unclean election, the first replica in preferred order
   * that may lead; otherwise none (the partition goes offline).
   */
  private electLeader(): { leader: number; unclean: boolean } {
    const current = this.partition.leader;
    if (current !== NO_LEADER && this.targetIsr.includes(current) && this.isAcceptableLeader(current)) return { leader: current, unclean: false };
    const clean = this.partition.replicas.find((r) => this.targetIsr.includes(r) && this.isAcceptableLeader(r));
    if (clean !== undefined) return { leader: clean, unclean: false };
    const unclean = this.election === "unclean" ? this.partition.replicas.find((r) => this.isAcceptableLeader(r)) : undefined;
    return unclean !== undefined ? { leader: unclean, unclean: true } : { leader: NO_LEADER, unclean: false };
  }

  /** The record that makes the change, or null when the partition would stay as it is. */
  build(): MetadataRecord | null {
    const { leader, unclean } = this.electLeader();
    const leaderChanged = leader !== this.partition.leader;
    let isr = this.targetIsr;
    let recovery = this.targetLeaderRecoveryState;
    if (leaderChanged && unclean) {
      // The new leader's log is the partition now: it alone is in sync, and it is marked as
      // recovering from the election (KIP-704) until it reports RECOVERED.
      isr = [leader];
      if (isLeaderRecoverySupported(this.metadataVersion)) recovery = LeaderRecoveryState.RECOVERING;
    }
    const isrChanged = !sameMembers(isr, this.partition.isr);
    const recoveryChanged = recovery !== this.partition.leaderRecoveryState;
    if (!isrChanged && !leaderChanged && !recoveryChanged) return null;
    return metadataRecord(
      "PartitionChangeRecord",
      {
        ...defaultPartitionChangeRecord(),
        topicId: this.topicId,
        partitionId: this.partitionId,
        leader: leaderChanged ? leader : NO_LEADER_CHANGE,
        isr: isrChanged ? [...isr] : null,
        leaderRecoveryState: recoveryChanged ? recovery : LeaderRecoveryState.NO_CHANGE,
      },
      partitionChangeRecordVersion(this.metadataVersion),
    );
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
