import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileQuorumStateStore, MemoryQuorumStateStore, type QuorumState, type QuorumStateStore } from "./quorum-state.ts";
import { IllegalQuorumTransition, RaftQuorumState, RaftRole } from "./raft-quorum-state.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fileStore(): { store: FileQuorumStateStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "samsa-raft-state-"));
  dirs.push(dir);
  return { store: new FileQuorumStateStore(dir), dir };
}

function voter(id = 1, voters = [1, 2, 3], store: QuorumStateStore = new MemoryQuorumStateStore(), logEndEpoch = -1) {
  const q = new RaftQuorumState(id, voters, store);
  q.initialize(logEndEpoch);
  return { q, store };
}

/** Drives a voter through pre-vote and vote to leadership. */
function elect(q: RaftQuorumState, grants: number[]): void {
  q.transitionToProspective();
  const pre = q.current;
  if (pre.role !== RaftRole.Prospective) throw new Error("not prospective");
  for (const g of grants) pre.votes.granted.add(g);
  q.transitionToCandidate();
  const c = q.current;
  if (c.role !== RaftRole.Candidate) throw new Error("not candidate");
  for (const g of grants) c.votes.granted.add(g);
  q.transitionToLeader();
}

describe("RaftQuorumState", () => {
  it("starts Unattached in epoch 0 with no file, and in the log's epoch when the file is behind it", () => {
    expect(voter().q.current).toEqual({ role: RaftRole.Unattached, epoch: 0, votedId: null });
    const store = new MemoryQuorumStateStore();
    store.write({ leaderId: 2, leaderEpoch: 3, votedId: 2, currentVoters: [1, 2, 3] });
    expect(voter(1, [1, 2, 3], store, 5).q.current).toEqual({ role: RaftRole.Unattached, epoch: 5, votedId: null });
  });

  it("goes Unattached → Prospective → Candidate → Leader, bumping the epoch only as a candidate, persisting before each step is visible", () => {
    const store = new MemoryQuorumStateStore();
    const durableAtTransition: { role: string; durable: QuorumState | null }[] = [];
    const q = new RaftQuorumState(1, [1, 2, 3], store, (t) => durableAtTransition.push({ role: t.to.role, durable: store.read() }));
    q.initialize(-1);
    q.transitionToProspective();
    expect(q.epoch).toBe(0);
    const pre = q.current;
    if (pre.role !== RaftRole.Prospective) throw new Error("not prospective");
    expect(() => q.transitionToCandidate()).toThrow(IllegalQuorumTransition);
    pre.votes.granted.add(2);
    q.transitionToCandidate();
    expect(q.epoch).toBe(1);
    expect(() => q.transitionToLeader()).toThrow(IllegalQuorumTransition);
    const c = q.current;
    if (c.role !== RaftRole.Candidate) throw new Error("not candidate");
    c.votes.granted.add(3);
    q.transitionToLeader();
    expect(q.leaderId).toBe(1);
    expect(durableAtTransition).toEqual([
      { role: RaftRole.Unattached, durable: { leaderId: -1, leaderEpoch: 0, votedId: -1, currentVoters: [1, 2, 3] } },
      { role: RaftRole.Prospective, durable: { leaderId: -1, leaderEpoch: 0, votedId: -1, currentVoters: [1, 2, 3] } },
      { role: RaftRole.Candidate, durable: { leaderId: -1, leaderEpoch: 1, votedId: 1, currentVoters: [1, 2, 3] } },
      { role: RaftRole.Leader, durable: { leaderId: 1, leaderEpoch: 1, votedId: 1, currentVoters: [1, 2, 3] } },
    ]);
  });

  it("votes once per epoch and remembers the vote across a restart", () => {
    const store = new MemoryQuorumStateStore();
    const { q } = voter(1, [1, 2, 3], store);
    q.transitionToUnattached(4, 2);
    expect(store.read()).toEqual({ leaderId: -1, leaderEpoch: 4, votedId: 2, currentVoters: [1, 2, 3] });
    expect(() => q.transitionToUnattached(4, 3)).toThrow(/a vote for 3 in epoch 4/);
    q.transitionToUnattached(4, 2); // the same vote again (a retried request) is fine
    const restarted = voter(1, [1, 2, 3], store).q;
    expect(restarted.current).toEqual({ role: RaftRole.Unattached, epoch: 4, votedId: 2 });
    expect(() => restarted.transitionToUnattached(4, 3)).toThrow(IllegalQuorumTransition);
    // A later epoch is a fresh vote.
    restarted.transitionToUnattached(5, 3);
    expect(restarted.votedId).toBe(3);
  });

  it("keeps a candidate's vote for itself when its election fails in the same epoch", () => {
    const { q } = voter();
    q.transitionToProspective();
    const pre = q.current;
    if (pre.role !== RaftRole.Prospective) throw new Error();
    pre.votes.granted.add(2);
    q.transitionToCandidate();
    q.transitionToProspective(); // lost: pre-vote again in epoch 1
    q.transitionToUnattached(1);
    expect(q.current).toEqual({ role: RaftRole.Unattached, epoch: 1, votedId: 1 });
    expect(() => q.transitionToUnattached(1, 2)).toThrow(IllegalQuorumTransition);
  });

  it("refuses transitions Raft forbids", () => {
    const { q } = voter();
    q.transitionToFollower(3, 2);
    expect(() => q.transitionToFollower(3, 3)).toThrow(/Follower of 3 in epoch 3/); // a second leader in one epoch
    expect(() => q.transitionToFollower(2, 2)).toThrow(IllegalQuorumTransition); // an older epoch
    expect(() => q.transitionToFollower(4, 1)).toThrow(/itself/);
    expect(() => q.transitionToFollower(4, 9)).toThrow(/non-voter/);
    expect(() => q.transitionToLeader()).toThrow(IllegalQuorumTransition);
    expect(() => q.transitionToResigned([])).toThrow(IllegalQuorumTransition);
    expect(() => q.transitionToCandidate()).toThrow(IllegalQuorumTransition);
    expect(() => q.transitionToUnattached(2)).toThrow(IllegalQuorumTransition);
    expect(() => q.transitionToUnattached(4, 1)).toThrow(/itself/);
  });

  it("lets a leader only resign or step down to a later epoch, and restarts a leader as Resigned", () => {
    const store = new MemoryQuorumStateStore();
    const { q } = voter(1, [1, 2, 3], store);
    elect(q, [2]);
    expect(() => q.transitionToProspective()).toThrow(IllegalQuorumTransition);
    expect(() => q.transitionToFollower(1, 2)).toThrow(IllegalQuorumTransition);
    expect(() => q.transitionToUnattached(1)).toThrow(IllegalQuorumTransition);
    q.transitionToResigned([3, 2]);
    expect(q.current).toEqual({ role: RaftRole.Resigned, epoch: 1, preferredSuccessors: [3, 2] });
    expect(q.leaderId).toBe(1);
    const restarted = voter(1, [1, 2, 3], store).q;
    expect(restarted.current).toEqual({ role: RaftRole.Resigned, epoch: 1, preferredSuccessors: [] });
    restarted.transitionToProspective();
    expect(restarted.votedId).toBe(1);
  });

  it("keeps observers to Unattached and Follower", () => {
    const { q } = voter(7);
    expect(q.isVoter).toBe(false);
    expect(() => q.transitionToProspective()).toThrow(/not a voter/);
    q.transitionToFollower(2, 3);
    q.transitionToUnattached(2); // lost its leader
    q.transitionToFollower(2, 3);
    expect(q.current).toEqual({ role: RaftRole.Follower, epoch: 2, leaderId: 3, votedId: null });
  });

  it("writes Kafka's quorum-state JSON through the file store", () => {
    const { store, dir } = fileStore();
    const { q } = voter(1, [1, 2, 3], store);
    q.transitionToFollower(6, 3);
    const json = JSON.parse(readFileSync(join(dir, "quorum-state"), "utf8")) as Record<string, unknown>;
    expect(json).toMatchObject({ leaderId: 3, leaderEpoch: 6, votedId: -1, data_version: 0, currentVoters: [{ voterId: 1 }, { voterId: 2 }, { voterId: 3 }] });
    expect(voter(1, [1, 2, 3], new FileQuorumStateStore(dir)).q.current).toEqual({ role: RaftRole.Follower, epoch: 6, leaderId: 3, votedId: null });
  });
});
