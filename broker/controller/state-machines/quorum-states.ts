import type { StateChangeSink } from "../../events/state-change.ts";
import { RaftRole, type EpochState, type QuorumTransition } from "../quorum/raft-quorum-state.ts";

/** Who this state says leads the epoch, -1 when nobody is known. */
function leaderIn(nodeId: number, s: EpochState): number {
  if (s.role === RaftRole.Leader || s.role === RaftRole.Resigned) return nodeId;
  if (s.role === RaftRole.Follower) return s.leaderId;
  return -1;
}

/** In an operator's words, why a node is in its new quorum state. */
function causeOf(nodeId: number, from: EpochState | null, to: EpochState): string {
  switch (to.role) {
    case RaftRole.Unattached:
      if (from === null) return "started without a known leader";
      if (from.epoch === to.epoch && from.role === RaftRole.Follower) return `leader ${from.leaderId} resigned epoch ${to.epoch}`;
      return to.votedId !== null && to.votedId !== nodeId ? `voted for node ${to.votedId} in epoch ${to.epoch}` : `learned of epoch ${to.epoch}`;
    case RaftRole.Prospective:
      return from?.role === RaftRole.Follower ? `lost contact with leader ${from.leaderId}; asking for pre-votes` : "election timeout; asking for pre-votes";
    case RaftRole.Candidate:
      return `standing for election in epoch ${to.epoch}`;
    case RaftRole.Leader:
      return `won the election for epoch ${to.epoch}`;
    case RaftRole.Follower:
      return `following leader ${to.leaderId} in epoch ${to.epoch}`;
    case RaftRole.Resigned:
      return to.preferredSuccessors.length > 0 ? `resigned; preferred successors ${to.preferredSuccessors.join(", ")}` : "resigned";
  }
}

/**
 * The metadata quorum's state machine on `__state_changes` (machine "controller"): each
 * node's Raft state (Kafka's quorum state names), its epoch and the leader it knows.
 */
export function quorumStateObserver(sink: StateChangeSink): (t: QuorumTransition) => void {
  return (t) =>
    sink({
      machine: "controller",
      subject: String(t.nodeId),
      from: t.from?.role ?? "None",
      to: t.to.role,
      cause: causeOf(t.nodeId, t.from, t.to),
      details: { leaderId: leaderIn(t.nodeId, t.to), epoch: t.to.epoch },
      epoch: t.to.epoch,
    });
}
