import { ErrorCode, errorCodeOf } from "../protocol/errors.ts";
import type { Clock, Timer } from "../util/clock.ts";
import type { EpochEndOffset, Partition } from "./partition.ts";
import type { FetchParams, FetchPartitionResult, TopicPartition } from "./replica-manager.ts";

/**
 * The leader as a replica fetcher sees it (Kafka's LeaderEndPoint): Fetch, and the leader's
 * earliest and latest offsets (ListOffsets as a replica) for OFFSET_OUT_OF_RANGE. Failures
 * throw; a KafkaError carries the leader's error code. Over the wire to a remote broker in a
 * cluster, in process (another ReplicaManager) in tests.
 */
export interface LeaderEndpoint {
  /** The broker this endpoint reaches. */
  readonly brokerId: number;
  fetch(request: FetchParams): Promise<FetchPartitionResult[]>;
  /** The leader's log start offset. */
  fetchEarliestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number>;
  /** The leader's log end offset. */
  fetchLatestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number>;
  close(): void;
}

/** Kafka's replica.fetch.* settings. */
export interface ReplicaFetchConfig {
  /** replica.fetch.wait.max.ms */
  maxWaitMs: number;
  /** replica.fetch.min.bytes */
  minBytes: number;
  /** replica.fetch.max.bytes: per partition. */
  partitionMaxBytes: number;
  /** replica.fetch.response.max.bytes: per request. */
  responseMaxBytes: number;
  /** replica.fetch.backoff.ms: after an error, and between idle rounds. */
  backoffMs: number;
}

/**
 * Where one partition's fetching stands (Kafka's PartitionFetchState):
 * - `Fetching`: the next Fetch asks for `fetchOffset` (this log's end);
 * - `Truncating`: the leader answered with a diverging epoch; the log is truncated before
 *   the next fetch, then it fetches again;
 * - `Delayed`: an error; it resumes `Fetching` at `untilMs` (replica.fetch.backoff.ms).
 * A partition fenced by the leader (its epoch is stale) leaves the fetcher until the next
 * metadata change adds it back.
 */
export type FetchStateKind =
  | { readonly kind: "Fetching" }
  | { readonly kind: "Truncating"; readonly divergingEpoch: EpochEndOffset }
  | { readonly kind: "Delayed"; readonly untilMs: number; readonly reason: string };

export interface PartitionFetchState {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  /** The leader epoch this replica follows; sent as currentLeaderEpoch. */
  readonly currentLeaderEpoch: number;
  /** This log's end when the state was made; a response for another offset is stale. */
  readonly fetchOffset: number;
  /** The epoch of the last batch in this log (-1: none), sent as lastFetchedEpoch. */
  readonly lastFetchedEpoch: number;
  readonly state: FetchStateKind;
}

/** The local replicas a fetcher appends to (the ReplicaManager). */
export interface FollowerPartitions {
  get(topic: string, partition: number): Partition | undefined;
}

export interface FetcherLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ReplicaFetcherOptions {
  localId: number;
  /** This broker's epoch, sent in ReplicaState (-1 when unknown). */
  brokerEpoch: () => number;
  fetcherId: number;
  endpoint: LeaderEndpoint;
  config: ReplicaFetchConfig;
  partitions: FollowerPartitions;
  clock: Clock & Timer;
  logger?: FetcherLogger;
  /** Called after a fetch round (tests and metrics). */
  onRound?: () => void;
}

const SILENT: FetcherLogger = { info: () => {}, warn: () => {} };

/** Errors after which the partition retries after a backoff (the leader moved, or is moving). */
const RETRIABLE_LEADER_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
]);

/**
 * One replica fetcher (Kafka's ReplicaFetcherThread + AbstractFetcherThread): copies many
 * partitions from one source broker, one Fetch for all of them at a time, as that broker's
 * follower. Each round it truncates partitions whose log diverged, sends one Fetch for
 * those ready (fetch offset = log end, lastFetchedEpoch = the log's latest epoch), then
 * appends what each partition got and takes the leader's high watermark and log start.
 * Runs as an async loop on the injected clock until `shutdown`.
 */
export class ReplicaFetcher {
  private readonly states = new Map<string, PartitionFetchState>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly logger: FetcherLogger;
  /** Partitions removed after the leader fenced their epoch, until a metadata change re-adds them. */
  readonly failedPartitions = new Set<string>();

  constructor(private readonly options: ReplicaFetcherOptions) {
    this.logger = options.logger ?? SILENT;
  }

  get sourceBrokerId(): number {
    return this.options.endpoint.brokerId;
  }
  get fetcherId(): number {
    return this.options.fetcherId;
  }
  get partitionCount(): number {
    return this.states.size;
  }
  get isRunning(): boolean {
    return this.running;
  }

  state(key: string): PartitionFetchState | undefined {
    return this.states.get(key);
  }
  partitionKeys(): string[] {
    return [...this.states.keys()];
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Fetches `partition` from its log end in its current leader epoch. A partition already
   * here in the same epoch keeps its state (Kafka's addPartitions).
   */
  addPartitions(partitions: readonly Partition[]): void {
    for (const p of partitions) {
      this.failedPartitions.delete(p.key);
      const current = this.states.get(p.key);
      if (current && current.currentLeaderEpoch === p.leaderEpoch) continue;
      this.states.set(p.key, this.fetchingState(p, p.leaderEpoch, p.topicId));
    }
    this.signal();
  }

  /** Stops fetching these partitions (by `topic-partition` key); returns their last states. */
  removePartitions(keys: Iterable<string>): PartitionFetchState[] {
    const removed: PartitionFetchState[] = [];
    for (const key of keys) {
      const s = this.states.get(key);
      if (s) removed.push(s);
      this.states.delete(key);
      this.failedPartitions.delete(key);
    }
    return removed;
  }

  /** Stops the loop and closes the connection; an in-flight fetch's answer is dropped. */
  shutdown(): void {
    this.running = false;
    this.states.clear();
    this.options.endpoint.close();
    this.signal();
  }

  /** Resolves when the loop has stopped (after `shutdown`). */
  awaitShutdown(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    // Never run inside the caller (a metadata change being applied).
    await Promise.resolve();
    while (this.running) {
      try {
        await this.doWork();
      } catch (e) {
        this.logger.warn(`replica fetcher ${this.describe()}: ${e instanceof Error ? e.message : String(e)}`);
        await this.idle(this.options.config.backoffMs);
      }
      this.options.onRound?.();
    }
  }

  private async doWork(): Promise<void> {
    this.truncateDiverged();
    const now = this.options.clock.now();
    const ready: PartitionFetchState[] = [];
    let nextReadyAt = Infinity;
    for (const [key, s] of this.states) {
      if (s.state.kind === "Delayed") {
        if (s.state.untilMs <= now) this.states.set(key, { ...s, state: FETCHING });
        else {
          nextReadyAt = Math.min(nextReadyAt, s.state.untilMs);
          continue;
        }
      }
      if (this.states.get(key)!.state.kind === "Fetching") ready.push(this.states.get(key)!);
    }
    if (ready.length === 0) {
      // Nothing to fetch: wait for a partition (woken by addPartitions) or a delay to end.
      await this.idle(Math.min(this.options.config.backoffMs, nextReadyAt - now));
      return;
    }
    await this.fetchRound(ready);
  }

  private async fetchRound(ready: PartitionFetchState[]): Promise<void> {
    const { config, localId, brokerEpoch, endpoint } = this.options;
    const request: FetchParams = {
      replicaId: localId,
      replicaEpoch: brokerEpoch(),
      maxWaitMs: config.maxWaitMs,
      minBytes: config.minBytes,
      maxBytes: config.responseMaxBytes,
      partitions: ready.map((s) => ({
        topic: s.topic,
        partition: s.partition,
        topicId: s.topicId,
        fetchOffset: s.fetchOffset,
        logStartOffset: this.options.partitions.get(s.topic, s.partition)?.log.logStartOffset ?? -1,
        maxBytes: config.partitionMaxBytes,
        currentLeaderEpoch: s.currentLeaderEpoch,
        lastFetchedEpoch: s.lastFetchedEpoch,
      })),
    };
    let results: FetchPartitionResult[];
    try {
      results = await endpoint.fetch(request);
    } catch (e) {
      if (!this.running) return;
      const reason = `fetch from broker ${endpoint.brokerId} failed: ${e instanceof Error ? e.message : String(e)}`;
      this.logger.warn(`replica fetcher ${this.describe()}: ${reason}`);
      this.delay(ready, reason);
      await this.idle(config.backoffMs);
      return;
    }
    if (!this.running) return;
    const sent = new Map(ready.map((s) => [`${s.topic}-${s.partition}`, s]));
    for (const r of results) {
      const key = `${r.topic}-${r.partition}`;
      const requested = sent.get(key);
      const current = this.states.get(key);
      // Removed, re-added in another epoch or truncated while the fetch was out: stale.
      if (!requested || current !== requested) continue;
      await this.processPartition(key, current, r);
    }
  }

  private async processPartition(key: string, s: PartitionFetchState, r: FetchPartitionResult): Promise<void> {
    const p = this.options.partitions.get(s.topic, s.partition);
    if (!p || !p.isFollower || p.leaderEpoch !== s.currentLeaderEpoch) {
      // The metadata moved on; its next change re-adds or removes the partition here.
      this.delay([s], `${key} is no longer a follower in epoch ${s.currentLeaderEpoch}`);
      return;
    }
    if (r.errorCode === ErrorCode.NONE) {
      if (r.divergingEpoch && (r.divergingEpoch.epoch >= 0 || r.divergingEpoch.endOffset >= 0)) {
        // Truncate before anything else; the high watermark waits for the next fetch.
        this.states.set(key, { ...s, state: { kind: "Truncating", divergingEpoch: r.divergingEpoch } });
        return;
      }
      try {
        if (r.records && r.records.length > 0) p.appendRecordsAsFollower(r.records);
        p.updateFollowerHighWatermark(r.highWatermark);
        if (r.logStartOffset >= 0) p.updateFollowerLogStartOffset(r.logStartOffset);
        this.states.set(key, this.fetchingState(p, s.currentLeaderEpoch, s.topicId));
      } catch (e) {
        // A corrupt batch, or appending past a hole: retry the fetch after a backoff.
        const reason = `cannot append to ${key} at offset ${s.fetchOffset}: ${e instanceof Error ? e.message : String(e)}`;
        this.logger.warn(`replica fetcher ${this.describe()}: ${reason}`);
        this.delay([s], reason);
      }
      return;
    }
    if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      await this.handleOutOfRange(key, s, p);
      return;
    }
    if (r.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
      this.onFenced(key, s);
      return;
    }
    const reason = `leader answered ${errorName(r.errorCode)} for ${key}`;
    if (!RETRIABLE_LEADER_ERRORS.has(r.errorCode)) this.logger.warn(`replica fetcher ${this.describe()}: ${reason}`);
    this.delay([s], reason);
  }

  /**
   * The leader's epoch is newer than the one this replica follows (Kafka's onPartitionFenced
   * for an unchanged epoch): stop fetching until the metadata brings the new epoch.
   */
  private onFenced(key: string, s: PartitionFetchState): void {
    this.logger.info(`${key}: leader epoch ${s.currentLeaderEpoch} is fenced by the leader; waiting for the new metadata`);
    this.states.delete(key);
    this.failedPartitions.add(key);
  }

  /**
   * OFFSET_OUT_OF_RANGE (Kafka's fetchOffsetAndTruncate): when the leader's log ends below
   * ours (an unclean election), truncate to its end; when its log starts above our end
   * (records deleted while we were away), empty ours and start at its start; otherwise
   * fetch again from our end.
   */
  private async handleOutOfRange(key: string, s: PartitionFetchState, p: Partition): Promise<void> {
    const { endpoint } = this.options;
    const tp = { topic: s.topic, partition: s.partition };
    try {
      const leaderEnd = await endpoint.fetchLatestOffset(tp, s.currentLeaderEpoch);
      if (this.states.get(key) !== s) return;
      if (leaderEnd < p.log.logEndOffset) {
        this.logger.warn(`${key}: reset fetch offset from ${p.log.logEndOffset} to the leader's end offset ${leaderEnd}`);
        p.truncateTo(leaderEnd);
      } else {
        const leaderStart = await endpoint.fetchEarliestOffset(tp, s.currentLeaderEpoch);
        if (this.states.get(key) !== s) return;
        if (leaderStart > p.log.logEndOffset) {
          this.logger.warn(`${key}: the leader's log starts at ${leaderStart}, past this replica's end ${p.log.logEndOffset}: truncating fully`);
          p.truncateFullyAndStartAt(leaderStart);
        }
      }
      this.states.set(key, this.fetchingState(p, s.currentLeaderEpoch, s.topicId));
    } catch (e) {
      if (this.states.get(key) !== s) return;
      if (errorCodeOf(e) === ErrorCode.FENCED_LEADER_EPOCH) return this.onFenced(key, s);
      this.delay([s], `cannot find the leader's offsets for ${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Partitions whose fetch came back with a diverging epoch: truncate (Kafka's
   * getOffsetTruncationState) to the end of that epoch in both logs, capped at this log's
   * end. When this log does not have the leader's epoch, it truncates to the end of its
   * largest smaller epoch and the next fetch (with that epoch) tells whether more must go.
   */
  private truncateDiverged(): void {
    for (const [key, s] of this.states) {
      if (s.state.kind !== "Truncating") continue;
      const p = this.options.partitions.get(s.topic, s.partition);
      if (!p || !p.isFollower) {
        this.delay([s], `${key} is no longer a follower`);
        continue;
      }
      const target = truncationOffset(p, s.state.divergingEpoch);
      try {
        if (target < p.log.logEndOffset) {
          this.logger.info(`${key}: truncating to ${target} (leader's epoch ${s.state.divergingEpoch.epoch} ends at ${s.state.divergingEpoch.endOffset})`);
        }
        // Even at the log end: an epoch this replica opened as leader without writing to it must go.
        p.truncateTo(target);
        this.states.set(key, this.fetchingState(p, s.currentLeaderEpoch, s.topicId));
      } catch (e) {
        this.delay([s], `cannot truncate ${key} to ${target}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private fetchingState(p: Partition, currentLeaderEpoch: number, topicId: string): PartitionFetchState {
    return {
      topic: p.topic,
      partition: p.index,
      topicId,
      currentLeaderEpoch,
      fetchOffset: p.log.logEndOffset,
      lastFetchedEpoch: p.log.latestEpoch(),
      state: FETCHING,
    };
  }

  private delay(states: readonly PartitionFetchState[], reason: string): void {
    const untilMs = this.options.clock.now() + this.options.config.backoffMs;
    for (const s of states) {
      const key = `${s.topic}-${s.partition}`;
      const current = this.states.get(key);
      if (!current || current.currentLeaderEpoch !== s.currentLeaderEpoch || current.state.kind === "Delayed") continue;
      this.states.set(key, { ...current, state: { kind: "Delayed", untilMs, reason } });
    }
  }

  /** Waits `ms` on the injected timer, or until woken (a partition added, shutdown). */
  private idle(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      let cancel: () => void = () => {};
      const done = () => {
        cancel();
        if (this.wake === done) this.wake = null;
        resolve();
      };
      this.wake = done;
      cancel = this.options.clock.schedule(Math.max(0, ms), done);
    });
  }

  private signal(): void {
    this.wake?.();
  }

  private describe(): string {
    return `${this.options.localId}->${this.sourceBrokerId}#${this.options.fetcherId}`;
  }
}

const FETCHING: FetchStateKind = { kind: "Fetching" };

/**
 * The offset to truncate to after the leader answered `leader` (Kafka's
 * getOffsetTruncationState, with truncation on fetch).
 */
export function truncationOffset(p: Partition, leader: EpochEndOffset): number {
  const logEnd = p.log.logEndOffset;
  if (leader.endOffset < 0) return logEnd;
  if (leader.epoch < 0) return Math.min(leader.endOffset, logEnd);
  const local = p.log.endOffsetForEpoch(leader.epoch);
  // This log has no epoch up to the leader's: only the leader's offset is known to be shared.
  if (!local) return Math.min(leader.endOffset, logEnd);
  // This log lacks the leader's epoch: cut back to its largest smaller epoch's end first.
  if (local.leaderEpoch !== leader.epoch) return Math.min(local.endOffset, logEnd);
  return Math.min(local.endOffset, leader.endOffset, logEnd);
}

function errorName(code: number): string {
  const entry = Object.entries(ErrorCode).find(([, v]) => v === code);
  return entry ? entry[0] : `error ${code}`;
}

