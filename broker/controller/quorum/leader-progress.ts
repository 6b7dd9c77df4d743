/**
 * What a Raft leader knows of every replica in its epoch (Kafka's LeaderState and its
 * ReplicaState): each voter's and observer's log end offset from its fetches, when it last
 * fetched and when it was last caught up, and from these the high watermark.
 *
 * Commit rule: the high watermark is the largest offset that a majority of voters (the
 * leader's flushed log included) have stored, and it moves only once that offset is past
 * the epoch's start offset, i.e. once the leader's own LeaderChange record is committed.
 * Before that the new leader cannot tell which of its older entries a majority holds, so it
 * exposes no high watermark of its own (Raft's rule: commit only entries of your own term,
 * older ones with them).
 */
export interface ReplicaProgress {
  nodeId: number;
  /** -1 until the replica fetched in this epoch. */
  logEndOffset: bigint;
  /** -1 until the replica fetched in this epoch. */
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
  /** The leader's log end offset at the replica's previous fetch (for the caught-up rule). */
  lastFetchLeaderLogEndOffset: bigint;
}

export interface QuorumDescription {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  voters: ReplicaProgress[];
  observers: ReplicaProgress[];
}

export class LeaderProgress {
  private readonly voterProgress = new Map<number, ReplicaProgress>();
  private readonly observerProgress = new Map<number, ReplicaProgress>();
  private hw: bigint | null = null;

  constructor(
    readonly localId: number,
    readonly epoch: number,
    readonly voters: readonly number[],
    /** The offset of the epoch's LeaderChange record. */
    readonly epochStartOffset: bigint,
    private readonly startedAt: number,
  ) {
    for (const id of voters) this.voterProgress.set(id, emptyProgress(id));
  }

  /** The quorum's high watermark as this leader knows it, or null before its first commit. */
  highWatermark(): bigint | null {
    return this.hw;
  }

  isVoter(nodeId: number): boolean {
    return this.voterProgress.has(nodeId);
  }

  /** The leader's own durable log end moved; returns whether the high watermark moved. */
  updateLocalEndOffset(logEndOffset: bigint, now: number): boolean {
    const self = this.voterProgress.get(this.localId);
    if (!self) throw new Error(`leader ${this.localId} is not a voter`);
    self.logEndOffset = logEndOffset;
    self.lastFetchTimestamp = now;
    self.lastCaughtUpTimestamp = now;
    return this.maybeAdvance();
  }

  /**
   * A replica fetched from `fetchOffset`: it has stored everything below. Returns whether
   * the high watermark moved (only voters' fetches can move it).
   */
  updateReplica(nodeId: number, fetchOffset: bigint, leaderLogEndOffset: bigint, now: number): boolean {
    if (nodeId === this.localId) throw new Error("the leader does not fetch from itself");
    const voter = this.voterProgress.get(nodeId);
    let p = voter ?? this.observerProgress.get(nodeId);
    if (!p) {
      p = emptyProgress(nodeId);
      this.observerProgress.set(nodeId, p);
    }
    if (fetchOffset >= leaderLogEndOffset) p.lastCaughtUpTimestamp = Math.max(p.lastCaughtUpTimestamp, now);
    else if (p.lastFetchTimestamp >= 0 && fetchOffset >= p.lastFetchLeaderLogEndOffset) p.lastCaughtUpTimestamp = Math.max(p.lastCaughtUpTimestamp, p.lastFetchTimestamp);
    p.logEndOffset = fetchOffset;
    p.lastFetchTimestamp = now;
    p.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    return voter !== undefined && this.maybeAdvance();
  }

  /** Voters with no fetch at or after `since` (they may not know this leader: BeginQuorumEpoch again). */
  votersNotFetchedSince(since: number): number[] {
    return this.voters.filter((id) => id !== this.localId && this.voterProgress.get(id)!.lastFetchTimestamp < since);
  }

  /**
   * Kafka's check-quorum: a leader that has not heard a fetch from a majority of voters
   * (itself included) within `timeoutMs` is probably cut off and should resign.
   */
  lostQuorum(now: number, timeoutMs: number): boolean {
    if (now - this.startedAt < timeoutMs) return false;
    let heard = 0;
    for (const p of this.voterProgress.values()) if (p.nodeId === this.localId || now - p.lastFetchTimestamp < timeoutMs) heard++;
    return heard < Math.floor(this.voters.length / 2) + 1;
  }

  /** Other voters, the furthest caught up first: the order to hand leadership to. */
  preferredSuccessors(): number[] {
    return [...this.voterProgress.values()]
      .filter((p) => p.nodeId !== this.localId)
      .sort((a, b) => (a.logEndOffset === b.logEndOffset ? a.nodeId - b.nodeId : a.logEndOffset > b.logEndOffset ? -1 : 1))
      .map((p) => p.nodeId);
  }

  /** DescribeQuorum's partition data. */
  describe(): QuorumDescription {
    const copy = (m: Map<number, ReplicaProgress>) => [...m.values()].map((p) => ({ ...p })).sort((a, b) => a.nodeId - b.nodeId);
    return { leaderId: this.localId, leaderEpoch: this.epoch, highWatermark: this.hw ?? -1n, voters: copy(this.voterProgress), observers: copy(this.observerProgress) };
  }

  private maybeAdvance(): boolean {
    const ends = [...this.voterProgress.values()].map((p) => p.logEndOffset).sort((a, b) => (a === b ? 0 : a > b ? -1 : 1));
    const onMajority = ends[Math.floor(this.voters.length / 2)]!;
    if (onMajority <= this.epochStartOffset) return false;
    if (this.hw !== null && onMajority <= this.hw) return false;
    this.hw = onMajority;
    return true;
  }
}

function emptyProgress(nodeId: number): ReplicaProgress {
  return { nodeId, logEndOffset: -1n, lastFetchTimestamp: -1, lastCaughtUpTimestamp: -1, lastFetchLeaderLogEndOffset: -1n };
}
