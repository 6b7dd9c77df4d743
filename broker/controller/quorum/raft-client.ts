import { LeaderEpochCache } from "../../log/leader-epoch-cache.ts";
import { ErrorCode, KafkaError, type ErrorCodeValue } from "../../protocol/errors.ts";
import { iterateBatches } from "../../protocol/records/record-batch.ts";
import type { Clock, Timer } from "../../util/clock.ts";
import type { MetadataRecord } from "../metadata-record-serde.ts";
import { encodeLeaderChangeBatch } from "./control-records.ts";
import { LeaderProgress, type QuorumDescription } from "./leader-progress.ts";
import { encodeMetadataBatch, metadataLogBatches, readMetadataLog } from "./metadata-log-batches.ts";
import type { AppendResult, LeaderAndEpoch, MetadataQuorum, QuorumListener } from "./metadata-quorum.ts";
import type { QuorumStateStore } from "./quorum-state.ts";
import type {
  EndQuorumEpochRequestData,
  FetchRequestData,
  FetchResponseData,
  QuorumEpochResponseData,
  RaftApi,
  RaftNetwork,
  RaftRequestHandler,
  RaftRequests,
  RaftResponses,
  VoteRequestData,
  VoteResponseData,
} from "./raft-messages.ts";
import { RaftQuorumState, RaftRole, type QuorumTransition } from "./raft-quorum-state.ts";
import type { RaftLogStore } from "./raft-log-store.ts";

/** Kafka's `controller.quorum.*` timings (defaults as in Kafka's QuorumConfig). */
export interface RaftTimeouts {
  /** controller.quorum.election.timeout.ms: an election starts after this plus up to as much jitter. */
  electionTimeoutMs: number;
  /** controller.quorum.election.backoff.max.ms: the longest pause after a lost election. */
  electionBackoffMaxMs: number;
  /** controller.quorum.fetch.timeout.ms: a follower that hears nothing for this long starts an election. */
  fetchTimeoutMs: number;
  /** controller.quorum.request.timeout.ms */
  requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms */
  retryBackoffMs: number;
  /** How long the leader holds a fetch that finds nothing new. */
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
}

export const DEFAULT_RAFT_TIMEOUTS: RaftTimeouts = {
  electionTimeoutMs: 1000,
  electionBackoffMaxMs: 1000,
  fetchTimeoutMs: 2000,
  requestTimeoutMs: 2000,
  retryBackoffMs: 20,
  fetchMaxWaitMs: 500,
  fetchMaxBytes: 8 << 20,
};

export interface RaftClientOptions {
  nodeId: number;
  /** controller.quorum.voters' ids; a node not among them is an observer. */
  voters: readonly number[];
  log: RaftLogStore;
  stateStore: QuorumStateStore;
  network: RaftNetwork;
  clock: Clock & Timer;
  /** Uniform in [0, 1): election jitter and an observer's choice of voter. */
  random: () => number;
  timeouts?: Partial<RaftTimeouts>;
  /** Every quorum state transition, after it was persisted (for the state-change log). */
  onTransition?: (t: QuorumTransition) => void;
}

interface HeldFetch {
  source: number;
  request: FetchRequestData;
  respond: (r: FetchResponseData) => void;
  cancelTimer: () => void;
}

interface CommitWaiter {
  offset: bigint;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** Bytes read per step when delivering committed batches and rebuilding the epoch cache. */
const READ_CHUNK_BYTES = 1 << 20;

/**
 * One Raft client for every role of the metadata quorum (Kafka's KafkaRaftClient): its role
 * lives in RaftQuorumState; this class turns timers, inbound requests and responses into
 * transitions and log operations. Everything it does runs one task at a time on an internal
 * queue, so a handler always sees the state its predecessor left.
 *
 * - Elections: an election timeout (with jitter) starts a pre-vote (Prospective); a majority
 *   of pre-votes makes a Candidate, which bumps the epoch and asks for votes. A voter grants
 *   one vote per epoch, to a candidate whose log is at least as up to date as its own;
 *   pre-votes are refused while the voter still hears from a leader.
 * - A new leader writes a LeaderChange control batch, tells every voter (BeginQuorumEpoch,
 *   repeated to voters that stop fetching) and commits by the majority rule (LeaderProgress).
 * - Followers and observers replicate with Fetch; a fetch whose last epoch does not match the
 *   leader's log gets a DivergingEpoch and the fetcher truncates to it first.
 * - A leader that loses contact with a majority for 1.5 fetch timeouts, or is asked to stop,
 *   resigns: EndQuorumEpoch names its preferred successors, the first starts at once.
 * - Listeners get committed batches only (never an entry that could be truncated) and learn
 *   of this node's own leadership once the LeaderChange batch is committed, when the log
 *   they replayed is the whole committed log.
 */
export class RaftClient implements MetadataQuorum, RaftRequestHandler {
  readonly nodeId: number;
  readonly quorum: RaftQuorumState;
  private readonly timeouts: RaftTimeouts;
  private readonly voters: readonly number[];
  private readonly listeners: QuorumListener[] = [];
  private readonly epochs = new LeaderEpochCache(undefined);
  private queue: Promise<unknown> = Promise.resolve();
  private started = false;
  private closed = false;
  private firstFailure: unknown = null;

  /** Bumped on every transition: timers and responses from an older state are ignored. */
  private generation = 0;
  private cancelRoleTimer: () => void = () => {};
  private hw = 0n;
  /** Offsets below this were delivered to the listeners. */
  private delivered = 0n;
  private notifiedLeader: LeaderAndEpoch = { leaderId: null, epoch: -1 };
  private leader: LeaderProgress | null = null;
  private heldFetches: HeldFetch[] = [];
  private commitWaiters: CommitWaiter[] = [];
  private fetchInFlight = false;
  /** For Unattached voters: the election timeout to use instead of a random one (EndQuorumEpoch). */
  private electionTimeoutOverride: number | null = null;
  /**
   * The leader this node stopped hearing from (fetch timeout) in the current epoch: other
   * voters' answers naming it are stale hints, not a reason to follow it again.
   */
  private abandonedLeader: { epoch: number; leaderId: number } | null = null;
  /** Voters that granted the vote that made this node leader (for the LeaderChange record). */
  private grantingVoters: number[] = [];

  constructor(private readonly options: RaftClientOptions) {
    this.nodeId = options.nodeId;
    this.voters = [...options.voters];
    this.timeouts = { ...DEFAULT_RAFT_TIMEOUTS, ...options.timeouts };
    this.quorum = new RaftQuorumState(options.nodeId, this.voters, options.stateStore, options.onTransition);
  }

  /** The first unexpected error (a bug or a failed disk); the client stops acting after it. */
  get failure(): unknown {
    return this.firstFailure;
  }

  // ---- MetadataQuorum

  leaderAndEpoch(): LeaderAndEpoch {
    return this.notifiedLeader;
  }

  isLeader(): boolean {
    return this.notifiedLeader.leaderId === this.nodeId && this.quorum.role === RaftRole.Leader && !this.closed && this.failure === null;
  }

  endOffset(): bigint {
    return this.options.log.logEndOffset();
  }

  highWatermark(): bigint {
    return this.hw;
  }

  register(listener: QuorumListener): void {
    this.listeners.push(listener);
  }

  start(): Promise<void> {
    if (this.started) return Promise.reject(new Error("quorum already started"));
    this.started = true;
    return this.enqueue(async () => {
      for await (const batch of readMetadataLog(this.options.log, READ_CHUNK_BYTES)) this.noteBatchEpoch(batch.epoch, batch.baseOffset);
      this.quorum.initialize(this.epochs.latestEpoch());
      await this.enterCurrentState();
    });
  }

  async append(epoch: number, records: readonly MetadataRecord[]): Promise<AppendResult> {
    if (records.length === 0) throw new RangeError("cannot append an empty batch");
    const written = await this.enqueue(async () => {
      if (!this.isLeader() || epoch !== this.quorum.epoch) {
        throw new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.nodeId} is not the metadata leader in epoch ${epoch}`);
      }
      const range = await this.appendAsLeader((baseOffset) => encodeMetadataBatch({ baseOffset, epoch, records, timestamp: this.options.clock.now() }));
      return { range, committed: this.waitForCommit(range.lastOffset) };
    });
    await written.committed;
    return written.range;
  }

  /** Steps down gracefully if leading, then stops. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.resignLeadership();
    await this.enqueue(async () => {
      this.closed = true;
      this.generation++;
      this.cancelRoleTimer();
      this.failHeldFetches();
      this.rejectCommitWaiters();
      await this.options.log.close();
    });
  }

  /** Stops without a word to anyone: a crash, for simulations (the log is not closed). */
  halt(): void {
    this.closed = true;
    this.generation++;
    this.cancelRoleTimer();
  }

  /** DescribeQuorum's data; only the leader has it. */
  describeQuorum(): QuorumDescription {
    if (this.leader === null || this.quorum.role !== RaftRole.Leader) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.nodeId} does not lead the metadata quorum`);
    }
    return { ...this.leader.describe(), highWatermark: this.hw };
  }

  /** Graceful resignation on demand (SIGTERM): resolves once EndQuorumEpoch was answered or timed out. */
  async resignLeadership(): Promise<void> {
    const resigned = await this.enqueue(async () => (this.quorum.role === RaftRole.Leader ? this.resign() : null));
    await resigned?.acknowledged;
  }

  // ---- inbound requests

  handle<A extends RaftApi>(source: number, api: A, request: RaftRequests[A]): Promise<RaftResponses[A]> {
    return new Promise<RaftResponses[A]>((resolve, reject) => {
      const respond = (r: RaftResponses[RaftApi]) => resolve(r as RaftResponses[A]);
      this.enqueue(async () => {
        if (this.closed) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.nodeId} is shutting down`);
        switch (api) {
          case "Vote":
            return respond(await this.onVote(request as VoteRequestData));
          case "BeginQuorumEpoch":
            return respond(await this.onBeginQuorumEpoch(request as RaftRequests["BeginQuorumEpoch"]));
          case "EndQuorumEpoch":
            return respond(await this.onEndQuorumEpoch(request as EndQuorumEpochRequestData));
          case "Fetch":
            return this.onFetch(source, request as FetchRequestData, respond);
        }
      }).catch(reject);
    });
  }

  private async onVote(req: VoteRequestData): Promise<VoteResponseData> {
    if (!this.quorum.isVoter || !this.voters.includes(req.candidateId)) return this.voteAnswer(false, ErrorCode.INCONSISTENT_VOTER_SET);
    if (req.candidateEpoch < this.quorum.epoch) return this.voteAnswer(false);
    if (req.preVote) {
      // Would we vote for it in its next epoch? Not while we still hear from a leader.
      const role = this.quorum.role;
      const inContactWithLeader = role === RaftRole.Follower || role === RaftRole.Leader;
      return this.voteAnswer(!inContactWithLeader && this.logUpToDate(req));
    }
    if (req.candidateEpoch > this.quorum.epoch) await this.transition(() => this.quorum.transitionToUnattached(req.candidateEpoch));
    const s = this.quorum.current;
    let granted = this.quorum.votedId === req.candidateId;
    if (!granted && s.role === RaftRole.Unattached && s.votedId === null && this.logUpToDate(req)) {
      await this.transition(() => this.quorum.transitionToUnattached(req.candidateEpoch, req.candidateId));
      granted = true;
    }
    return this.voteAnswer(granted);
  }

  /** The leader other nodes should follow: none while this node has resigned. */
  private leaderHint(): number {
    return this.quorum.role === RaftRole.Resigned ? -1 : (this.quorum.leaderId ?? -1);
  }

  private voteAnswer(voteGranted: boolean, errorCode: ErrorCodeValue = ErrorCode.NONE): VoteResponseData {
    return { errorCode, leaderId: this.leaderHint(), leaderEpoch: this.quorum.epoch, voteGranted };
  }

  /** Raft's election restriction: the candidate's last entry is at least as recent as ours. */
  private logUpToDate(req: VoteRequestData): boolean {
    const lastEpoch = this.epochs.latestEpoch();
    return req.lastOffsetEpoch > lastEpoch || (req.lastOffsetEpoch === lastEpoch && req.lastOffset >= this.options.log.logEndOffset());
  }

  private async onBeginQuorumEpoch(req: RaftRequests["BeginQuorumEpoch"]): Promise<QuorumEpochResponseData> {
    const epoch = this.quorum.epoch;
    if (req.leaderEpoch < epoch) return this.epochAnswer(ErrorCode.FENCED_LEADER_EPOCH);
    if (req.leaderEpoch > epoch || this.quorum.leaderId === null) {
      await this.transition(() => this.quorum.transitionToFollower(req.leaderEpoch, req.leaderId));
    } else if (this.quorum.leaderId !== req.leaderId) {
      return this.epochAnswer(ErrorCode.INVALID_REQUEST);
    }
    return this.epochAnswer(ErrorCode.NONE);
  }

  private async onEndQuorumEpoch(req: EndQuorumEpochRequestData): Promise<QuorumEpochResponseData> {
    const epoch = this.quorum.epoch;
    if (req.leaderEpoch < epoch) return this.epochAnswer(ErrorCode.FENCED_LEADER_EPOCH);
    const followsIt = req.leaderEpoch === epoch && this.quorum.role === RaftRole.Follower && this.quorum.leaderId === req.leaderId;
    if (this.quorum.isVoter && (req.leaderEpoch > epoch || followsIt)) {
      // The first preferred successor starts at once, the others later, in order.
      const position = req.preferredSuccessors.indexOf(this.nodeId);
      this.electionTimeoutOverride = position < 0 ? null : Math.floor((position * this.timeouts.electionBackoffMaxMs) / Math.max(1, this.voters.length - 1));
      this.abandonedLeader = { epoch: req.leaderEpoch, leaderId: req.leaderId };
      await this.transition(() => this.quorum.transitionToUnattached(req.leaderEpoch));
    }
    return this.epochAnswer(ErrorCode.NONE);
  }

  private epochAnswer(errorCode: ErrorCodeValue): QuorumEpochResponseData {
    return { errorCode, leaderId: this.leaderHint(), leaderEpoch: this.quorum.epoch };
  }

  private async onFetch(source: number, req: FetchRequestData, respond: (r: FetchResponseData) => void): Promise<void> {
    const epoch = this.quorum.epoch;
    const refuse = (errorCode: ErrorCodeValue) => respond(this.fetchAnswer(errorCode, Buffer.alloc(0), null));
    if (this.quorum.role !== RaftRole.Leader || this.leader === null) return refuse(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (req.currentLeaderEpoch < epoch) return refuse(ErrorCode.FENCED_LEADER_EPOCH);
    if (req.currentLeaderEpoch > epoch) return refuse(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const logEnd = this.options.log.logEndOffset();
    const diverging = this.divergence(req.fetchOffset, req.lastFetchedEpoch, logEnd);
    if (diverging !== null) return respond(this.fetchAnswer(ErrorCode.NONE, Buffer.alloc(0), diverging));

    if (this.leader.updateReplica(source, req.fetchOffset, logEnd, this.options.clock.now())) await this.onLeaderHighWatermark();
    if (req.fetchOffset < logEnd || req.maxWaitMs <= 0) return respond(await this.fetchResult(req));
    // Nothing new: hold the fetch until there is data, the high watermark moves, or maxWait.
    const held: HeldFetch = { source, request: req, respond, cancelTimer: () => {} };
    const generation = this.generation;
    held.cancelTimer = this.options.clock.schedule(req.maxWaitMs, () =>
      this.enqueueIfCurrent(generation, async () => {
        if (!this.heldFetches.includes(held)) return;
        this.heldFetches = this.heldFetches.filter((h) => h !== held);
        held.respond(await this.fetchResult(held.request));
      }),
    );
    this.heldFetches.push(held);
  }

  /** Where a fetcher's log stops matching ours, or null when it matches. */
  private divergence(fetchOffset: bigint, lastFetchedEpoch: number, logEnd: bigint): FetchResponseData["divergingEpoch"] {
    if (fetchOffset === 0n) return null;
    const found = this.epochs.endOffsetFor(lastFetchedEpoch, Number(logEnd));
    if (found.leaderEpoch < 0) return { epoch: -1, endOffset: 0n };
    const endOffset = BigInt(found.endOffset);
    if (found.leaderEpoch !== lastFetchedEpoch || fetchOffset > endOffset) return { epoch: found.leaderEpoch, endOffset };
    return null;
  }

  private async fetchResult(req: FetchRequestData): Promise<FetchResponseData> {
    const records = req.fetchOffset < this.options.log.logEndOffset() ? await this.options.log.read(req.fetchOffset, req.maxBytes) : Buffer.alloc(0);
    return this.fetchAnswer(ErrorCode.NONE, records, null);
  }

  private fetchAnswer(errorCode: ErrorCodeValue, records: Buffer, divergingEpoch: FetchResponseData["divergingEpoch"]): FetchResponseData {
    return { errorCode, leaderId: this.leaderHint(), leaderEpoch: this.quorum.epoch, highWatermark: this.hw, divergingEpoch, records };
  }

  private async completeHeldFetches(): Promise<void> {
    const held = this.heldFetches;
    this.heldFetches = [];
    for (const h of held) {
      h.cancelTimer();
      h.respond(await this.fetchResult(h.request));
    }
  }

  private failHeldFetches(): void {
    const held = this.heldFetches;
    this.heldFetches = [];
    for (const h of held) {
      h.cancelTimer();
      h.respond(this.fetchAnswer(ErrorCode.NOT_LEADER_OR_FOLLOWER, Buffer.alloc(0), null));
    }
  }

  // ---- states: what each role does on entry and on its timer

  /** Runs a transition, then the new state's entry actions. */
  private async transition(change: () => void): Promise<void> {
    const wasLeader = this.quorum.role === RaftRole.Leader;
    change();
    this.generation++;
    this.cancelRoleTimer();
    if (wasLeader && this.quorum.role !== RaftRole.Leader) {
      this.leader = null;
      this.failHeldFetches();
      this.rejectCommitWaiters();
    }
    await this.enterCurrentState();
  }

  private async enterCurrentState(): Promise<void> {
    const s = this.quorum.current;
    const generation = this.generation;
    switch (s.role) {
      case RaftRole.Unattached: {
        this.notifyLeader(null);
        if (!this.quorum.isVoter) return this.fetchFromLeader();
        const timeout = this.electionTimeoutOverride ?? this.firstElectionTimeout();
        this.electionTimeoutOverride = null;
        return this.setRoleTimer(timeout, () => this.transition(() => this.quorum.transitionToProspective()));
      }
      case RaftRole.Prospective:
        this.notifyLeader(null);
        this.setRoleTimer(this.randomElectionTimeout(), () => this.loseElection());
        for (const voter of this.otherVoters()) this.requestVote(generation, voter, true);
        return this.maybeWinElection();
      case RaftRole.Candidate:
        this.notifyLeader(null);
        this.setRoleTimer(this.randomElectionTimeout(), () => this.loseElection());
        for (const voter of this.otherVoters()) this.requestVote(generation, voter, false);
        return this.maybeWinElection();
      case RaftRole.Leader:
        return this.becomeLeader();
      case RaftRole.Follower:
        this.notifyLeader(s.leaderId);
        this.resetFetchTimer();
        return this.fetchFromLeader();
      case RaftRole.Resigned:
        this.notifyLeader(null);
        return this.setRoleTimer(this.firstElectionTimeout(), () => this.transition(() => this.quorum.transitionToProspective()));
    }
  }

  private setRoleTimer(ms: number, fire: () => Promise<void>): void {
    this.cancelRoleTimer();
    this.cancelRoleTimer = this.options.clock.schedule(ms, () => this.enqueueIfCurrent(this.generation, fire));
  }

  /** A lone voter has nobody to wait for: it elects itself at once. */
  private firstElectionTimeout(): number {
    return this.voters.length === 1 ? 0 : this.randomElectionTimeout();
  }

  private randomElectionTimeout(): number {
    return this.timeouts.electionTimeoutMs + Math.floor(this.options.random() * this.timeouts.electionTimeoutMs);
  }

  private randomBackoff(): number {
    return Math.floor(this.options.random() * this.timeouts.electionBackoffMaxMs);
  }

  private otherVoters(): number[] {
    return this.voters.filter((v) => v !== this.nodeId);
  }

  private requestVote(generation: number, voter: number, preVote: boolean): void {
    const epoch = this.quorum.epoch;
    const request: VoteRequestData = {
      candidateEpoch: preVote ? epoch + 1 : epoch,
      candidateId: this.nodeId,
      lastOffsetEpoch: this.epochs.latestEpoch(),
      lastOffset: this.options.log.logEndOffset(),
      preVote,
    };
    this.send(voter, "Vote", request).then(
      (r) => this.enqueueIfCurrent(generation, () => this.onVoteResponse(voter, r)),
      () => {},
    );
  }

  private async onVoteResponse(voter: number, r: VoteResponseData): Promise<void> {
    const s = this.quorum.current;
    if (s.role !== RaftRole.Prospective && s.role !== RaftRole.Candidate) return;
    if (await this.maybeFollowNewerEpoch(r.leaderEpoch, r.leaderId)) return;
    if (r.leaderEpoch === s.epoch && r.leaderId >= 0 && r.leaderId !== this.nodeId && !this.isAbandoned(r.leaderEpoch, r.leaderId)) {
      return this.transition(() => this.quorum.transitionToFollower(r.leaderEpoch, r.leaderId));
    }
    if (r.errorCode !== ErrorCode.NONE) return;
    if (r.voteGranted) s.votes.granted.add(voter);
    else s.votes.rejected.add(voter);
    if (s.votes.rejected.size >= this.quorum.majority()) return this.loseElection();
    return this.maybeWinElection();
  }

  private async maybeWinElection(): Promise<void> {
    const s = this.quorum.current;
    if (s.role !== RaftRole.Prospective && s.role !== RaftRole.Candidate) return;
    if (s.votes.granted.size < this.quorum.majority()) return;
    if (s.role === RaftRole.Prospective) return this.transition(() => this.quorum.transitionToCandidate());
    this.grantingVoters = [...s.votes.granted].sort((a, b) => a - b);
    return this.transition(() => this.quorum.transitionToLeader());
  }

  /** A lost or timed-out election: back off, then pre-vote again (a lost pre-vote waits Unattached). */
  private async loseElection(): Promise<void> {
    const s = this.quorum.current;
    if (s.role === RaftRole.Prospective) {
      this.electionTimeoutOverride = this.randomBackoff();
      return this.transition(() => this.quorum.transitionToUnattached(s.epoch));
    }
    if (s.role === RaftRole.Candidate) {
      this.generation++; // ignore the rest of this election's answers
      this.setRoleTimer(this.randomBackoff(), () => this.transition(() => this.quorum.transitionToProspective()));
    }
  }

  private isAbandoned(epoch: number, leaderId: number): boolean {
    return this.abandonedLeader !== null && this.abandonedLeader.epoch === epoch && this.abandonedLeader.leaderId === leaderId;
  }

  /** Learns of a later epoch from any answer: follow its leader, or wait Unattached in it. */
  private async maybeFollowNewerEpoch(epoch: number, leaderId: number): Promise<boolean> {
    if (epoch <= this.quorum.epoch) return false;
    if (leaderId >= 0 && leaderId !== this.nodeId && this.voters.includes(leaderId)) {
      await this.transition(() => this.quorum.transitionToFollower(epoch, leaderId));
    } else {
      await this.transition(() => this.quorum.transitionToUnattached(epoch));
    }
    return true;
  }

  private async becomeLeader(): Promise<void> {
    const s = this.quorum.current;
    if (s.role !== RaftRole.Leader) return;
    const epochStartOffset = this.options.log.logEndOffset();
    const granting = this.grantingVoters;
    this.leader = new LeaderProgress(this.nodeId, s.epoch, this.voters, epochStartOffset, this.options.clock.now());
    await this.appendAsLeader((baseOffset) =>
      encodeLeaderChangeBatch({ baseOffset, epoch: s.epoch, leaderId: this.nodeId, voters: this.voters, grantingVoters: granting, timestamp: this.options.clock.now() }),
    );
    await this.leaderTick(this.generation);
  }

  /** Every half fetch timeout: BeginQuorumEpoch to voters not fetching, and the check-quorum rule. */
  private async leaderTick(generation: number): Promise<void> {
    if (this.leader === null) return;
    const now = this.options.clock.now();
    if (this.leader.lostQuorum(now, Math.floor(this.timeouts.fetchTimeoutMs * 1.5))) {
      await this.resign();
      return;
    }
    for (const voter of this.leader.votersNotFetchedSince(now - this.timeouts.fetchTimeoutMs)) {
      this.send(voter, "BeginQuorumEpoch", { leaderId: this.nodeId, leaderEpoch: this.leader.epoch }).then(
        (r) => this.enqueueIfCurrent(generation, () => this.onQuorumEpochResponse(r)),
        () => {},
      );
    }
    this.setRoleTimer(Math.floor(this.timeouts.fetchTimeoutMs / 2), () => this.leaderTick(this.generation));
  }

  private async onQuorumEpochResponse(r: QuorumEpochResponseData): Promise<void> {
    await this.maybeFollowNewerEpoch(r.leaderEpoch, r.leaderId);
  }

  /**
   * Leader → Resigned, then EndQuorumEpoch to every other voter naming the successors, the
   * most caught up first. `acknowledged` settles once each answered or timed out.
   */
  private async resign(): Promise<{ acknowledged: Promise<unknown> }> {
    const successors = this.leader?.preferredSuccessors() ?? [];
    await this.transition(() => this.quorum.transitionToResigned(successors));
    const generation = this.generation;
    const request = { leaderId: this.nodeId, leaderEpoch: this.quorum.epoch, preferredSuccessors: successors };
    const sends = this.otherVoters().map((voter) =>
      this.send(voter, "EndQuorumEpoch", request).then(
        (r) => this.enqueueIfCurrent(generation, () => this.onQuorumEpochResponse(r)),
        () => {},
      ),
    );
    return { acknowledged: Promise.all(sends) };
  }

  // ---- fetching (followers and observers)

  private resetFetchTimer(): void {
    this.setRoleTimer(this.timeouts.fetchTimeoutMs, async () => {
      const s = this.quorum.current;
      if (s.role !== RaftRole.Follower) return;
      this.abandonedLeader = { epoch: s.epoch, leaderId: s.leaderId };
      if (this.quorum.isVoter) return this.transition(() => this.quorum.transitionToProspective());
      return this.transition(() => this.quorum.transitionToUnattached(s.epoch));
    });
  }

  /** One fetch at a time: from the leader, or (an observer that knows none) from any voter. */
  private fetchFromLeader(): void {
    if (this.fetchInFlight || this.closed) return;
    const s = this.quorum.current;
    let target: number;
    if (s.role === RaftRole.Follower) target = s.leaderId;
    else if (s.role === RaftRole.Unattached && !this.quorum.isVoter) target = this.voters[Math.floor(this.options.random() * this.voters.length)]!;
    else return;
    const generation = this.generation;
    const request: FetchRequestData = {
      replicaId: this.nodeId,
      currentLeaderEpoch: s.epoch,
      fetchOffset: this.options.log.logEndOffset(),
      lastFetchedEpoch: this.epochs.latestEpoch(),
      maxWaitMs: this.timeouts.fetchMaxWaitMs,
      maxBytes: this.timeouts.fetchMaxBytes,
    };
    this.fetchInFlight = true;
    this.send(target, "Fetch", request).then(
      (r) => this.enqueue(() => this.onFetchResponse(generation, target, request, r)),
      () => this.enqueue(() => this.onFetchFailure(generation)),
    );
  }

  private async onFetchFailure(generation: number): Promise<void> {
    this.fetchInFlight = false;
    if (generation !== this.generation) return this.fetchFromLeader();
    this.retryFetchAfterBackoff();
  }

  private retryFetchAfterBackoff(): void {
    const generation = this.generation;
    this.options.clock.schedule(this.timeouts.retryBackoffMs, () => this.enqueueIfCurrent(generation, async () => this.fetchFromLeader()));
  }

  private async onFetchResponse(generation: number, source: number, req: FetchRequestData, r: FetchResponseData): Promise<void> {
    this.fetchInFlight = false;
    if (this.closed) return;
    if (await this.maybeFollowNewerEpoch(r.leaderEpoch, r.leaderId)) return;
    if (generation !== this.generation) return this.fetchFromLeader();
    const s = this.quorum.current;
    if (s.role === RaftRole.Unattached) {
      // An observer found the leader of its epoch through a voter's answer.
      const fromTheLeader = r.leaderId === source && r.errorCode === ErrorCode.NONE;
      if (r.leaderEpoch === s.epoch && r.leaderId >= 0 && (fromTheLeader || !this.isAbandoned(r.leaderEpoch, r.leaderId))) return this.transition(() => this.quorum.transitionToFollower(r.leaderEpoch, r.leaderId));
      return this.retryFetchAfterBackoff();
    }
    if (s.role !== RaftRole.Follower || r.leaderEpoch !== s.epoch || source !== s.leaderId || r.errorCode !== ErrorCode.NONE) {
      return this.retryFetchAfterBackoff();
    }
    this.resetFetchTimer();
    if (r.divergingEpoch !== null) await this.truncateDivergentTail(r.divergingEpoch);
    else await this.appendFetched(req.fetchOffset, r);
    this.fetchFromLeader();
  }

  /**
   * The leader's log ends `diverging.epoch` at `diverging.endOffset`: cut ours where that
   * epoch ends in both logs (Kafka's truncateToEndOffset), at a batch start. Committed
   * entries are never dropped; a second fetch finds any earlier divergence.
   */
  private async truncateDivergentTail(diverging: { epoch: number; endOffset: bigint }): Promise<void> {
    const { log } = this.options;
    const logEnd = log.logEndOffset();
    const local = this.epochs.endOffsetFor(diverging.epoch, Number(logEnd));
    let point: bigint;
    if (local.leaderEpoch < 0) point = 0n;
    else if (local.leaderEpoch === diverging.epoch) point = BigInt(local.endOffset) < diverging.endOffset ? BigInt(local.endOffset) : diverging.endOffset;
    else point = BigInt(local.endOffset);
    if (point > logEnd) point = logEnd;
    if (point < logEnd) {
      const first = [...iterateBatches(await log.read(point, 1))][0];
      if (first?.header) point = first.header.baseOffset;
    }
    if (point < this.hw) throw new Error(`node ${this.nodeId}: truncation to ${point} would drop committed entries below ${this.hw}`);
    if (point === logEnd) return;
    await log.truncateTo(point);
    this.epochs.truncateFromEnd(Number(point));
  }

  private async appendFetched(fetchOffset: bigint, r: FetchResponseData): Promise<void> {
    const { log } = this.options;
    if (fetchOffset !== log.logEndOffset()) return; // the log moved since the fetch was sent
    let appended = false;
    for (const e of iterateBatches(r.records)) {
      if (e.partial) break;
      const last = e.header.baseOffset + BigInt(e.header.lastOffsetDelta);
      if (last < log.logEndOffset()) continue;
      if (e.header.baseOffset !== log.logEndOffset()) throw new Error(`node ${this.nodeId}: fetched batch at ${e.header.baseOffset}, log end is ${log.logEndOffset()}`);
      await log.append(Buffer.from(r.records.subarray(e.position, e.position + e.size)));
      this.noteBatchEpoch(e.header.partitionLeaderEpoch, e.header.baseOffset);
      appended = true;
    }
    if (appended) await log.flush();
    // Our copy of the quorum's high watermark: never above what we hold, never backwards.
    const hw = r.highWatermark < log.logEndOffset() ? r.highWatermark : log.logEndOffset();
    if (hw > this.hw) await this.advanceHighWatermark(hw);
  }

  // ---- the leader's log

  /** Appends one batch at the log end, flushes it, and lets the commit rule see it. */
  private async appendAsLeader(encode: (baseOffset: bigint) => Buffer): Promise<AppendResult> {
    const { log } = this.options;
    const baseOffset = log.logEndOffset();
    await log.append(encode(baseOffset));
    await log.flush();
    this.noteBatchEpoch(this.quorum.epoch, baseOffset);
    const range = { baseOffset, lastOffset: log.logEndOffset() - 1n };
    if (this.leader?.updateLocalEndOffset(log.logEndOffset(), this.options.clock.now())) await this.onLeaderHighWatermark();
    await this.completeHeldFetches();
    return range;
  }

  private async onLeaderHighWatermark(): Promise<void> {
    const hw = this.leader?.highWatermark();
    if (hw !== null && hw !== undefined && hw > this.hw) await this.advanceHighWatermark(hw);
    await this.completeHeldFetches();
  }

  private noteBatchEpoch(epoch: number, baseOffset: bigint): void {
    if (epoch > this.epochs.latestEpoch()) this.epochs.assign(epoch, Number(baseOffset));
  }

  // ---- commits and listeners

  private async advanceHighWatermark(hw: bigint): Promise<void> {
    this.hw = hw;
    while (this.delivered < hw) {
      const buf = await this.options.log.read(this.delivered, READ_CHUNK_BYTES);
      let progressed = false;
      for (const batch of metadataLogBatches(buf, this.delivered)) {
        if (batch.lastOffset >= hw) break;
        if (batch.data) for (const l of this.listeners) l.handleCommit(batch.data);
        this.delivered = batch.lastOffset + 1n;
        progressed = true;
      }
      if (!progressed) throw new Error(`node ${this.nodeId}: high watermark ${hw} is inside a batch at ${this.delivered}`);
    }
    for (const w of [...this.commitWaiters]) {
      if (w.offset < hw) {
        this.commitWaiters = this.commitWaiters.filter((x) => x !== w);
        w.resolve();
      }
    }
    // The new leader's listeners learn of its leadership once its first batch is committed.
    const leader = this.leader;
    if (leader !== null && this.quorum.role === RaftRole.Leader && hw > leader.epochStartOffset) this.notifyLeader(this.nodeId);
  }

  private waitForCommit(lastOffset: bigint): Promise<void> {
    if (lastOffset < this.hw) return Promise.resolve(); // a lone voter commits as it appends
    return new Promise((resolve, reject) => this.commitWaiters.push({ offset: lastOffset, resolve, reject }));
  }

  private rejectCommitWaiters(): void {
    const waiters = this.commitWaiters;
    this.commitWaiters = [];
    for (const w of waiters) w.reject(new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.nodeId} lost the metadata leadership before offset ${w.offset} was committed`));
  }

  private notifyLeader(leaderId: number | null): void {
    const next = { leaderId, epoch: this.quorum.epoch };
    if (next.leaderId === this.notifiedLeader.leaderId && next.epoch === this.notifiedLeader.epoch) return;
    this.notifiedLeader = next;
    for (const l of this.listeners) l.handleLeaderChange(next);
  }

  // ---- plumbing

  /** Sends a request, failing it after the request timeout (a lost message never answers). */
  private send<A extends RaftApi>(destination: number, api: A, request: RaftRequests[A]): Promise<RaftResponses[A]> {
    return new Promise((resolve, reject) => {
      const cancel = this.options.clock.schedule(this.timeouts.requestTimeoutMs, () => reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${api} to node ${destination} timed out`)));
      this.options.network.send(destination, api, request).then(
        (r) => {
          cancel();
          resolve(r);
        },
        (e: unknown) => {
          cancel();
          reject(e);
        },
      );
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.failure !== null) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `node ${this.nodeId}'s raft client failed earlier`);
      try {
        return await task();
      } catch (e) {
        if (!(e instanceof KafkaError)) this.firstFailure = e;
        throw e;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Runs a timer's or a response's task only if the state it belongs to is still current. */
  private enqueueIfCurrent(generation: number, task: () => Promise<void>): void {
    void this.enqueue(async () => {
      if (generation !== this.generation || this.closed) return;
      await task();
    }).catch(() => {});
  }
}
