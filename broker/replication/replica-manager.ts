import { ErrorCode, KafkaError, errorCodeOf } from "../protocol/errors.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { ConfigResourceType, parseConfigResourceKey, type MetadataImage, type TopicImage } from "../controller/metadata-image.ts";
import type { MetadataDelta } from "../controller/metadata-delta.ts";
import type { LogConfig } from "../log/log-config.ts";
import type { ConfigLayer } from "../log/log-manager.ts";
import type { Log } from "../log/log.ts";
import { Partition, type EpochEndOffset, type PartitionRead, type PartitionSettings } from "./partition.ts";
import { ReplicaFetcherManager, type ReplicaFetcherManagerOptions } from "./replica-fetcher-manager.ts";
import { Purgatory } from "./purgatory.ts";
import type { IsrChangeSubmitter } from "./alter-partition-manager.ts";
import { schedulePeriodic } from "../log/scheduler.ts";
import { RecordValidationError } from "../protocol/records/log-validator.ts";
import { replicaDeletionEvents } from "../events/replica-deletion-events.ts";
import type { StateChangeSink } from "../events/state-change.ts";

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ProduceResult extends TopicPartition {
  errorCode: number;
  errorMessage: string | null;
  /** Which batch (and why) failed validation, for the produce response (KIP-467). */
  recordErrors: { batchIndex: number; message: string }[];
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

export interface FetchPartitionRequest extends TopicPartition {
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** A follower's log start offset (-1 or absent from consumers). */
  logStartOffset?: number;
  /** The epoch of the fetcher's last fetched batch (Fetch v12+; -1 or absent: not sent). */
  lastFetchedEpoch?: number;
  /** The topic's id (Fetch v13+ names topics by id; replica fetchers send both). */
  topicId?: string;
}

export interface FetchParams {
  /** -1 for consumers; a broker id for follower fetches (reads up to the log end). */
  replicaId: number;
  /** The fetching broker's epoch (Fetch v15+ ReplicaState; -1 when unknown). */
  replicaEpoch?: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitions: FetchPartitionRequest[];
}

export interface FetchPartitionResult extends TopicPartition {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  records: Buffer | null;
  /** The fetcher's log diverged from this leader's: truncate to here first (no records). */
  divergingEpoch?: EpochEndOffset;
}

/** The logs of this node's partitions (the LogManager). */
export interface HostedLogs {
  getOrCreateLog(topic: string, partition: number, overrides?: ConfigLayer): Log;
  deleteLog(topic: string, partition: number): boolean;
  configFor(topic: string, overrides?: ConfigLayer): LogConfig;
  allLogs(): Log[];
}

/** How a topic's effective config (broker defaults under its overrides) reaches its partitions. */
export interface TopicSettings {
  overrides: ConfigLayer;
  settings: PartitionSettings;
}

export interface ReplicaManagerOptions {
  localId: number;
  clock: Clock & Timer;
  logs: HostedLogs;
  /** The settings of `topic` as the image configures it. */
  topicSettings: (image: MetadataImage, topic: string) => TopicSettings;
  /** This node started or stopped leading a partition (coordinators load or unload their state). */
  onLeadershipChange?: (topic: string, partition: number, leading: boolean) => void;
  /**
   * How leaders change their ISR through the controller (AlterPartition): shrink every
   * replica.lag.time.max.ms / 2 (Kafka's isr-expiration task), expand on follower fetches.
   * Without it ISRs change only by metadata.
   */
  isrChanges?: IsrChangesWiring;
  /**
   * How followers reach their leaders (replica fetchers). Without it a follower replica takes
   * the follower role but fetches nothing.
   */
  fetchers?: Omit<ReplicaFetcherManagerOptions, "localId" | "clock" | "partitions">;
  /** Where this node reports the replicas whose logs it deleted (the end of their deletion). */
  stateChanges?: StateChangeSink;
}

export interface IsrChangesWiring {
  /** The AlterPartitionManager. */
  submitter: IsrChangeSubmitter;
  replicaLagTimeMaxMs: number;
  /** This broker's registration epoch. */
  localBrokerEpoch: () => bigint;
  /** A failed shrink check. */
  onError?: (e: unknown) => void;
}

/**
 * The partitions this node hosts and the produce and fetch paths over them (Kafka's
 * ReplicaManager). Metadata changes reach the partitions here alone: `applyDelta` turns
 * each committed image into this node's local changes (create or delete a replica, lead,
 * follow). Fetches that find too little data wait in a purgatory until an append to one of
 * their partitions or their max wait; acks=-1 produces wait until the high watermark
 * covers them.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  private readonly fetchPurgatory: Purgatory;
  private readonly producePurgatory: Purgatory;
  /** The image last applied: tells a partition that exists elsewhere from one that does not. */
  private image: MetadataImage | null = null;
  private stopIsrExpiration: (() => void) | null = null;
  /** The replica fetchers of the partitions this node follows (none without `options.fetchers`). */
  readonly fetchers: ReplicaFetcherManager | null;

  constructor(private readonly options: ReplicaManagerOptions) {
    this.fetchPurgatory = new Purgatory(options.clock);
    this.producePurgatory = new Purgatory(options.clock);
    const isr = options.isrChanges;
    if (isr) {
      const every = Math.max(1, Math.floor(isr.replicaLagTimeMaxMs / 2));
      this.stopIsrExpiration = schedulePeriodic(options.clock, every, every, () => this.maybeShrinkIsrs(), isr.onError ?? (() => undefined));
    }
    this.fetchers = options.fetchers ? new ReplicaFetcherManager({ ...options.fetchers, localId: options.localId, clock: options.clock, partitions: this }) : null;
  }

  /**
   * Makes the hosted partitions match the image: creates logs and leads or follows the
   * partitions assigned here, updates their configs, and deletes the replicas that are no
   * longer assigned here (moved, or their topic deleted). With a delta only what it touched
   * is revisited, so a change costs what it changes even with many thousands of topics.
   */
  applyDelta(image: MetadataImage, delta?: MetadataDelta): void {
    this.image = image;
    for (const topic of topicsToRevisit(image, delta)) this.applyTopic(image, topic);
    for (const gone of delta?.deletedTopics.values() ?? []) {
      for (const index of gone.partitions.keys()) {
        const p = this.get(gone.name, index);
        if (p && p.topicId === gone.id) this.dropPartition(p, "topic deleted");
      }
    }
    this.fetchers?.shutdownIdleFetchers();
    if (!delta) {
      // Logs on disk for partitions the metadata no longer assigns here (deleted while down).
      for (const log of this.options.logs.allLogs()) {
        if (image.partition(log.topic, log.partition)?.replicas.includes(this.options.localId)) continue;
        this.deleteLog(log, "no longer assigned here (removed while this broker was down)", -1);
      }
    }
  }

  private applyTopic(image: MetadataImage, topic: TopicImage): void {
    const { localId, logs, clock } = this.options;
    const { overrides, settings } = this.options.topicSettings(image, topic.name);
    const startFetching: Partition[] = [];
    for (const [index, reg] of topic.partitions) {
      let p = this.get(topic.name, index);
      if (p && (p.topicId !== topic.id || !reg.replicas.includes(localId))) {
        // Moved away, or the same name for a new topic (deleted and re-created meanwhile).
        this.dropPartition(p, p.topicId !== topic.id ? "topic deleted" : "replica reassigned away");
        p = undefined;
      }
      if (!reg.replicas.includes(localId)) continue;
      if (!p) {
        p = new Partition(topic.name, index, topic.id, logs.getOrCreateLog(topic.name, index, overrides), settings, localId, clock);
        this.enableIsrChanges(p);
        this.add(p);
      } else {
        p.updateSettings(settings);
        p.log.updateConfig(logs.configFor(topic.name, overrides));
      }
      const wasLeader = p.isLeader;
      if (reg.leader === localId) {
        // A leader fetches from nobody; its fetcher (if it followed) stops first.
        this.fetchers?.removePartitions([p.key]);
        const highWatermark = p.highWatermark;
        p.makeLeader(reg.leaderEpoch, reg.partitionEpoch, [...reg.replicas], [...reg.isr]);
        // A smaller ISR may let the high watermark move: acks=-1 produces and fetches waiting on it complete.
        if (p.highWatermark > highWatermark) this.onHighWatermarkMoved(p.key);
      } else if (reg.leader < 0) {
        // No leader (fenced, shut down, no in-sync replica left): offline, nothing to fetch from.
        this.fetchers?.removePartitions([p.key]);
        if (p.role.kind !== "Offline" || reg.leaderEpoch > p.leaderEpoch) p.resign(-1, reg.leaderEpoch, reg.partitionEpoch);
      } else if (p.makeFollower(reg.leader, reg.leaderEpoch, reg.partitionEpoch, [...reg.replicas], [...reg.isr])) {
        // A new leader or leader epoch: (re)start fetching from the leader, from this log's end.
        startFetching.push(p);
      }
      if (p.isLeader !== wasLeader) {
        this.options.onLeadershipChange?.(topic.name, index, p.isLeader);
        // No longer leading: waiting acks=-1 produces and fetches answer now (Kafka's makeFollowers).
        if (wasLeader) this.completeDelayed(p.key);
      }
    }
    if (startFetching.length > 0) this.fetchers?.addPartitions(startFetching);
  }

  /** Lets `p` propose ISR changes while it leads (when this node is wired for them). */
  private enableIsrChanges(p: Partition): void {
    const isr = this.options.isrChanges;
    if (!isr) return;
    const key = p.key;
    p.enableIsrChanges({
      submitter: isr.submitter,
      replicaLagTimeMaxMs: isr.replicaLagTimeMaxMs,
      localBrokerEpoch: isr.localBrokerEpoch,
      // Kafka's isReplicaIsrEligible: registered, unfenced, not in controlled shutdown.
      isEligible: (brokerId) => this.image?.isActiveBroker(brokerId) ?? false,
      onHighWatermarkMoved: () => this.onHighWatermarkMoved(key),
    });
  }

  /** Kafka's isr-expiration task: every leader proposes dropping followers that lag too long. */
  maybeShrinkIsrs(): void {
    for (const p of this.partitions.values()) {
      if (!p.isLeader) continue;
      try {
        p.maybeShrinkIsr();
      } catch (e) {
        this.options.isrChanges?.onError?.(e);
      }
    }
  }

  private dropPartition(p: Partition, cause: string): void {
    if (p.isLeader) this.options.onLeadershipChange?.(p.topic, p.index, false);
    this.fetchers?.removePartitions([p.key]);
    this.remove(p.topic, p.index);
    this.deleteLog(p.log, cause, p.leaderEpoch);
  }

  /** Deletes a replica's log and reports it (once: only a log that was still here is reported). */
  private deleteLog(log: Log, cause: string, epoch: number): void {
    const details = { logEndOffset: log.logEndOffset, sizeBytes: log.size };
    if (!this.options.logs.deleteLog(log.topic, log.partition)) return;
    for (const e of replicaDeletionEvents(log.topic, log.partition, this.options.localId, cause, details, epoch)) this.options.stateChanges?.(e);
  }

  get(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(`${topic}-${partition}`);
  }
  /** Hosts `p` (applyDelta, and tests that build partitions by hand). */
  add(p: Partition): void {
    this.partitions.set(p.key, p);
  }
  private remove(topic: string, partition: number): void {
    const key = `${topic}-${partition}`;
    this.partitions.delete(key);
    // Waiting fetches and produces see the partition gone and answer with an error.
    this.completeDelayed(key);
  }
  all(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /**
   * The partition if this node hosts it (Kafka's getPartitionOrException). A partition that
   * exists but lives elsewhere is NOT_LEADER_OR_FOLLOWER, so clients refresh their metadata
   * and go to its leader; UNKNOWN_TOPIC_OR_PARTITION means it does not exist at all.
   */
  partitionOrError(topic: string, partition: number): Partition {
    const p = this.get(topic, partition);
    if (p) return p;
    const error = this.image?.partition(topic, partition) ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    throw new KafkaError(error, `Error while fetching partition state for ${topic}-${partition}`);
  }

  /** The partition if this node leads it; NOT_LEADER_OR_FOLLOWER or UNKNOWN_TOPIC_OR_PARTITION otherwise. */
  leaderPartition(topic: string, partition: number): Partition {
    const p = this.partitionOrError(topic, partition);
    if (!p.isLeader) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This server is not the leader for ${topic}-${partition}`);
    return p;
  }

  /** The partition's leader and epoch as the metadata has them (-1, -1 when unknown), for clients to go there (KIP-951). */
  currentLeader(topic: string, partition: number): { leaderId: number; leaderEpoch: number } {
    const reg = this.image?.partition(topic, partition);
    if (reg) return { leaderId: reg.leader, leaderEpoch: reg.leaderEpoch };
    const p = this.get(topic, partition);
    return { leaderId: p?.leaderId ?? -1, leaderEpoch: p?.leaderEpoch ?? -1 };
  }

  /** Appends each partition's records; with acks=-1 waits until the ISR has them or the timeout. */
  async appendRecords(requiredAcks: number, timeoutMs: number, entries: (TopicPartition & { records: Buffer | null })[]): Promise<ProduceResult[]> {
    const results = entries.map((e): ProduceResult & { lastOffset: number } => {
      try {
        if (!e.records || e.records.length === 0) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, "empty record set");
        const p = this.leaderPartition(e.topic, e.partition);
        const r = p.appendRecordsToLeader(e.records, requiredAcks);
        this.fetchPurgatory.checkAndComplete(p.key);
        return { topic: e.topic, partition: e.partition, errorCode: 0, errorMessage: null, recordErrors: [], ...r };
      } catch (err) {
        return {
          topic: e.topic,
          partition: e.partition,
          errorCode: errorCodeOf(err),
          errorMessage: err instanceof Error ? err.message : String(err),
          recordErrors: err instanceof RecordValidationError ? err.recordErrors : [],
          baseOffset: -1,
          lastOffset: -1,
          logAppendTime: -1,
          logStartOffset: -1,
        };
      }
    });
    if (requiredAcks === -1) await this.awaitReplication(results, timeoutMs);
    return results.map(({ lastOffset: _last, ...r }) => r);
  }

  private awaitReplication(results: (ProduceResult & { lastOffset: number })[], timeoutMs: number): Promise<void> {
    const pending = results.filter((r) => r.errorCode === 0);
    // A replica gone from this node answers as one that no longer leads (Kafka's getPartitionOrError).
    const status = (r: ProduceResult & { lastOffset: number }) => this.get(r.topic, r.partition)?.replicationStatus(r.lastOffset + 1) ?? "notLeader";
    const settle = (r: ProduceResult & { lastOffset: number }, s: ReturnType<typeof status>) => {
      if (s === "waiting") Object.assign(r, { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: "timed out waiting for in-sync replicas" });
      if (s === "notEnoughReplicasAfterAppend") {
        Object.assign(r, { errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, errorMessage: "the in-sync replicas fell below min.insync.replicas after the append" });
      }
      if (s === "notLeader") Object.assign(r, { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: `This server is no longer the leader for ${r.topic}-${r.partition}` });
    };
    return new Promise((resolve) => {
      this.producePurgatory.tryCompleteElseWatch(
        {
          tryComplete: () => {
            const statuses = pending.map(status);
            if (statuses.includes("waiting")) return false;
            pending.forEach((r, i) => settle(r, statuses[i]!));
            resolve();
            return true;
          },
          expire: () => {
            for (const r of pending) settle(r, status(r));
            resolve();
          },
        },
        pending.map((r) => `${r.topic}-${r.partition}`),
        timeoutMs,
      );
    });
  }

  /** Reads every requested partition; waits for minBytes up to maxWaitMs (a delayed fetch). */
  fetchMessages(params: FetchParams): Promise<FetchPartitionResult[]> {
    return new Promise((resolve) => {
      let latest = this.readAll(params);
      // Errors and diverging epochs are answered at once (Kafka: errorReadingData, hasDivergingEpoch).
      const enough = () => latest.some((r) => r.errorCode !== 0 || r.divergingEpoch !== undefined) || totalBytes(latest) >= params.minBytes;
      if (params.maxWaitMs <= 0 || params.partitions.length === 0 || enough()) {
        resolve(latest);
        return;
      }
      this.fetchPurgatory.tryCompleteElseWatch(
        {
          tryComplete: () => {
            latest = this.readAll(params);
            if (!enough()) return false;
            resolve(latest);
            return true;
          },
          expire: () => resolve(this.readAll(params)),
        },
        params.partitions.map((p) => `${p.topic}-${p.partition}`),
        params.maxWaitMs,
      );
    });
  }

  private readAll(params: FetchParams): FetchPartitionResult[] {
    let budget = params.maxBytes;
    let minOneMessage = true;
    return params.partitions.map((req) => {
      const base = { topic: req.topic, partition: req.partition };
      try {
        const p = this.leaderPartition(req.topic, req.partition);
        // Fetch v12+: a fetcher whose log diverged from this one truncates before it reads
        // (an unknown replica is refused by fetchFromFollower instead, as Kafka checks it first).
        const lastFetchedEpoch = req.lastFetchedEpoch ?? -1;
        if (lastFetchedEpoch >= 0 && (params.replicaId < 0 || p.follower(params.replicaId))) {
          const { highWatermark, log } = p;
          const divergingEpoch = p.divergingEpoch(lastFetchedEpoch, req.fetchOffset, req.currentLeaderEpoch);
          if (divergingEpoch) {
            return { ...base, errorCode: 0, highWatermark, lastStableOffset: highWatermark, logStartOffset: log.logStartOffset, records: EMPTY, divergingEpoch };
          }
        }
        const maxBytes = Math.min(req.maxBytes, budget);
        let read: PartitionRead;
        if (params.replicaId >= 0) {
          const fetched = p.fetchFromFollower(params.replicaId, req.fetchOffset, req.logStartOffset ?? -1, maxBytes, minOneMessage, req.currentLeaderEpoch);
          if (fetched.highWatermarkMoved) this.onHighWatermarkMoved(p.key);
          read = fetched.read;
        } else {
          read = p.read(req.fetchOffset, maxBytes, "highWatermark", minOneMessage, req.currentLeaderEpoch);
        }
        if (read.records.length > 0) {
          budget = Math.max(0, budget - read.records.length);
          minOneMessage = false;
        }
        return { ...base, errorCode: 0, highWatermark: read.highWatermark, lastStableOffset: read.lastStableOffset, logStartOffset: read.logStartOffset, records: read.records };
      } catch (err) {
        const p = this.get(req.topic, req.partition);
        return {
          ...base,
          errorCode: errorCodeOf(err),
          highWatermark: p?.highWatermark ?? -1,
          lastStableOffset: p?.highWatermark ?? -1,
          logStartOffset: p?.log.logStartOffset ?? -1,
          records: null,
        };
      }
    });
  }

  /**
   * A follower's fetch moved a high watermark: acks=-1 produces and consumer fetches waiting
   * on it may complete. Deferred, since the fetch that moved it may itself be one of the
   * waiting operations being checked.
   */
  private onHighWatermarkMoved(key: string): void {
    queueMicrotask(() => {
      this.producePurgatory.checkAndComplete(key);
      this.fetchPurgatory.checkAndComplete(key);
    });
  }

  private completeDelayed(key: string): void {
    this.fetchPurgatory.checkAndComplete(key);
    this.producePurgatory.checkAndComplete(key);
  }

  /** Completes every waiting operation (shutdown). */
  shutdown(): void {
    this.stopIsrExpiration?.();
    this.stopIsrExpiration = null;
    this.fetchers?.shutdown();
    this.fetchPurgatory.expireAll();
    this.producePurgatory.expireAll();
  }
}

/**
 * The topics whose partitions a change may affect here: all of them for a full image or a
 * broker config change (defaults under every topic), otherwise the changed topics and those
 * whose config changed.
 */
function* topicsToRevisit(image: MetadataImage, delta: MetadataDelta | undefined): Generator<TopicImage> {
  const changedResources = [...(delta?.changedConfigs ?? [])].map(parseConfigResourceKey);
  if (!delta || changedResources.some((r) => r.type === ConfigResourceType.BROKER)) {
    yield* image.topicsByName.values();
    return;
  }
  const touched = new Set([...delta.changedTopics.values()].map((t) => t.name));
  for (const r of changedResources) if (r.type === ConfigResourceType.TOPIC) touched.add(r.name);
  for (const name of touched) {
    const topic = image.topic(name);
    if (topic) yield topic;
  }
}

const EMPTY = Buffer.alloc(0);

function totalBytes(results: FetchPartitionResult[]): number {
  let n = 0;
  for (const r of results) n += r.records?.length ?? 0;
  return n;
}
