import { describe, expect, it } from "vitest";
import type { StateChangeEvent } from "../../events/state-change.ts";
import { MemoryQuorumStateStore } from "../quorum/quorum-state.ts";
import { RaftQuorumState, RaftRole } from "../quorum/raft-quorum-state.ts";
import { quorumStateObserver } from "./quorum-states.ts";

function grantVote(q: RaftQuorumState, voter: number): void {
  const s = q.current;
  if (s.role !== RaftRole.Prospective && s.role !== RaftRole.Candidate) throw new Error(`no election in ${s.role}`);
  s.votes.granted.add(voter);
}

describe("the quorum's state changes (machine controller)", () => {
  it("reports each transition of a voter with its epoch, the leader it knows and why", () => {
    const events: Omit<StateChangeEvent, "node" | "at">[] = [];
    const q = new RaftQuorumState(1, [0, 1, 2], new MemoryQuorumStateStore(), quorumStateObserver((e) => events.push(e)));
    q.initialize(0);
    q.transitionToFollower(1, 0);
    q.transitionToUnattached(1); // the leader resigned (EndQuorumEpoch)
    q.transitionToProspective();
    grantVote(q, 0);
    q.transitionToCandidate();
    grantVote(q, 2);
    q.transitionToLeader();
    expect(events.map((e) => [e.machine, e.subject, e.from, e.to, e.epoch, e.details.leaderId, e.cause])).toEqual([
      ["controller", "1", "None", "Unattached", 0, -1, "started without a known leader"],
      ["controller", "1", "Unattached", "Follower", 1, 0, "following leader 0 in epoch 1"],
      ["controller", "1", "Follower", "Unattached", 1, -1, "leader 0 resigned epoch 1"],
      ["controller", "1", "Unattached", "Prospective", 1, -1, "election timeout; asking for pre-votes"],
      ["controller", "1", "Prospective", "Candidate", 2, -1, "standing for election in epoch 2"],
      ["controller", "1", "Candidate", "Leader", 2, 1, "won the election for epoch 2"],
    ]);
  });
});
