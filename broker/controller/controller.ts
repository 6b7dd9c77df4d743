import type { BrokerConfig } from "../config/broker-config.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { type BrokerRegistrationReply, registerBroker, type RegisterBrokerCommand } from "./cluster-control.ts";
import {
  type AlterConfigsCommand,
  type AlterConfigsResource,
  type AlterConfigsResourceResult,
  alterConfigs,
  type IncrementalAlterConfigsResource,
  incrementalAlterConfigs,
} from "./configuration-control.ts";
import type { ControlContext, ControllerResult } from "./controller-result.ts";
import { MetadataDelta } from "./metadata-delta.ts";
import { MetadataImage } from "./metadata-image.ts";
import { metadataRecord } from "./metadata-record-serde.ts";
import { BOOTSTRAP_METADATA_VERSION, METADATA_VERSION_FEATURE } from "./metadata-version.ts";
import { allocateProducerIds, type ProducerIdsBlock } from "./producer-id-control.ts";
import type { CommittedBatch, LeaderAndEpoch, MetadataQuorum, QuorumListener } from "./quorum/metadata-quorum.ts";
import {
  type CreatableTopicResult,
  type CreatePartitionsCommand,
  type CreatePartitionsTopicResult,
  type CreateTopicsCommand,
  createPartitions,
  createTopics,
  type DeletableTopicResult,
  type DeleteTopicsCommand,
  deleteTopics,
} from "./replication-control.ts";
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
}

export type ImageListener = (image: MetadataImage, delta: MetadataDelta) => void;

/**
 * The active controller (Kafka's QuorumController). Every mutation takes one path:
 * validate against the current image → records → append through the quorum → wait until
 * they are committed and replayed → reply. Commands run one at a time, so each validates
 * against the results of all earlier ones. The image changes only when the quorum reports
 * committed records (handleCommit), the same way on the leader, on followers (later) and
 * at start-up.
 */
export class QuorumController implements QuorumListener {
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

  constructor(options: QuorumControllerOptions) {
    this.nodeId = options.nodeId;
    this.quorum = options.quorum;
    this.config = options.config;
    this.random = options.random ?? Math.random;
    this.newUuid = options.newUuid ?? (() => randomUuid());
    this.registration = options.registration;
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

  /** Called with every new image and the delta that made it; returns an unsubscribe. */
  onImage(listener: ImageListener): () => void {
    this.imageListeners.add(listener);
    return () => this.imageListeners.delete(listener);
  }

  /**
   * Joins the quorum (replaying the committed log into the image), then on a brand-new
   * log writes the bootstrap records (metadata.version), then registers this node.
   */
  async start(): Promise<void> {
    this.quorum.register(this);
    await this.quorum.start();
    this.finishLoading();
    if (this.current.metadataVersion() === undefined) {
      await this.run(() => ({
        records: [metadataRecord("FeatureLevelRecord", { name: METADATA_VERSION_FEATURE, featureLevel: BOOTSTRAP_METADATA_VERSION })],
        response: undefined,
      }));
    }
    if (this.registration) {
      this.selfEpoch = (await this.registerBroker({ ...this.registration, brokerId: this.nodeId })).brokerEpoch;
    }
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

  registerBroker(cmd: RegisterBrokerCommand): Promise<BrokerRegistrationReply> {
    return this.run((ctx) => registerBroker(ctx, cmd));
  }

  /** A block of producer ids for `brokerId` (InitProducerId); STALE_BROKER_EPOCH if its epoch is old. */
  allocateProducerIds(brokerId: number, brokerEpoch: bigint): Promise<ProducerIdsBlock> {
    return this.run((ctx) => allocateProducerIds(ctx, brokerId, brokerEpoch));
  }

  /** Waits for commands already queued, then closes the quorum. */
  async close(): Promise<void> {
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
