import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { validateAndAssignOffsets } from "../protocol/records/log-validator.ts";
import type { Log } from "../log/log.ts";
import { ProducerStateManager, producerBatchOf, type ProducerBatch } from "./producer-state.ts";
import { FollowerReplica, UNKNOWN_OFFSET } from "./replica.ts";
import type { Clock } from "../util/clock.ts";
import { IsrState } from "./isr-state.ts";
import { LeaderRecoveryState } from "../controller/metadata-image.ts";
import type { IsrChangeSubmitter, IsrMemberChange, IsrProposal, IsrProposalOutcome } from "./alter-partition-manager.ts";
import { batchBaseOffset, batchFramingProblem, batchLastOffset, batchMaxTimestamp, batchSize } from "../log/batch-view.ts";
import { PartitionRoleState, ROLE_LEADER, ROLE_OFFLINE, roleFollower, type PartitionRole } from "./partition-role.ts";

/** How a leader's ISR changes reach the controller (Partition.enableIsrChanges). */
export interface IsrChangeOptions {
  submitter: IsrChangeSubmitter;
  /** replica.lag.time.max.ms: how long a follower may stay behind before it leaves the ISR. */
  replicaLagTimeMaxMs: number;
  /** This broker's registration epoch, sent with its own ISR membership. */
  localBrokerEpoch: () => bigint;
  /** Whether a follower may join the ISR now (registered, unfenced, not shutting down). */
  isEligible: (brokerId: number) => boolean;
  /** An AlterPartition answer moved the high watermark: waiting acks=-1 produces and fetches may complete. */
  onHighWatermarkMoved: () => void;
}

/** Topic settings a partition applies on every append (from the effective topic config). */
export interface PartitionSettings {
  minInsyncReplicas: number;
  maxMessageBytes: number;
  timestampType: "CreateTime" | "LogAppendTime";
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  compacted: boolean;
}

export interface LeaderAppendResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTime: number;
  logStartOffset: number;
}

export interface PartitionRead {
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  logEndOffset: number;
}

/** Where a fetcher's log diverged from the leader's (Fetch v12+'s DivergingEpoch). */
export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/** What a follower appended from one fetch response. */
export interface FollowerAppendResult {
  /** -1 (and lastOffset -1) when there was no complete batch to append. */
  firstOffset: number;
  lastOffset: number;
  bytes: number;
}

/**
 * One partition replica on this node (Kafka's Partition): its log, leadership, ISR and
 * high watermark. The leader assigns offsets, polices idempotent producers, learns each
 * follower's progress from its fetches (`FollowerReplica`) and advances the high watermark
 * to the smallest log end offset in the ISR, never while the ISR is below min ISR.
 */
export class Partition {
  /** Leader, Follower(leaderId), Offline or None (not decided yet): changed only by transitions. */
  private readonly roleState = new PartitionRoleState();
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: number[] = [];
  /** The committed ISR and any change of it in flight (Kafka's PartitionState; see IsrState). */
  private isrState = IsrState.committed([]);
  /** Where ISR proposals go; null (the default) proposes none. */
  private isrChanges: IsrChangeOptions | null = null;
  /** Where the current leader epoch starts in this log (Kafka's leaderEpochStartOffsetOpt); -1 when not leading. */
  private leaderEpochStartOffset = -1;
  private producers: ProducerStateManager;
  /** What this node, as leader, knows of each other replica, by broker id. */
  private readonly remoteReplicas = new Map<number, FollowerReplica>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly topicId: string,
    readonly log: Log,
    private settings: PartitionSettings,
    private readonly localId: number,
    private readonly clock: Clock,
  ) {
    this.producers = ProducerStateManager.rebuild(log);
  }

  get key(): string {
    return `${this.topic}-${this.index}`;
  }
  get role(): PartitionRole {
    return this.roleState.role;
  }
  /** The leader's broker id as this replica knows it (-1: none or not known yet). */
  get leaderId(): number {
    return this.roleState.leaderId(this.localId);
  }
  get isLeader(): boolean {
    return this.roleState.role.kind === "Leader";
  }
  get isFollower(): boolean {
    return this.roleState.role.kind === "Follower";
  }

  /** The committed ISR. Setting it (from metadata) replaces any pending change. */
  get isr(): readonly number[] {
    return this.isrState.isr;
  }
  set isr(isr: readonly number[]) {
    this.isrState = IsrState.committed(isr, this.isrState.leaderRecoveryState);
  }

  /** The ISR state: committed, or a proposed expansion or shrink waiting for the controller. */
  get isrChangeState(): IsrState {
    return this.isrState;
  }

  updateSettings(settings: PartitionSettings): void {
    this.settings = settings;
  }

  /**
   * Becomes (or stays) leader for `leaderEpoch`. A new epoch records where it starts in the
   * epoch cache and resets what is known of the followers; the same epoch again (a config or
   * ISR change) keeps their progress, as Kafka's makeLeader does.
   */
  makeLeader(leaderEpoch: number, partitionEpoch: number, replicas: number[], isr: number[]): void {
    // An AlterPartition answer may have brought a newer partition epoch than this metadata.
    if (partitionEpoch < this.partitionEpoch) return;
    const isNewLeader = !this.isLeader;
    const isNewLeaderEpoch = leaderEpoch > this.leaderEpoch;
    this.roleState.transition(ROLE_LEADER);
    this.replicas = replicas;
    // A leader elected uncleanly (the metadata says RECOVERING) has nothing to recover here
    // (no transaction state yet), so it is RECOVERED at once, as Kafka's makeLeader; its next
    // AlterPartition tells the controller.
    // Metadata that only repeats the partition epoch an AlterPartition answer already brought
    // leaves a change proposed since pending: dropping it would ignore its answer, and the
    // controller's ISR could hold a follower this high watermark no longer waits for.
    const repeatsCurrent = !isNewLeader && leaderEpoch === this.leaderEpoch && partitionEpoch === this.partitionEpoch;
    if (!repeatsCurrent || !this.isrState.isInflight) this.isrState = IsrState.committed(isr, LeaderRecoveryState.RECOVERED);
    this.partitionEpoch = partitionEpoch;
    for (const id of this.remoteReplicas.keys()) if (!replicas.includes(id)) this.remoteReplicas.delete(id);
    for (const id of replicas) if (id !== this.localId && !this.remoteReplicas.has(id)) this.remoteReplicas.set(id, new FollowerReplica(id));
    if (isNewLeaderEpoch) {
      const epochStart = this.log.logEndOffset;
      this.log.assignEpochStartOffset(leaderEpoch, epochStart);
      this.leaderEpochStartOffset = epochStart;
      const now = this.clock.now();
      for (const r of this.remoteReplicas.values()) r.reset(now, epochStart, isNewLeader, isr.includes(r.brokerId));
    }
    this.leaderEpoch = leaderEpoch;
    this.maybeIncrementHighWatermark();
  }

  /**
   * Stops leading: the controller gave the partition to `leaderId` (-1: nobody, when this
   * node was fenced or is shutting down and no other in-sync replica can lead). Appends are
   * refused from now on with NOT_LEADER_OR_FOLLOWER, which clients answer by asking again.
   */
  resign(leaderId: number, leaderEpoch: number, partitionEpoch: number): void {
    this.roleState.transition(leaderId < 0 ? ROLE_OFFLINE : roleFollower(leaderId));
    this.leaderEpoch = leaderEpoch;
    this.partitionEpoch = partitionEpoch;
    this.remoteReplicas.clear();
    // A change proposed as leader is moot now; its answer, if any, is ignored.
    this.isrState = IsrState.committed(this.isrState.isr, this.isrState.leaderRecoveryState);
    this.leaderEpochStartOffset = -1;
  }

  // ---- follower side ----

  /**
   * Follows `leaderId` in `leaderEpoch` (Kafka's makeFollower). A follower keeps no ISR and
   * tracks no other replica; its log is extended only by `appendRecordsAsFollower`. A change
   * older than the partition epoch already applied is ignored. Returns whether the replica
   * fetcher must (re)start from this log: a new leader or a new leader epoch (the new leader
   * may not have this log's tail). The same epoch again (an ISR or config change) returns
   * false, and the fetcher keeps going where it is.
   */
  makeFollower(leaderId: number, leaderEpoch: number, partitionEpoch: number, replicas: number[], _isr: number[]): boolean {
    if (leaderId === this.localId) throw new Error(`${this.key}: node ${leaderId} cannot follow itself`);
    if (partitionEpoch < this.partitionEpoch) return false;
    const previous = this.roleState.role;
    const isNewLeader = previous.kind !== "Follower" || previous.leaderId !== leaderId;
    const isNewLeaderEpoch = leaderEpoch > this.leaderEpoch;
    this.roleState.transition(roleFollower(leaderId));
    this.leaderEpoch = leaderEpoch;
    this.partitionEpoch = partitionEpoch;
    this.replicas = replicas;
    // The ISR is the leader's business (Kafka clears it on followers); the image has it.
    this.isr = [];
    this.remoteReplicas.clear();
    return isNewLeader || isNewLeaderEpoch;
  }

  /**
   * Appends the leader's batches as they are (Kafka's appendRecordsToFollowerOrFutureReplica):
   * offsets, leader epochs, timestamps and compression are kept; only framing and CRCs are
   * checked (CORRUPT_MESSAGE), and offsets must continue this log's end. The epoch cache
   * learns new epochs from the batches (Log.append) and the producer state each batch's
   * producer sequence, so this replica deduplicates retries correctly once it leads. A
   * trailing partial batch (a size-limited read) is left for the next fetch.
   */
  appendRecordsAsFollower(records: Buffer): FollowerAppendResult {
    if (!this.isFollower) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.localId} is not a follower of ${this.key} (${this.role.kind})`);
    let end = 0;
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = -1;
    while (end < records.length) {
      const problem = batchFramingProblem(records, end, records.length - end);
      if (problem === "truncated") break;
      if (problem) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Invalid batch at byte ${end} from the leader of ${this.key}: ${problem}`);
      const ts = batchMaxTimestamp(records, end);
      if (ts > maxTimestamp) {
        maxTimestamp = ts;
        offsetOfMaxTimestamp = batchLastOffset(records, end);
      }
      end += batchSize(records, end);
    }
    if (end === 0) return { firstOffset: -1, lastOffset: -1, bytes: 0 };
    const whole = end === records.length ? records : records.subarray(0, end);
    let lastOffset = -1;
    for (let p = 0; p < end; p += batchSize(whole, p)) lastOffset = batchLastOffset(whole, p);
    const firstOffset = batchBaseOffset(whole, 0);
    // Log.append checks framing, CRCs and that offsets ascend from the log end.
    this.log.append(whole, { firstOffset, lastOffset, maxTimestamp, offsetOfMaxTimestamp });
    for (let p = 0; p < end; p += batchSize(whole, p)) this.producers.update(producerBatchOf(whole, p));
    return { firstOffset, lastOffset, bytes: end };
  }

  /** The high watermark the leader sent, never above this log's end (Kafka's maybeUpdateHighWatermark). */
  updateFollowerHighWatermark(leaderHighWatermark: number): number {
    return this.log.updateHighWatermark(Math.min(leaderHighWatermark, this.log.logEndOffset));
  }

  /**
   * The leader's log start offset moved up (retention, DeleteRecords): so does this replica's,
   * up to its own high watermark (Kafka's maybeIncrementLogStartOffset on followers).
   */
  updateFollowerLogStartOffset(leaderLogStartOffset: number): void {
    const target = Math.min(leaderLogStartOffset, this.log.highWatermark);
    if (target > this.log.logStartOffset) this.log.deleteRecordsBefore(target);
  }

  /**
   * Removes this follower's log from `offset` on (a tail the leader does not have), and the
   * producer state learned from it.
   */
  truncateTo(offset: number): void {
    if (this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.key}: the leader does not truncate its log`);
    if (this.log.truncateTo(offset)) this.producers = ProducerStateManager.rebuild(this.log);
    // Nothing to remove, but an epoch this replica opened as leader and never wrote to starts
    // at the log end; kept, fetches would send it as the last fetched epoch and the leader,
    // which lacks it, would answer the same diverging epoch forever (Kafka's truncateTo
    // always trims the epoch cache).
    else this.log.leaderEpochCache.truncateFromEnd(this.log.logEndOffset);
  }

  /** Empties this follower's log and restarts it at `offset` (the leader's log start is past our end). */
  truncateFullyAndStartAt(offset: number): void {
    if (this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${this.key}: the leader does not truncate its log`);
    this.log.truncateFullyAndStartAt(offset);
    this.producers = ProducerStateManager.rebuild(this.log);
  }

  /**
   * Fetch v12+ from a replica that sent its last fetched epoch (Kafka's Partition.readRecords):
   * the end of that epoch in this leader's log. When this log has no such epoch (a smaller
   * one answers) or it ends before the fetch offset, the fetcher's log diverged: it gets
   * {epoch, endOffset} to truncate to and no records. Undefined when the logs agree.
   * OFFSET_OUT_OF_RANGE when the epoch is unknown here or the fetch offset is below the log
   * start.
   */
  divergingEpoch(lastFetchedEpoch: number, fetchOffset: number, currentLeaderEpoch: number): EpochEndOffset | undefined {
    if (lastFetchedEpoch < 0) return undefined;
    const end = this.lastOffsetForLeaderEpoch(lastFetchedEpoch, currentLeaderEpoch);
    if (end.endOffset < 0 || end.leaderEpoch < 0) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `Could not determine the end offset of the last fetched epoch ${lastFetchedEpoch} of ${this.key}`);
    }
    if (fetchOffset < this.log.logStartOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Received request for offset ${fetchOffset} for partition ${this.key}, but we only have log segments in the range ${this.log.logStartOffset} to ${this.log.logEndOffset}.`,
      );
    }
    if (end.leaderEpoch < lastFetchedEpoch || end.endOffset < fetchOffset) return { epoch: end.leaderEpoch, endOffset: end.endOffset };
    return undefined;
  }

  /** Validates, assigns offsets and appends a produce request's records as leader. */
  appendRecordsToLeader(records: Buffer, requiredAcks: number): LeaderAppendResult {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.localId} is not the leader of ${this.key}`);
    if (requiredAcks === -1 && this.isr.length < this.effectiveMinIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR [${this.isr.join(", ")}] is insufficient to satisfy the min.isr requirement of ${this.effectiveMinIsr} for partition ${this.key}`,
      );
    }
    const now = this.clock.now();
    const firstOffset = this.log.logEndOffset;
    const validated = validateAndAssignOffsets(records, {
      firstOffset: BigInt(firstOffset),
      leaderEpoch: this.leaderEpoch,
      now,
      timestampType: this.settings.timestampType,
      compacted: this.settings.compacted,
      maxMessageBytes: this.settings.maxMessageBytes,
      beforeMaxMs: this.settings.timestampBeforeMaxMs,
      afterMaxMs: this.settings.timestampAfterMaxMs,
      segmentBytes: this.log.config["segment.bytes"],
    });
    // Produce carries one batch per partition (the validator enforces it).
    const b = validated.batches[0]!;
    const batch: ProducerBatch = {
      producerId: Number(b.producerId),
      producerEpoch: b.producerEpoch,
      baseSequence: b.baseSequence,
      recordCount: b.recordCount,
      firstOffset: Number(b.baseOffset),
      lastOffset: Number(b.lastOffset),
      maxTimestamp: Number(b.maxTimestamp),
    };
    // A retried idempotent batch is answered with its original offsets, not appended again.
    const check = this.producers.check(batch);
    if (check.kind === "duplicate") {
      return { baseOffset: check.firstOffset, lastOffset: check.lastOffset, logAppendTime: -1, logStartOffset: this.log.logStartOffset };
    }
    const lastOffset = Number(validated.lastOffset);
    this.log.append(records, {
      firstOffset,
      lastOffset,
      maxTimestamp: Number(validated.maxTimestamp),
      offsetOfMaxTimestamp: Number(validated.offsetOfMaxTimestamp),
      crcVerified: true,
    });
    this.producers.update(batch);
    this.maybeIncrementHighWatermark();
    return {
      baseOffset: firstOffset,
      lastOffset,
      logAppendTime: this.settings.timestampType === "LogAppendTime" ? now : -1,
      logStartOffset: this.log.logStartOffset,
    };
  }

  /** Forgets idle idempotent producers (Kafka's producer.id.expiration.ms). */
  expireProducers(expirationMs: number): void {
    this.producers.expire(this.clock.now(), expirationMs);
  }

  /** min.insync.replicas, capped at the replication factor (Kafka's effectiveMinIsr). */
  private get effectiveMinIsr(): number {
    return Math.min(this.settings.minInsyncReplicas, this.remoteReplicas.size + 1);
  }

  /**
   * The high watermark moves up to the smallest log end offset among the ISR, and not at all
   * while the ISR is below min ISR, so nothing is committed on fewer copies than promised.
   */
  private maybeIncrementHighWatermark(): boolean {
    // The maximal ISR: a follower being added already counts (Kafka's rule), one being removed still does.
    const isr = this.isrState.maximalIsr;
    if (isr.length < this.effectiveMinIsr) return false;
    let hw = this.log.logEndOffset;
    for (const r of this.remoteReplicas.values()) {
      if (isr.includes(r.brokerId) && r.logEndOffset < hw) hw = r.logEndOffset;
    }
    if (hw <= this.log.highWatermark) return false;
    this.log.updateHighWatermark(hw);
    return true;
  }

  /**
   * A follower's fetch as leader (Kafka's fetchRecords from a follower): reads up to the log
   * end and records the follower's progress. Returns the read and whether the high watermark
   * moved, which completes waiting acks=-1 produces and fetches.
   */
  fetchFromFollower(
    replicaId: number,
    fetchOffset: number,
    followerLogStartOffset: number,
    maxBytes: number,
    minOneMessage: boolean,
    currentLeaderEpoch: number,
  ): { read: PartitionRead; highWatermarkMoved: boolean } {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `node ${this.localId} is not the leader of ${this.key}`);
    const replica = this.remoteReplicas.get(replicaId);
    if (!replica) {
      // A replica the leader does not know yet (a reassignment it has not seen) retries.
      const error = currentLeaderEpoch >= 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NOT_LEADER_OR_FOLLOWER;
      throw new KafkaError(error, `broker ${replicaId} is not a replica of ${this.key} (replicas ${this.replicas.join(",")})`);
    }
    const read = this.read(fetchOffset, maxBytes, "logEnd", minOneMessage, currentLeaderEpoch);
    replica.updateFetchState(fetchOffset, followerLogStartOffset, this.clock.now(), read.logEndOffset);
    this.maybeExpandIsr(replica);
    const highWatermarkMoved = this.maybeIncrementHighWatermark();
    return { read: highWatermarkMoved ? { ...read, highWatermark: this.log.highWatermark, lastStableOffset: this.log.highWatermark } : read, highWatermarkMoved };
  }

  /**
   * Whether an acks=-1 append ending before `requiredOffset` is done (Kafka's
   * checkEnoughReplicasReachOffset): done once the high watermark covers it, and refused
   * with NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below min ISR meanwhile, or with
   * NOT_LEADER_OR_FOLLOWER once this replica no longer leads.
   */
  replicationStatus(requiredOffset: number): "waiting" | "done" | "notEnoughReplicasAfterAppend" | "notLeader" {
    // Leadership moved on (follower or offline): Kafka answers NOT_LEADER_OR_FOLLOWER at once.
    if (!this.isLeader) return "notLeader";
    if (this.log.highWatermark < requiredOffset) return "waiting";
    return this.isrState.maximalIsr.length >= this.effectiveMinIsr ? "done" : "notEnoughReplicasAfterAppend";
  }

  // ---- ISR changes (leader) ----

  /**
   * Lets this partition, while it leads, propose ISR changes through `options.submitter`.
   * Without it (a single replica, or tests of other parts) the ISR changes only by metadata.
   */
  enableIsrChanges(options: IsrChangeOptions): void {
    this.isrChanges = options;
  }

  /**
   * The ISR followers that are not caught up within `maxLagMs` (Kafka's getOutOfSyncReplicas):
   * none known to this leader, or not at its log end and not caught up for longer than that.
   * Empty while a change is in flight.
   */
  outOfSyncReplicas(maxLagMs: number): number[] {
    if (!this.isLeader || this.isrState.isInflight) return [];
    const now = this.clock.now();
    const leaderEnd = this.log.logEndOffset;
    return this.isrState.isr.filter((id) => id !== this.localId && !(this.remoteReplicas.get(id)?.isCaughtUp(leaderEnd, now, maxLagMs) ?? false));
  }

  /**
   * Proposes removing the followers that lag more than replica.lag.time.max.ms (Kafka's
   * maybeShrinkIsr, run by the replica manager's isr-expiration task). Returns whether it did.
   */
  maybeShrinkIsr(): boolean {
    if (!this.isrChanges) return false;
    const outOfSync = this.outOfSyncReplicas(this.isrChanges.replicaLagTimeMaxMs);
    if (outOfSync.length === 0) return false;
    this.proposeIsr(
      this.isrState.shrink(outOfSync),
      outOfSync.map((id) => this.memberChange("shrink", id)),
    );
    return true;
  }

  /** How far follower `brokerId` is from this leader now: why it leaves or joins the ISR. */
  private memberChange(change: IsrMemberChange["change"], brokerId: number): IsrMemberChange {
    const now = this.clock.now();
    const follower = this.remoteReplicas.get(brokerId);
    const followerLogEndOffset = follower?.logEndOffset ?? UNKNOWN_OFFSET;
    const lastCaughtUpTimeMs = follower?.lastCaughtUpTimeMs ?? 0;
    const leaderLogEndOffset = this.log.logEndOffset;
    return {
      change,
      brokerId,
      followerLogEndOffset,
      leaderLogEndOffset,
      highWatermark: this.log.highWatermark,
      lastCaughtUpTimeMs,
      lagMs: now - lastCaughtUpTimeMs,
      offsetLag: followerLogEndOffset === UNKNOWN_OFFSET ? leaderLogEndOffset : leaderLogEndOffset - followerLogEndOffset,
      replicaLagTimeMaxMs: this.isrChanges?.replicaLagTimeMaxMs ?? 0,
    };
  }

  /**
   * After a follower's fetch (Kafka's maybeExpandIsr): a follower outside the ISR that may
   * join it, whose log end reached the high watermark and the start of this leader's epoch
   * (so it has everything this leader could have committed), is proposed for the ISR.
   */
  private maybeExpandIsr(replica: FollowerReplica): void {
    const changes = this.isrChanges;
    if (!changes || this.isrState.isInflight || this.isrState.isr.includes(replica.brokerId)) return;
    const end = replica.logEndOffset;
    if (end < this.log.highWatermark || this.leaderEpochStartOffset < 0 || end < this.leaderEpochStartOffset) return;
    if (!changes.isEligible(replica.brokerId)) return;
    this.proposeIsr(this.isrState.expand(replica.brokerId), [this.memberChange("expand", replica.brokerId)]);
  }

  /**
   * Enters the pending state and sends it with the reasons for it (reported once the
   * controller commits it); a refused submission returns to the committed state.
   */
  private proposeIsr(pending: IsrState, why: IsrMemberChange[]): void {
    const changes = this.isrChanges!;
    this.isrState = pending;
    const proposal: IsrProposal = {
      topic: this.topic,
      topicId: this.topicId,
      partition: this.index,
      leaderEpoch: this.leaderEpoch,
      partitionEpoch: this.partitionEpoch,
      // Followers' broker epochs are not known here yet (Fetch's ReplicaState): -1 skips the check.
      newIsr: pending.proposedIsr.map((brokerId) => ({ brokerId, brokerEpoch: brokerId === this.localId ? changes.localBrokerEpoch() : -1n })),
      leaderRecoveryState: pending.leaderRecoveryState,
      why,
    };
    const accepted = changes.submitter.submit(
      proposal,
      () => this.isrState === pending,
      (outcome) => this.applyIsrAnswer(pending, outcome),
    );
    // One is still queued for this partition (an older proposal): try again later.
    if (!accepted) this.isrState = pending.revert();
  }

  /**
   * The controller's answer to `pending` (Kafka's handleAlterPartitionUpdate/Error). Ignored
   * once newer metadata replaced the pending state. A committed ISR becomes the state unless
   * it is for another leader epoch or an older partition epoch; a refusal that says nothing
   * was applied (INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED) returns to the committed state;
   * other refusals (stale epochs, unknown partition) keep the pending state, so nothing else
   * is proposed until the metadata brings the partition's real state.
   */
  private applyIsrAnswer(pending: IsrState, outcome: IsrProposalOutcome): void {
    if (this.isrState !== pending || !this.isLeader) return;
    if (outcome.kind === "failed") {
      if (outcome.errorCode === ErrorCode.INELIGIBLE_REPLICA || outcome.errorCode === ErrorCode.OPERATION_NOT_ATTEMPTED) this.isrState = pending.revert();
      return;
    }
    if (outcome.leaderEpoch !== this.leaderEpoch || outcome.partitionEpoch < this.partitionEpoch) return;
    this.isrState = IsrState.committed(outcome.isr, outcome.leaderRecoveryState);
    this.partitionEpoch = outcome.partitionEpoch;
    // A shrink may let the high watermark move on.
    if (this.maybeIncrementHighWatermark()) this.isrChanges?.onHighWatermarkMoved();
  }

  /** What this leader knows of a follower (for ISR decisions and the console's lag view). */
  follower(brokerId: number): FollowerReplica | undefined {
    return this.remoteReplicas.get(brokerId);
  }

  get highWatermark(): number {
    return this.log.highWatermark;
  }

  /**
   * Kafka's answer to a client's ListOffsets while this leader's high watermark is still below
   * the start of its epoch (just elected, its followers not yet caught up): where the
   * committed log ends is not known yet, so OFFSET_NOT_AVAILABLE (retriable). Undefined otherwise.
   */
  laggingHighWatermarkError(): KafkaError | undefined {
    const start = this.leaderEpochStartOffset;
    if (start <= this.log.highWatermark) return undefined;
    return new KafkaError(
      ErrorCode.OFFSET_NOT_AVAILABLE,
      `Failed to fetch offsets for partition ${this.key} with leader epoch ${this.leaderEpoch} as this partition's high watermark (${this.log.highWatermark}) is lagging behind the start offset from the beginning of this epoch (${start}).`,
    );
  }

  /**
   * Reads for a consumer (up to the high watermark; read_committed stops at the last stable
   * offset, equal to the high watermark while there are no transactions) or a follower (to the
   * log end offset).
   */
  read(fetchOffset: number, maxBytes: number, upTo: "highWatermark" | "logEnd", minOneMessage: boolean, currentLeaderEpoch = -1): PartitionRead {
    this.checkLeaderEpoch(currentLeaderEpoch);
    const upperBound = upTo === "logEnd" ? this.log.logEndOffset : this.log.highWatermark;
    const { records } = this.log.read(fetchOffset, maxBytes, upperBound, minOneMessage);
    return {
      records,
      highWatermark: this.log.highWatermark,
      lastStableOffset: this.log.highWatermark,
      logStartOffset: this.log.logStartOffset,
      logEndOffset: this.log.logEndOffset,
    };
  }

  /** KIP-320: a client that knows a newer epoch than ours is ahead; an older one is fenced. */
  checkLeaderEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0) return;
    if (currentLeaderEpoch < this.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH);
    if (currentLeaderEpoch > this.leaderEpoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH);
  }

  /** OffsetForLeaderEpoch: the end offset of `epoch` (start of the next larger epoch, or LEO). */
  lastOffsetForLeaderEpoch(epoch: number, currentLeaderEpoch: number): { leaderEpoch: number; endOffset: number } {
    this.checkLeaderEpoch(currentLeaderEpoch);
    return this.log.endOffsetForEpoch(epoch) ?? { leaderEpoch: -1, endOffset: -1 };
  }

  /** DeleteRecords: moves the log start offset up to `offset` (-1 = the high watermark). */
  deleteRecordsBefore(offset: number): number {
    if (!this.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const target = offset === -1 ? this.log.highWatermark : offset;
    if (target < 0 || target > this.log.highWatermark) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot delete records of partition ${this.key} before offset ${offset}: the high watermark is ${this.log.highWatermark}`,
      );
    }
    this.log.deleteRecordsBefore(target);
    return this.log.logStartOffset;
  }
}
