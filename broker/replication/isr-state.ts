import { IllegalStateTransition } from "../controller/state-machines/state-machine.ts";
import { LeaderRecoveryState } from "../controller/metadata-image.ts";

/**
 * A leader's view of its partition's ISR (Kafka's PartitionState): either the ISR the
 * controller committed (Committed), or that ISR with one change proposed through
 * AlterPartition and not answered yet (PendingExpand: one follower being added;
 * PendingShrink: followers being removed). While a change is pending no other is proposed.
 *
 * The "maximal" ISR is what the high watermark and acks=-1 wait for: the committed ISR plus
 * a follower being added (assuming the expansion succeeds only makes the high watermark
 * stricter), but never minus the followers being removed (assuming a shrink succeeds could
 * commit a record on fewer replicas than the controller knows as in sync).
 *
 * Legal transitions:
 *   Committed → PendingExpand | PendingShrink   (a proposal is sent)
 *   Pending*  → Committed                       (an answer or newer metadata commits an ISR,
 *                                                or the controller refused without applying)
 *   any       → Committed                       (metadata: new leadership, or the ISR as the
 *                                                image has it)
 * Instances are immutable: a proposal's callback compares identities to know whether the
 * state it answered is still the current one.
 */
export type IsrStateKind = "Committed" | "PendingExpand" | "PendingShrink";

export class IsrState {
  private constructor(
    readonly kind: IsrStateKind,
    /** The committed ISR (as last committed by the controller). */
    readonly isr: readonly number[],
    readonly leaderRecoveryState: number,
    /** PendingExpand: the follower being added. */
    readonly adding: number | null,
    /** PendingShrink: the followers being removed. */
    readonly removing: readonly number[],
    /** A pending state's committed state, to return to when the controller refuses it. */
    private readonly committed: IsrState | null,
  ) {}

  static committed(isr: readonly number[], leaderRecoveryState: number = LeaderRecoveryState.RECOVERED): IsrState {
    return new IsrState("Committed", [...isr], leaderRecoveryState, null, [], null);
  }

  /** An AlterPartition request is waiting for its answer. */
  get isInflight(): boolean {
    return this.kind !== "Committed";
  }

  /** The committed ISR plus a follower being added (for the high watermark and acks=-1). */
  get maximalIsr(): readonly number[] {
    return this.adding === null ? this.isr : [...this.isr, this.adding];
  }

  /** The ISR a pending state proposes to the controller. */
  get proposedIsr(): readonly number[] {
    if (this.kind === "PendingExpand") return [...this.isr, this.adding!];
    if (this.kind === "PendingShrink") return this.isr.filter((r) => !this.removing.includes(r));
    return this.isr;
  }

  /** Proposes adding `brokerId` (Kafka's prepareIsrExpand). */
  expand(brokerId: number): IsrState {
    this.requireCommitted(`expand with ${brokerId}`);
    if (this.isr.includes(brokerId)) throw new IllegalStateTransition(`ISR expansion: ${brokerId} is already in the ISR [${this.isr.join(",")}]`);
    return new IsrState("PendingExpand", this.isr, this.leaderRecoveryState, brokerId, [], this);
  }

  /** Proposes removing `brokerIds` (Kafka's prepareIsrShrink). */
  shrink(brokerIds: readonly number[]): IsrState {
    this.requireCommitted(`shrink without ${brokerIds.join(",")}`);
    if (brokerIds.length === 0 || brokerIds.some((r) => !this.isr.includes(r))) {
      throw new IllegalStateTransition(`ISR shrink: [${brokerIds.join(",")}] is not a non-empty part of the ISR [${this.isr.join(",")}]`);
    }
    return new IsrState("PendingShrink", this.isr, this.leaderRecoveryState, null, [...brokerIds], this);
  }

  /** The controller refused the pending change without applying it: back to what it was. */
  revert(): IsrState {
    if (this.committed === null) throw new IllegalStateTransition("no ISR change is pending to revert");
    return this.committed;
  }

  private requireCommitted(what: string): void {
    if (this.kind !== "Committed") {
      throw new IllegalStateTransition(`illegal ISR transition ${this.kind} -> ${what}: a change is already in flight`);
    }
  }

  toString(): string {
    if (this.kind === "PendingExpand") return `PendingExpandIsr(adding=${this.adding}, isr=[${this.isr.join(",")}])`;
    if (this.kind === "PendingShrink") return `PendingShrinkIsr(removing=[${this.removing.join(",")}], isr=[${this.isr.join(",")}])`;
    return `CommittedPartitionState(isr=[${this.isr.join(",")}])`;
  }
}
