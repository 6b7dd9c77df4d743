import type { BrokerConfig } from "../config/broker-config.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { schedulePeriodic } from "../log/scheduler.ts";
import { type Clock, systemClock, type Timer } from "../util/clock.ts";
import { BrokerSessions } from "./broker-sessions.ts";
import {
  type BrokerHeartbeatCommand,
  type BrokerHeartbeatReply,
  type BrokerRegistrationReply,
  fenceBroker,
  processBrokerHeartbeat,
  registerBroker,
  type RegisterBrokerCommand,
} from "./cluster-control.ts";
import {
  type AlterConfigsCommand,
  type AlterConfigsResource,
  type AlterConfigsResourceResult,
  alterConfigs,
  type IncrementalAlterConfigsResource,
  incrementalAlterConfigs,
} from "./configuration-control.ts";
import type { ControlContext, ControllerResult } from "./controller-result.ts";
import { DeferredControllerTask } from "./deferred-controller-task.ts";
import { ElectionCause, ElectionCauses } from "./election-causes.ts";
import {
  balancePartitionLeaders,
  type ElectLeadersCommand,
  type ElectLeadersTopicResult,
  ElectionType,
  electLeaders,
  hasImbalancedPartitions,
} from "./leader-election-control.ts";
import { MetadataDelta } from "./metadata-delta.ts";
import { MetadataImage, NO_LEADER } from "./metadata-image.ts";
import { metadataRecord } from "./metadata-record-serde.ts";
import { BOOTSTRAP_METADATA_VERSION, METADATA_VERSION_FEATURE } from "./metadata-version.ts";
import { allocateProducerIds, type ProducerIdsBlock } from "./producer-id-control.ts";
import type { CommittedBatch, LeaderAndEpoch, MetadataQuorum, QuorumListener } from "./quorum/metadata-quorum.ts";
import {
  type AlterPartitionCommand,
  type AlterPartitionReply,
  alterPartition,
  type CreatableTopicResult,
  type CreatePartitionsCommand,
  type CreatePartitionsTopicResult,
  type CreateTopicsCommand,
  createPartitions,
  createTopics,
  type DeletableTopicResult,
  type DeleteTopicsCommand,
  deleteTopics,
  electUncleanLeaders,
  hasLeaderlessPartitions,
} from "./replication-control.ts";
import {
  type AlterPartitionReassignmentsCommand,
  alterPartitionReassignments,
  listPartitionReassignments,
  type OngoingTopicReassignment,
  type ReassignableTopicResult,
} from "./reassignment-control.ts";
import { randomUuid } from "./uuid.ts";

export interface QuorumControllerOptions {
  nodeId: number;
  clusterId: string;
  quorum: MetadataQuorum;
  /** This node's configuration: topic defaults, delete.topic.enable, config validation. */
  config: BrokerConfig;
  /** Placement randomness; inject a seeded one for reproducible tests. */
  random?: () => number;
  newUuid?: () => string;
  /** In combined mode, this node's broker registration, committed at every start. */
  registration?: Omit<RegisterBrokerCommand, "brokerId">;
  /** Drives broker sessions (broker.session.timeout.ms) while this controller is active. */
  clock?: Clock & Timer;
  /** Reports a failure of the periodic session check. */
  onError?: (e: unknown) => void;
}

/**
 * The commands a broker sends its controller: carried out in-process by the controller in a
 * combined node, or over the wire by a broker-only node (remote-controller.ts).
 */
export interface ControllerApi {
  createTopics(cmd: CreateTopicsCommand): Promise<CreatableTopicResult[]>;
  deleteTopics(cmd: DeleteTopicsCommand): Promise<DeletableTopicResult[]>;
  createPartitions(cmd: CreatePartitionsCommand): Promise<CreatePartitionsTopicResult[]>;
  alterConfigs(cmd: AlterConfigsCommand<AlterConfigsResource>): Promise<AlterConfigsResourceResult[]>;
  incrementalAlterConfigs(cmd: AlterConfigsCommand<IncrementalAlterConfigsResource>): Promise<AlterConfigsResourceResult[]>;
  allocateProducerIds(brokerId: number, brokerEpoch: bigint): Promise<ProducerIdsBlock>;
  registerBroker(cmd: RegisterBrokerCommand): Promise<BrokerRegistrationReply>;
  brokerHeartbeat(cmd: BrokerHeartbeatCommand): Promise<BrokerHeartbeatReply>;
  /** A partition leader's ISR change; STALE_BROKER_EPOCH (thrown) if its broker epoch is not current. */
  alterPartition(cmd: AlterPartitionCommand): Promise<AlterPartitionReply>;
  /** ElectLeaders: preferred or unclean elections an operator asks for; INVALID_REQUEST (thrown) for an unknown type. */
  electLeaders(cmd: ElectLeadersCommand): Promise<ElectLeadersTopicResult[]>;
  alterPartitionReassignments(cmd: AlterPartitionReassignmentsCommand): Promise<ReassignableTopicResult[]>;
  /** Moving partitions: all of them (null), or those among the given ones. */
  listPartitionReassignments(topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null): Promise<OngoingTopicReassignment[]>;
}

/**
 * Kafka's unclean.leader.election.interval.ms (an internal config, 5 minutes): how often the
 * active controller retries elections for leaderless partitions whose topic allows unclean ones.
 * Internal in Kafka (DescribeConfigs does not list it), so it is read here, not declared with
 * the broker configs.
 */
const UNCLEAN_ELECTION_INTERVAL_CONFIG = "unclean.leader.election.interval.ms";
const UNCLEAN_ELECTION_INTERVAL_DEFAULT_MS = 300_000;

export type ImageListener = (image: MetadataImage, delta: MetadataDelta) => void;

/**
 * The active controller (Kafka's QuorumController). Every mutation takes one path:
 * validate against the current image → records → append through the quorum → wait until
 * they are committed and replayed → reply. Commands run one at a time, so each validates
 * against the results of all earlier ones. The image changes only when the quorum reports
 * committed records (handleCommit), the same way on the leader, on followers (later) and
 * at start-up.
 */
export class QuorumController implements QuorumListener, ControllerApi {
  readonly nodeId: number;
  private readonly quorum: MetadataQuorum;
  private readonly config: BrokerConfig;
  private readonly random: () => number;
  private readonly newUuid: () => string;
  private readonly registration: QuorumControllerOptions["registration"];
  private current: MetadataImage;
  /** While loading the log at start, batches collect in one delta and publish once. */
  private loading: MetadataDelta | null;
  private leader: LeaderAndEpoch = { leaderId: null, epoch: -1 };
  private readonly imageListeners = new Set<ImageListener>();
  private waiters: { offset: bigint; resolve: () => void }[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private selfEpoch: bigint | null = null;
  /** A committed record that would not replay: the image no longer matches the log. */
  private fatal: unknown = null;
  private readonly clock: Clock & Timer;
  private readonly sessions: BrokerSessions;
  private readonly onError: (e: unknown) => void;
  private stopSessionChecks: (() => void) | null = null;
  private fencing = false;
  /** start() finished: later leaderships bootstrap a new log themselves. */
  private startedUp = false;
  /** The periodic unclean election, while active and some partition has no leader. */
  private readonly uncleanElections: DeferredControllerTask;
  /** The automatic preferred-leader rebalance (auto.leader.rebalance.enable), while active and some first replica does not lead. */
  private readonly leaderBalance: DeferredControllerTask | null;
  private readonly electionCauses = new ElectionCauses();

  constructor(options: QuorumControllerOptions) {
    this.nodeId = options.nodeId;
    this.quorum = options.quorum;
    this.config = options.config;
    this.random = options.random ?? Math.random;
    this.newUuid = options.newUuid ?? (() => randomUuid());
    this.registration = options.registration;
    this.clock = options.clock ?? systemClock;
    this.sessions = new BrokerSessions(this.clock, this.config.int("broker.session.timeout.ms"));
    this.onError = options.onError ?? (() => undefined);
    const uncleanElectionIntervalMs = Number(this.config.get(UNCLEAN_ELECTION_INTERVAL_CONFIG) ?? UNCLEAN_ELECTION_INTERVAL_DEFAULT_MS);
    if (!Number.isInteger(uncleanElectionIntervalMs) || uncleanElectionIntervalMs < 1) {
      throw new Error(`Invalid value ${this.config.get(UNCLEAN_ELECTION_INTERVAL_CONFIG)} for configuration ${UNCLEAN_ELECTION_INTERVAL_CONFIG}: Value must be at least 1`);
    }
    this.uncleanElections = new DeferredControllerTask(
      this.clock,
      uncleanElectionIntervalMs,
      () => this.run((ctx) => electUncleanLeaders(ctx)),
      () => this.isActive() && hasLeaderlessPartitions(this.current),
      this.onError,
    );
    // As Kafka's ControllerServer: no rebalance task at all when auto.leader.rebalance.enable is false.
    this.leaderBalance = this.config.bool("auto.leader.rebalance.enable")
      ? new DeferredControllerTask(
          this.clock,
          this.config.int("leader.imbalance.check.interval.seconds") * 1000,
          () => this.runElections((ctx) => balancePartitionLeaders(ctx), ElectionCause.AUTO_REBALANCE),
          () => this.isActive() && hasImbalancedPartitions(this.current.topicsById.values()),
          this.onError,
        )
      : null;
    this.current = MetadataImage.empty(options.clusterId);
    this.loading = new MetadataDelta(this.current);
  }

  /** The latest committed metadata. */
  get image(): MetadataImage {
    return this.current;
  }

  /** The broker epoch of this node's own registration (after start, when registering). */
  get brokerEpoch(): bigint | null {
    return this.selfEpoch;
  }

  /** Resolves once the image satisfies `ready`, or after `timeoutMs` (whichever is first). */
  awaitImage(ready: (image: MetadataImage) => boolean, timeoutMs: number): Promise<void> {
    if (ready(this.current)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        unsubscribe();
        cancel();
        resolve();
      };
      const unsubscribe = this.onImage((image) => {
        if (ready(image)) done();
      });
      const cancel = this.clock.schedule(timeoutMs, done);
    });
  }

  /** Called with every new image and the delta that made it; returns an unsubscribe. */
  onImage(listener: ImageListener): () => void {
    this.imageListeners.add(listener);
    return () => this.imageListeners.delete(listener);
  }

  /**
   * Joins the quorum (replaying the committed log into the image), then, as leader of a
   * brand-new log, writes the bootstrap records (metadata.version), then registers this
   * node's own broker when it has one.
   */
  async start(): Promise<void> {
    this.quorum.register(this);
    await this.quorum.start();
    this.finishLoading();
    // Only the quorum's leader bootstraps; an observer learns the records from it.
    if (this.isActive() && this.current.metadataVersion() === undefined) await this.bootstrapIfNew();
    this.startedUp = true;
    if (this.registration) {
      this.selfEpoch = (await this.registerBroker({ ...this.registration, brokerId: this.nodeId, unfenceAtOnce: true })).brokerEpoch;
    }
  }

  /** The first leader of a brand-new log writes metadata.version (decided in turn, so at most once). */
  private bootstrapIfNew(): Promise<void> {
    return this.run((ctx) => ({
      records:
        ctx.image.metadataVersion() === undefined
          ? [metadataRecord("FeatureLevelRecord", { name: METADATA_VERSION_FEATURE, featureLevel: BOOTSTRAP_METADATA_VERSION })]
          : [],
      response: undefined,
    }));
  }

  isActive(): boolean {
    return this.quorum.isLeader() && this.leader.leaderId === this.nodeId;
  }

  createTopics(cmd: CreateTopicsCommand): Promise<CreatableTopicResult[]> {
    return this.run((ctx) => createTopics(ctx, cmd));
  }

  deleteTopics(cmd: DeleteTopicsCommand): Promise<DeletableTopicResult[]> {
    return this.run((ctx) => deleteTopics(ctx, cmd));
  }

  createPartitions(cmd: CreatePartitionsCommand): Promise<CreatePartitionsTopicResult[]> {
    return this.run((ctx) => createPartitions(ctx, cmd));
  }

  alterConfigs(cmd: AlterConfigsCommand<AlterConfigsResource>): Promise<AlterConfigsResourceResult[]> {
    return this.run((ctx) => alterConfigs(ctx, cmd));
  }

  incrementalAlterConfigs(cmd: AlterConfigsCommand<IncrementalAlterConfigsResource>): Promise<AlterConfigsResourceResult[]> {
    return this.run((ctx) => incrementalAlterConfigs(ctx, cmd));
  }

  /**
   * Registers a broker. Like Kafka, a new incarnation of a broker id whose previous one is
   * still unfenced with a live session is refused (DUPLICATE_BROKER_REGISTRATION): two
   * processes with one id. A restarted broker retries until the old session runs out.
   */
  registerBroker(cmd: RegisterBrokerCommand): Promise<BrokerRegistrationReply> {
    return this.run((ctx) => {
      const existing = ctx.image.brokers.get(cmd.brokerId);
      if (
        cmd.brokerId !== this.nodeId &&
        existing &&
        existing.incarnationId !== cmd.incarnationId &&
        !existing.fenced &&
        this.sessions.hasValidSession(cmd.brokerId)
      ) {
        throw new KafkaError(
          ErrorCode.DUPLICATE_BROKER_REGISTRATION,
          `Another broker is registered with that broker id (${cmd.brokerId}) and its session has not expired.`,
        );
      }
      const result = registerBroker(ctx, cmd);
      this.sessions.touch(cmd.brokerId);
      return result;
    });
  }

  brokerHeartbeat(cmd: BrokerHeartbeatCommand): Promise<BrokerHeartbeatReply> {
    return this.run((ctx) => {
      const result = processBrokerHeartbeat(ctx, cmd);
      this.sessions.touch(cmd.brokerId);
      return result;
    });
  }

  alterPartition(cmd: AlterPartitionCommand): Promise<AlterPartitionReply> {
    return this.run((ctx) => alterPartition(ctx, cmd));
  }

  electLeaders(cmd: ElectLeadersCommand): Promise<ElectLeadersTopicResult[]> {
    // As Kafka's QuorumController: an empty (not null) partition list elects nothing, at once.
    if (cmd.topicPartitions !== null && cmd.topicPartitions.length === 0) return Promise.resolve([]);
    const cause = cmd.electionType === ElectionType.UNCLEAN ? ElectionCause.ADMIN_UNCLEAN : ElectionCause.ADMIN_PREFERRED;
    return this.runElections((ctx) => electLeaders(ctx, cmd), cause);
  }

  /** Who asked for the leader change of a partition whose records are being committed (the partition state machine's causes). */
  electionCause(topicId: string, partitionId: number): ElectionCause | undefined {
    return this.electionCauses.causeOf(topicId, partitionId);
  }

  alterPartitionReassignments(cmd: AlterPartitionReassignmentsCommand): Promise<ReassignableTopicResult[]> {
    return this.run((ctx) => alterPartitionReassignments(ctx, cmd));
  }

  /** A read, queued like the commands so it sees every one accepted before it. */
  listPartitionReassignments(topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null): Promise<OngoingTopicReassignment[]> {
    return this.run((ctx) => ({ records: [], response: listPartitionReassignments(ctx.image, topics) }));
  }

  /** A block of producer ids for `brokerId` (InitProducerId); STALE_BROKER_EPOCH if its epoch is old. */
  allocateProducerIds(brokerId: number, brokerEpoch: bigint): Promise<ProducerIdsBlock> {
    return this.run((ctx) => allocateProducerIds(ctx, brokerId, brokerEpoch));
  }

  /** Waits for commands already queued, then closes the quorum. */
  async close(): Promise<void> {
    this.stopSessionChecks?.();
    this.stopSessionChecks = null;
    this.stopElectionTasks();
    await this.tail;
    await this.quorum.close();
  }

  // QuorumListener

  handleCommit(batch: CommittedBatch): void {
    const delta = this.loading ?? new MetadataDelta(this.current);
    let offset = batch.baseOffset;
    try {
      for (const record of batch.records) delta.replay(record, offset++);
    } catch (e) {
      // Like Kafka's fatal fault handler: never act on an image that disagrees with the log.
      this.fatal = e;
      throw e;
    }
    delta.setProvenance({ lastOffset: batch.lastOffset, lastEpoch: batch.epoch, lastTimestamp: batch.appendTimestamp });
    if (!this.loading) this.publish(delta);
  }

  handleLeaderChange(leader: LeaderAndEpoch): void {
    // The quorum elects only after replaying the committed log: loading is over.
    this.finishLoading();
    this.leader = leader;
    this.stopSessionChecks?.();
    this.stopSessionChecks = null;
    this.stopElectionTasks();
    if (leader.leaderId === this.nodeId) {
      // A quorum of several voters elects after start: its first leader bootstraps then.
      if (this.startedUp) this.bootstrapIfNew().catch(this.onError);
      this.startSessionChecks();
      this.uncleanElections.maybeSchedule();
      this.leaderBalance?.maybeSchedule();
    }
  }

  private stopElectionTasks(): void {
    this.uncleanElections.stop();
    this.leaderBalance?.stop();
  }

  /**
   * After every committed change, as Kafka's controller after every write: a partition left
   * without a leader starts the periodic unclean election (Kafka's
   * maybeScheduleNextElectUncleanLeaders: a topic whose unclean.leader.election.enable is
   * turned on gets its offline partitions led at the next run; as in Kafka 3.9, the config
   * change itself elects nobody), and a partition its first replica does not lead starts the
   * rebalance (maybeScheduleNextBalancePartitionLeaders). Only the changed topics are looked at.
   */
  private maybeScheduleElections(delta: MetadataDelta): void {
    if (!this.isActive()) return;
    const changed = () => [...delta.topicChanges(this.current)].map((c) => c.topic);
    this.uncleanElections.maybeSchedule(() => changed().some((t) => [...t.partitions.values()].some((p) => p.leader === NO_LEADER)));
    this.leaderBalance?.maybeSchedule(() => hasImbalancedPartitions(changed()));
  }

  /** A command that elects leaders, its changes noted with `cause` until they are committed. */
  private runElections<T>(decide: (ctx: ControlContext) => ControllerResult<T>, cause: ElectionCause): Promise<T> {
    let forget = () => {};
    return this.run((ctx) => {
      const result = decide(ctx);
      forget = this.electionCauses.note(result.records, cause);
      return result;
    }).finally(() => forget());
  }

  /** While active: fence every broker (other than this node) whose session ran out. */
  private startSessionChecks(): void {
    this.sessions.reset(this.current.brokers.keys());
    const timeout = this.config.int("broker.session.timeout.ms");
    const every = Math.max(10, Math.min(1000, Math.floor(timeout / 4)));
    this.stopSessionChecks = schedulePeriodic(this.clock, every, every, () => this.fenceStaleBrokers(), this.onError);
  }

  private fenceStaleBrokers(): void {
    if (this.fencing || !this.isActive()) return;
    const live = [...this.current.brokers.values()].filter((b) => !b.fenced && b.id !== this.nodeId).map((b) => b.id);
    // One broker per command, as Kafka's maybeFenceOneStaleBroker: each fencing elects from
    // the image the previous one left, so two brokers lost at once cannot both be elected.
    const [stale] = this.sessions.expired(live);
    if (stale === undefined) return;
    this.fencing = true;
    this.run((ctx) => ({ records: fenceBroker(ctx, stale), response: undefined }))
      .catch(this.onError)
      .finally(() => {
        this.fencing = false;
        this.fenceStaleBrokers();
      });
  }

  private finishLoading(): void {
    if (!this.loading) return;
    const delta = this.loading;
    this.loading = null;
    this.publish(delta);
  }

  private publish(delta: MetadataDelta): void {
    this.current = delta.apply();
    const at = this.current.provenance.lastOffset;
    const ready = this.waiters.filter((w) => w.offset <= at);
    this.waiters = this.waiters.filter((w) => w.offset > at);
    for (const listener of this.imageListeners) listener(this.current, delta);
    for (const w of ready) w.resolve();
    this.maybeScheduleElections(delta);
  }

  private waitForOffset(offset: bigint): Promise<void> {
    if (this.current.provenance.lastOffset >= offset) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ offset, resolve }));
  }

  /**
   * The single command path: decide on the image as it is when the command's turn comes,
   * commit the records (if any), and reply once they are in the image.
   */
  private run<T>(decide: (ctx: ControlContext) => ControllerResult<T>): Promise<T> {
    const task = async (): Promise<T> => {
      if (this.fatal !== null) {
        const why = this.fatal instanceof Error ? this.fatal.message : String(this.fatal);
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the metadata image failed to replay the log (${why}); restart the node`);
      }
      if (!this.isActive()) {
        throw new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.nodeId} is not the active controller`);
      }
      const ctx: ControlContext = {
        image: this.current,
        nodeId: this.nodeId,
        config: this.config,
        random: this.random,
        newUuid: this.newUuid,
        nextOffset: this.quorum.endOffset(),
      };
      const { records, response } = decide(ctx);
      if (records.length > 0) {
        const { lastOffset } = await this.quorum.append(this.leader.epoch, records);
        await this.waitForOffset(lastOffset);
      }
      return response;
    };
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
