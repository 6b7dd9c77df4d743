import { defaultPartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import { NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from "./metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "./metadata-record-serde.ts";

/**
 * The one place partition changes are made (Kafka's PartitionChangeBuilder): fencing,
 * unfencing, ISR changes and, later, elections and reassignment say what they want (a new
 * ISR, which brokers may lead) and the builder applies the election rule and emits a
 * PartitionChangeRecord with only the fields that change, or nothing when nothing does.
 */
export class PartitionChangeBuilder {
  private targetIsr: readonly number[];

  constructor(
    private readonly partition: PartitionRegistration,
    private readonly topicId: string,
    private readonly partitionId: number,
    /** Whether a broker may lead now (active, not shutting down, or the one being unfenced). */
    private readonly isAcceptableLeader: (brokerId: number) => boolean,
    private readonly recordVersion: number,
  ) {
    this.targetIsr = partition.isr;
  }

  setTargetIsr(isr: readonly number[]): this {
    this.targetIsr = isr;
    return this;
  }

  /**
   * The leader after the change: the current one while it stays in the ISR and may lead;
   * otherwise the first replica in preferred order that is in the ISR and may lead; otherwise
   * none (the partition goes offline).
   */
  private electLeader(): number {
    const current = this.partition.leader;
    if (current !== NO_LEADER && this.targetIsr.includes(current) && this.isAcceptableLeader(current)) return current;
    return this.partition.replicas.find((r) => this.targetIsr.includes(r) && this.isAcceptableLeader(r)) ?? NO_LEADER;
  }

  /** The record that makes the change, or null when the partition would stay as it is. */
  build(): MetadataRecord | null {
    const leader = this.electLeader();
    const isrChanged = !sameMembers(this.targetIsr, this.partition.isr);
    if (!isrChanged && leader === this.partition.leader) return null;
    return metadataRecord(
      "PartitionChangeRecord",
      {
        ...defaultPartitionChangeRecord(),
        topicId: this.topicId,
        partitionId: this.partitionId,
        leader: leader === this.partition.leader ? NO_LEADER_CHANGE : leader,
        isr: isrChanged ? [...this.targetIsr] : null,
      },
      this.recordVersion,
    );
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
