import type { QuorumState, QuorumStateStore } from "./quorum-state.ts";

/**
 * A Raft replica's role in the metadata quorum and the epoch it holds it in (Kafka's
 * QuorumState and its EpochState subclasses, as of KIP-996's pre-vote):
 *
 * - Unattached: knows an epoch but no leader in it; may have voted in it.
 * - Prospective: a voter asking for pre-votes (would you vote for me in epoch + 1?) before
 *   it bumps the epoch, so a partitioned voter cannot disrupt a healthy leader.
 * - Candidate: a voter that bumped the epoch, voted for itself and asks for votes.
 * - Leader: won a majority; the only node that appends in its epoch.
 * - Follower: knows the epoch's leader and fetches from it.
 * - Resigned: a leader stepping down (EndQuorumEpoch sent); it no longer appends.
 *
 * Observers (non-voters) are only ever Unattached or Follower. Every transition checks its
 * legality and writes the election state (epoch, leader, vote) to the store before the new
 * state is visible, so a node never acts on a vote or an epoch it could forget in a crash.
 */
export const RaftRole = {
  Unattached: "Unattached",
  Prospective: "Prospective",
  Candidate: "Candidate",
  Leader: "Leader",
  Follower: "Follower",
  Resigned: "Resigned",
} as const;
export type RaftRoleName = (typeof RaftRole)[keyof typeof RaftRole];

/** Votes collected by a Prospective (pre-votes) or Candidate replica in its election. */
export interface VoteTally {
  granted: Set<number>;
  rejected: Set<number>;
}

export type EpochState =
  | { role: typeof RaftRole.Unattached; epoch: number; votedId: number | null }
  | { role: typeof RaftRole.Prospective; epoch: number; votedId: number | null; votes: VoteTally }
  | { role: typeof RaftRole.Candidate; epoch: number; votes: VoteTally }
  | { role: typeof RaftRole.Leader; epoch: number }
  | { role: typeof RaftRole.Follower; epoch: number; leaderId: number; votedId: number | null }
  | { role: typeof RaftRole.Resigned; epoch: number; preferredSuccessors: number[] };

export interface QuorumTransition {
  nodeId: number;
  from: EpochState | null;
  to: EpochState;
}

export class IllegalQuorumTransition extends Error {
  override readonly name = "IllegalQuorumTransition";
}

export class RaftQuorumState {
  private state: EpochState | null = null;
  private readonly voterSet: ReadonlySet<number>;

  constructor(
    readonly localId: number,
    readonly voters: readonly number[],
    private readonly store: QuorumStateStore,
    private readonly onTransition: (t: QuorumTransition) => void = () => {},
  ) {
    this.voterSet = new Set(voters);
  }

  get isVoter(): boolean {
    return this.voterSet.has(this.localId);
  }

  get current(): EpochState {
    if (this.state === null) throw new IllegalQuorumTransition("quorum state not initialized");
    return this.state;
  }

  get epoch(): number {
    return this.current.epoch;
  }

  get role(): RaftRoleName {
    return this.current.role;
  }

  /** The leader of the current epoch, if known. */
  get leaderId(): number | null {
    const s = this.current;
    if (s.role === RaftRole.Leader || s.role === RaftRole.Resigned) return this.localId;
    if (s.role === RaftRole.Follower) return s.leaderId;
    return null;
  }

  /** Whom this replica voted for in the current epoch (itself once it is a candidate). */
  get votedId(): number | null {
    const s = this.current;
    switch (s.role) {
      case RaftRole.Unattached:
      case RaftRole.Prospective:
      case RaftRole.Follower:
        return s.votedId;
      default:
        return this.localId;
    }
  }

  majority(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  /**
   * Loads the persisted election state (Kafka's QuorumState.initialize). A leader that
   * restarts resigns its epoch; a candidate that restarts goes back to pre-voting; a log
   * that knows a later epoch than the file (the file was lost) starts Unattached in it.
   */
  initialize(logEndEpoch: number): void {
    if (this.state !== null) throw new IllegalQuorumTransition("quorum state already initialized");
    const stored = this.store.read();
    const epoch = stored?.leaderEpoch ?? 0;
    const votedId = stored && stored.votedId >= 0 ? stored.votedId : null;
    const leaderId = stored && stored.leaderId >= 0 ? stored.leaderId : null;
    let initial: EpochState;
    if (stored === null || logEndEpoch > epoch) {
      initial = { role: RaftRole.Unattached, epoch: Math.max(epoch, logEndEpoch, 0), votedId: null };
    } else if (leaderId === this.localId && this.isVoter) {
      initial = { role: RaftRole.Resigned, epoch, preferredSuccessors: [] };
    } else if (leaderId !== null && leaderId !== this.localId) {
      initial = { role: RaftRole.Follower, epoch, leaderId, votedId };
    } else if (votedId === this.localId && this.isVoter) {
      initial = { role: RaftRole.Prospective, epoch, votedId, votes: newTally() };
    } else {
      initial = { role: RaftRole.Unattached, epoch, votedId };
    }
    this.enter(initial);
  }

  /**
   * No leader known in `epoch`. A higher epoch is legal from every state. The same epoch is
   * legal for a Prospective that lost its pre-vote, a Follower whose leader resigned or
   * vanished (the vote it cast is kept), and an Unattached replica casting its vote.
   */
  transitionToUnattached(epoch: number, vote: number | null = null): void {
    const s = this.current;
    if (vote === this.localId) this.illegal("Unattached voting for itself (a replica votes for itself only as a candidate)");
    if (epoch < s.epoch) this.illegal(`Unattached in epoch ${epoch}`);
    let votedId = vote;
    if (epoch === s.epoch) {
      const kept = this.votedId;
      const sameEpochLegal = s.role === RaftRole.Unattached || s.role === RaftRole.Prospective || s.role === RaftRole.Follower;
      if (!sameEpochLegal) this.illegal(`Unattached in the same epoch ${epoch}`);
      // Only an Unattached replica casts a vote in its epoch, and only one.
      if (vote !== null && (s.role !== RaftRole.Unattached || (kept !== null && kept !== vote))) this.illegal(`a vote for ${vote} in epoch ${epoch}`);
      votedId = vote ?? kept;
    }
    this.enter({ role: RaftRole.Unattached, epoch, votedId });
  }

  /** A voter starts a pre-vote in its current epoch. */
  transitionToProspective(): void {
    const s = this.current;
    this.requireVoter("Prospective");
    if (s.role === RaftRole.Leader || s.role === RaftRole.Prospective) this.illegal("Prospective");
    const votedId = s.role === RaftRole.Unattached || s.role === RaftRole.Follower ? s.votedId : this.localId;
    this.enter({ role: RaftRole.Prospective, epoch: s.epoch, votedId, votes: newTally([this.localId]) });
  }

  /** A voter whose pre-vote won bumps the epoch and votes for itself. */
  transitionToCandidate(): void {
    const s = this.current;
    this.requireVoter("Candidate");
    if (s.role !== RaftRole.Prospective) this.illegal("Candidate");
    if (s.votes.granted.size < this.majority()) this.illegal("Candidate without a majority of pre-votes");
    this.enter({ role: RaftRole.Candidate, epoch: s.epoch + 1, votes: newTally([this.localId]) });
  }

  transitionToLeader(): void {
    const s = this.current;
    this.requireVoter("Leader");
    if (s.role !== RaftRole.Candidate) this.illegal("Leader");
    if (s.votes.granted.size < this.majority()) this.illegal("Leader without a majority of votes");
    this.enter({ role: RaftRole.Leader, epoch: s.epoch });
  }

  /** `leaderId` leads `epoch`: a later epoch from any state, the same one only while no leader was known. */
  transitionToFollower(epoch: number, leaderId: number): void {
    const s = this.current;
    if (leaderId === this.localId) this.illegal(`Follower of itself in epoch ${epoch}`);
    if (!this.voterSet.has(leaderId)) this.illegal(`Follower of non-voter ${leaderId}`);
    if (epoch < s.epoch) this.illegal(`Follower in epoch ${epoch}`);
    const noLeaderYet = s.role === RaftRole.Unattached || s.role === RaftRole.Prospective || s.role === RaftRole.Candidate;
    if (epoch === s.epoch && !noLeaderYet) this.illegal(`Follower of ${leaderId} in epoch ${epoch}`);
    const votedId = epoch === s.epoch ? this.votedId : null;
    this.enter({ role: RaftRole.Follower, epoch, leaderId, votedId });
  }

  /** The leader steps down in its epoch, naming the voters it prefers as successors. */
  transitionToResigned(preferredSuccessors: number[]): void {
    const s = this.current;
    if (s.role !== RaftRole.Leader) this.illegal("Resigned");
    this.enter({ role: RaftRole.Resigned, epoch: s.epoch, preferredSuccessors });
  }

  private requireVoter(role: RaftRoleName): void {
    if (!this.isVoter) this.illegal(`${role}: node ${this.localId} is not a voter`);
  }

  private illegal(what: string): never {
    const s = this.state;
    throw new IllegalQuorumTransition(`node ${this.localId}: illegal transition from ${s ? `${s.role} in epoch ${s.epoch}` : "nothing"} to ${what}`);
  }

  /** Persists the election state of `next` (when it changed) before making it current. */
  private enter(next: EpochState): void {
    const from = this.state;
    const persisted = this.persistedForm(next);
    const before = from === null ? null : this.persistedForm(from);
    if (before === null || !sameQuorumState(before, persisted)) this.store.write(persisted);
    this.state = next;
    this.onTransition({ nodeId: this.localId, from, to: next });
  }

  private persistedForm(s: EpochState): QuorumState {
    const leaderId = s.role === RaftRole.Leader || s.role === RaftRole.Resigned ? this.localId : s.role === RaftRole.Follower ? s.leaderId : -1;
    let votedId: number | null;
    switch (s.role) {
      case RaftRole.Unattached:
      case RaftRole.Prospective:
      case RaftRole.Follower:
        votedId = s.votedId;
        break;
      default:
        votedId = this.localId;
    }
    return { leaderId, leaderEpoch: s.epoch, votedId: votedId ?? -1, currentVoters: [...this.voters] };
  }
}

function newTally(granted: number[] = []): VoteTally {
  return { granted: new Set(granted), rejected: new Set() };
}

function sameQuorumState(a: QuorumState, b: QuorumState): boolean {
  return a.leaderId === b.leaderId && a.leaderEpoch === b.leaderEpoch && a.votedId === b.votedId;
}
