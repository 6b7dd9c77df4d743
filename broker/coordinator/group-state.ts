/**
 * The classic group's state machine: Kafka's five states and the transitions Kafka allows
 * (ClassicGroupState / GroupMetadata.scala `validPreviousStates`). A transition outside the
 * table is a coordinator bug, so it throws instead of being answered with an error code.
 */
export const GroupState = {
  Empty: "Empty",
  PreparingRebalance: "PreparingRebalance",
  CompletingRebalance: "CompletingRebalance",
  Stable: "Stable",
  Dead: "Dead",
} as const;

export type GroupStateName = (typeof GroupState)[keyof typeof GroupState];

export const ALL_GROUP_STATES: readonly GroupStateName[] = Object.values(GroupState);

/** For each target state, the states a group may be in before moving there. */
export const VALID_PREVIOUS_STATES: Readonly<Record<GroupStateName, readonly GroupStateName[]>> = {
  // Some members joined by the timeout → CompletingRebalance; all left → Empty; unloaded → Dead.
  PreparingRebalance: [GroupState.Stable, GroupState.CompletingRebalance, GroupState.Empty],
  // Awaiting the leader's assignment.
  CompletingRebalance: [GroupState.PreparingRebalance],
  // The leader's assignment was stored.
  Stable: [GroupState.CompletingRebalance],
  // Final: the group was deleted, expired or unloaded. Kafka allows Dead → Dead.
  Dead: [GroupState.Stable, GroupState.PreparingRebalance, GroupState.CompletingRebalance, GroupState.Empty, GroupState.Dead],
  // A rebalance ended with no members.
  Empty: [GroupState.PreparingRebalance],
};

/** What the state-change log shows of the group at a transition. */
export interface GroupStateDetails {
  generation: number;
  protocolType: string | null;
  protocol: string | null;
  leader: string | null;
  members: number;
}

export interface GroupStateChange {
  group: string;
  from: GroupStateName;
  to: GroupStateName;
  cause: string;
  details: GroupStateDetails;
}

/** Receives every transition (the broker forwards them to `__state_changes`). */
export type GroupStateListener = (e: GroupStateChange) => void;

export class IllegalGroupStateTransition extends Error {
  override readonly name = "IllegalGroupStateTransition";
}

export class GroupStateMachine {
  private current: GroupStateName;
  private since: number | null;

  constructor(
    readonly groupId: string,
    initial: GroupStateName,
    private readonly now: () => number,
    private readonly details: () => GroupStateDetails,
    private readonly listener: GroupStateListener,
    /** Where a throwing listener is reported; a listener must never break the coordinator. */
    private readonly onListenerError: (err: unknown) => void = () => {},
  ) {
    this.current = initial;
    this.since = now();
  }

  get state(): GroupStateName {
    return this.current;
  }

  /**
   * When the group entered its current state (GroupMetadataValue's currentStateTimestamp);
   * null for a group loaded from a record that predates the field (value v0/v1).
   */
  get stateTimestamp(): number | null {
    return this.since;
  }

  /** Restores the timestamp persisted with the group (loading from `__consumer_offsets`). */
  restoreStateTimestamp(at: number | null): void {
    this.since = at;
  }

  is(state: GroupStateName): boolean {
    return this.current === state;
  }

  canTransitionTo(to: GroupStateName): boolean {
    return VALID_PREVIOUS_STATES[to].includes(this.current);
  }

  transitionTo(to: GroupStateName, cause: string): void {
    if (!this.canTransitionTo(to)) {
      throw new IllegalGroupStateTransition(
        `group ${this.groupId} should be in one of ${VALID_PREVIOUS_STATES[to].join(",")} before moving to ${to}; it is ${this.current}`,
      );
    }
    const from = this.current;
    this.current = to;
    this.since = this.now();
    try {
      this.listener({ group: this.groupId, from, to, cause, details: this.details() });
    } catch (err) {
      this.onListenerError(err);
    }
  }
}
