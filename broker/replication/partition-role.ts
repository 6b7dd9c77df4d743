/**
 * A partition replica's role on this node (Kafka keeps it implicit in Partition's
 * leaderReplicaIdOpt; here it is an explicit state):
 * - `None`: hosted, but no leadership decision applied yet (a replica just created);
 * - `Leader`: this node leads; it appends produce requests and serves followers;
 * - `Follower(leaderId)`: another broker leads; a replica fetcher copies its log;
 * - `Offline`: the partition has no leader (-1), nobody appends or fetches.
 */
export type PartitionRole =
  | { readonly kind: "None" }
  | { readonly kind: "Leader" }
  | { readonly kind: "Follower"; readonly leaderId: number }
  | { readonly kind: "Offline" };

export type PartitionRoleKind = PartitionRole["kind"];

/** Every role may be entered from every role but `None`, which is only the initial one. */
const LEGAL: Record<PartitionRoleKind, readonly PartitionRoleKind[]> = {
  None: ["Leader", "Follower", "Offline"],
  Leader: ["Leader", "Follower", "Offline"],
  Follower: ["Leader", "Follower", "Offline"],
  Offline: ["Leader", "Follower", "Offline"],
};

export const ROLE_NONE: PartitionRole = { kind: "None" };
export const ROLE_LEADER: PartitionRole = { kind: "Leader" };
export const ROLE_OFFLINE: PartitionRole = { kind: "Offline" };
export const roleFollower = (leaderId: number): PartitionRole => {
  if (leaderId < 0) throw new Error(`a follower needs a leader, not ${leaderId}`);
  return { kind: "Follower", leaderId };
};

/**
 * The role of one partition replica and its only way to change: `transition`, which refuses
 * illegal moves (back to `None`) so a bug shows up where it happens.
 */
export class PartitionRoleState {
  private current: PartitionRole = ROLE_NONE;

  get role(): PartitionRole {
    return this.current;
  }

  /** The leader as this role knows it: `localId` when leading, -1 when unknown or offline. */
  leaderId(localId: number): number {
    switch (this.current.kind) {
      case "Leader":
        return localId;
      case "Follower":
        return this.current.leaderId;
      default:
        return -1;
    }
  }

  transition(to: PartitionRole): PartitionRole {
    if (!LEGAL[this.current.kind].includes(to.kind)) {
      throw new Error(`illegal partition role transition ${this.current.kind} -> ${to.kind}`);
    }
    const from = this.current;
    this.current = to;
    return from;
  }
}
