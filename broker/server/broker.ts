import type { BrokerConfig } from "../config/broker-config.ts";
import { startMetadataLayer, type MetadataLayer } from "./metadata-layer.ts";
import type { ControllerApi } from "../controller/controller.ts";
import type { MetadataLogRead } from "../controller/quorum/metadata-quorum.ts";
import { LeaderAppender } from "./leader-appender.ts";
import type { MetadataImage } from "../controller/metadata-image.ts";
import { LogManager } from "../log/log-manager.ts";
import { schedulePeriodic } from "../log/scheduler.ts";
import { SocketServer } from "../network/socket-server.ts";
import { initCompression } from "../protocol/records/compression.ts";
import { findRecordByTimestamp } from "../protocol/records/record-timestamp-search.ts";
import { KafkaError, ErrorCode } from "../protocol/errors.ts";
import { ReplicaManager } from "../replication/replica-manager.ts";
import { replicaFetchSettings } from "../replication/replica-fetcher-manager.ts";
import { WireLeaderEndpoint } from "../replication/replica-fetcher-endpoints.ts";
import { AlterPartitionManager } from "../replication/alter-partition-manager.ts";
import { systemClock, type Clock, type Timer } from "../util/clock.ts";
import { StateChangePublisher } from "../events/state-change-publisher.ts";
import { STATE_CHANGES_TOPIC } from "../events/state-change.ts";
import { CONSUMER_OFFSETS_TOPIC, internalTopicSpec } from "./internal-topics.ts";
import { StateChangesTopicCreation } from "./state-changes-topic.ts";
import { CoordinatorTopicLog } from "./coordinator-log.ts";
import { GroupCoordinator } from "../coordinator/group-coordinator.ts";
import { groupCoordinatorConfigFrom } from "../coordinator/group-coordinator-config.ts";
import type { MetadataDelta } from "../controller/metadata-delta.ts";
import { createLogger, type Logger } from "../util/logger.ts";
import type { BrokerServices, LogDirDescription } from "./broker-services.ts";
import { partitionSettings } from "./partition-settings.ts";
import { ProducerIdManager } from "./producer-id-manager.ts";
import { RequestDispatcher } from "./request-dispatcher.ts";
import { servedApis } from "./served-apis.ts";
import { describeQuorumHandler } from "./handlers/describe-quorum.ts";
import { ApiKey } from "../protocol/generated/apis.ts";

/**
 * One Samsa node: the metadata layer (the controller and its quorum on the controller node,
 * an observer of it on broker-only nodes), the logs, the partitions this node hosts, and the
 * Kafka listeners. Partitions follow the metadata image: every committed change is applied
 * to the replica manager as it arrives (on the controller node before the command that made
 * it replies), so a client that created a topic can produce to it at once.
 */
export class Broker implements BrokerServices {
  private readonly servers: SocketServer[] = [];
  private readonly stopTasks: (() => void)[] = [];
  private boundListeners: { name: string; host: string; port: number }[] = [];

  private constructor(
    readonly config: BrokerConfig,
    readonly clock: Clock & Timer,
    readonly log: Logger,
    readonly stateChanges: StateChangePublisher,
    private readonly metadataLayer: MetadataLayer,
    private readonly logManager: LogManager,
    readonly replicaManager: ReplicaManager,
    readonly groupCoordinator: GroupCoordinator,
  ) {}

  private leaderAppender: LeaderAppender | null = null;

  /** `clusterId` formats new log directories (a launcher shares one across its nodes). */
  static async start(config: BrokerConfig, options: { clock?: Clock & Timer; clusterId?: string } = {}): Promise<Broker> {
    const clock = options.clock ?? systemClock;
    const log = createLogger({ node: config.nodeId });
    await initCompression();
    const stateChanges = new StateChangePublisher(config.nodeId, clock, log);
    const publish = config.bool("state.change.log.enable") ? stateChanges.sink : () => {};
    const metadataLayer = await startMetadataLayer({
      config,
      clock,
      clusterId: options.clusterId,
      log,
      logger: logAdapter(log),
      stateChanges: publish,
    });
    const image = metadataLayer.controller.image;
    config.setDynamic(image.brokerConfigs(config.nodeId), image.brokerConfigs(""));
    const logManager = new LogManager({
      config: {
        "log.dirs": config.logDirs,
        "log.retention.check.interval.ms": config.int("log.retention.check.interval.ms"),
        "log.flush.offset.checkpoint.interval.ms": config.int("log.flush.offset.checkpoint.interval.ms"),
        "log.flush.start.offset.checkpoint.interval.ms": config.int("log.flush.start.offset.checkpoint.interval.ms"),
        "log.flush.scheduler.interval.ms": config.int("log.flush.scheduler.interval.ms"),
        "replica.high.watermark.checkpoint.interval.ms": config.int("replica.high.watermark.checkpoint.interval.ms"),
        "log.cleaner.enable": config.bool("log.cleaner.enable"),
        "log.cleaner.backoff.ms": config.int("log.cleaner.backoff.ms"),
        "log.cleaner.dedupe.buffer.size": config.int("log.cleaner.dedupe.buffer.size"),
        "log.cleaner.io.buffer.load.factor": config.int("log.cleaner.io.buffer.load.factor"),
      },
      topicConfig: (topic) => Object.fromEntries(config.topicConfig(metadataLayer.controller.image.topicConfigs(topic))),
      clock,
      timer: clock,
      logger: logAdapter(log),
      recordTimestampSearch: findRecordByTimestamp,
    });
    logManager.startup();
    // Leaders' ISR changes go to the active controller (in process here, or over the wire).
    const alterPartitions = new AlterPartitionManager({
      brokerId: config.nodeId,
      brokerEpoch: () => metadataLayer.brokerEpoch(),
      send: (cmd) => metadataLayer.commands.alterPartition(cmd),
      timer: clock,
      onError: (message) => log.warn(message),
      // The leader reports its committed ISR shrinks and expansions, with why.
      stateChanges: publish,
    });
    const replicaManager: ReplicaManager = new ReplicaManager({
      localId: config.nodeId,
      clock,
      logs: logManager,
      topicSettings: (image, topic) => {
        const effective = config.topicConfig(image.topicConfigs(topic));
        return { overrides: Object.fromEntries(effective), settings: partitionSettings(effective) };
      },
      isrChanges: {
        submitter: alterPartitions,
        replicaLagTimeMaxMs: config.int("replica.lag.time.max.ms"),
        localBrokerEpoch: () => metadataLayer.brokerEpoch(),
        onError: (err) => log.error({ err }, "ISR shrink check failed"),
      },
      // Followers fetch from their leaders over the inter-broker listener.
      fetchers: {
        ...replicaFetchSettings((name) => config.int(name)),
        brokerEpoch: () => Number(metadataLayer.brokerEpoch()),
        endpoint: (brokerId, fetcherId) =>
          new WireLeaderEndpoint(brokerId, fetcherId, {
            localId: config.nodeId,
            interBrokerListener: config.get("inter.broker.listener.name") ?? "PLAINTEXT",
            metadata: () => metadataLayer.controller.image,
            timeoutMs: config.int("replica.socket.timeout.ms"),
          }),
      },
      // The broker that deletes a removed replica's log reports the end of its deletion.
      stateChanges: publish,
      onLeadershipChange: (topic, partition, leading) => {
        if (topic !== CONSUMER_OFFSETS_TOPIC) return;
        if (leading) void groupCoordinator.onBecomeLeader(partition);
        else groupCoordinator.onResign(partition);
      },
    });
    const groupCoordinator = new GroupCoordinator({
      config: groupCoordinatorConfigFrom((name) => config.get(name)),
      log: new CoordinatorTopicLog(CONSUMER_OFFSETS_TOPIC, replicaManager, clock, INTERNAL_APPEND_TIMEOUT_MS),
      clock,
      timer: clock,
      logger: log.child({ component: "group-coordinator" }),
      onStateChange: (e) =>
        publish({ machine: "group", subject: e.group, from: e.from, to: e.to, cause: e.cause, details: { ...e.details }, epoch: e.details.generation }),
    });
    // Kafka places groups by the partition count of __consumer_offsets when it exists.
    groupCoordinator.startup(image.topic(CONSUMER_OFFSETS_TOPIC)?.partitions.size);
    const broker = new Broker(config, clock, log, stateChanges, metadataLayer, logManager, replicaManager, groupCoordinator);
    broker.applyImage(image);
    metadataLayer.controller.onImage((next, delta) => {
      broker.applyImage(next, delta);
      broker.forgetDeletedOffsets(delta);
    });
    await broker.listen();
    broker.stopTasks.push(() => alterPartitions.close());
    broker.stopTasks.push(
      schedulePeriodic(
        clock,
        config.int("producer.id.expiration.check.interval.ms"),
        config.int("producer.id.expiration.check.interval.ms"),
        () => {
          for (const p of replicaManager.all()) p.expireProducers(config.int("producer.id.expiration.ms"));
        },
        (err) => log.error({ err }, "producer id expiration failed"),
      ),
    );
    if (config.bool("state.change.log.enable")) {
      const creation = new StateChangesTopicCreation({
        timer: clock,
        factor: config.int("state.change.log.replication.factor"),
        graceMs: STATE_CHANGES_TOPIC_GRACE_MS,
        image: () => broker.metadata(),
        create: () => broker.ensureInternalTopic(STATE_CHANGES_TOPIC),
        onError: (err) =>
          log.warn({ err: err instanceof Error ? err.message : String(err) }, "cannot create __state_changes; state changes are kept in memory until it exists"),
      });
      broker.stopTasks.push(
        metadataLayer.controller.onImage(() => creation.maybeCreate()),
        () => creation.close(),
      );
      creation.maybeCreate();
    }
    return broker;
  }

  get nodeId(): number {
    return this.config.nodeId;
  }
  get controller(): ControllerApi {
    return this.metadataLayer.commands;
  }
  activeControllerId(): number | null {
    return this.metadataLayer.quorum.leaderAndEpoch().leaderId;
  }
  get isController(): boolean {
    return this.metadataLayer.isController;
  }
  readMetadataLog(offset: bigint, maxBytes: number, maxWaitMs: number): Promise<MetadataLogRead> {
    return this.metadataLayer.readMetadataLog(offset, maxBytes, maxWaitMs);
  }
  metadata(): MetadataImage {
    return this.metadataLayer.controller.image;
  }

  /**
   * Follows a committed image: dynamic broker configs, this node's partitions (through the
   * replica manager) and where state changes go.
   */
  private applyImage(image: MetadataImage, delta?: MetadataDelta): void {
    this.config.setDynamic(image.brokerConfigs(this.nodeId), image.brokerConfigs(""));
    this.replicaManager.applyDelta(image, delta);
    if (!delta || [...delta.changedTopics.values()].some((t) => t.name === STATE_CHANGES_TOPIC) || delta.deletedTopics.size > 0) {
      this.routeStateChanges(image);
    }
  }

  /**
   * State changes from this node's machines go to `__state_changes-0` wherever it is led:
   * appended here when this node leads it, produced to its leader otherwise. Until it has a
   * leader they wait in the publisher.
   */
  private routeStateChanges(image: MetadataImage): void {
    const leader = image.partition(STATE_CHANGES_TOPIC, 0)?.leader ?? -1;
    if (leader < 0) return this.stateChanges.setAppender(null);
    this.leaderAppender ??= new LeaderAppender({
      nodeId: this.nodeId,
      interBrokerListener: this.config.get("inter.broker.listener.name") ?? "PLAINTEXT",
      metadata: () => this.metadata(),
      appendLocally: async (topic, partition, batch) => {
        if (!this.replicaManager.get(topic, partition)?.isLeader) return false;
        await this.appendInternal(topic, partition, batch);
        return true;
      },
      timeoutMs: INTERNAL_APPEND_TIMEOUT_MS,
    });
    const appender = this.leaderAppender;
    this.stateChanges.setAppender((batch) => appender.append(STATE_CHANGES_TOPIC, 0, batch));
  }

  /** Committed offsets of deleted topics go with them (Kafka's GroupCoordinator.onPartitionsDeleted). */
  private forgetDeletedOffsets(delta: MetadataDelta): void {
    const gone = [...delta.deletedTopics.values()].flatMap((t) => [...t.partitions.keys()].map((partition) => ({ topic: t.name, partition })));
    if (gone.length === 0) return;
    this.groupCoordinator.onPartitionsDeleted(gone).catch((err: unknown) =>
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "cannot remove the offsets of deleted topics"),
    );
  }

  private async appendInternal(topic: string, partition: number, batch: Buffer): Promise<void> {
    const [r] = await this.replicaManager.appendRecords(-1, INTERNAL_APPEND_TIMEOUT_MS, [{ topic, partition, records: batch }]);
    if (r && r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode as never, r.errorMessage ?? undefined);
  }

  /** Creates an internal topic with its standard configs if it does not exist yet. */
  async ensureInternalTopic(name: string): Promise<void> {
    const image = this.metadata();
    if (image.topic(name)) return;
    const active = [...image.brokers.keys()].filter((id) => image.isActiveBroker(id)).length;
    const [r] = await this.controller.createTopics({ topics: [internalTopicSpec(name, this.config, active)], validateOnly: false });
    if (r && r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new KafkaError(r.errorCode as never, r.errorMessage ?? `cannot create ${name}`);
    }
  }

  describeLogDirs(): LogDirDescription[] {
    return this.logManager.describeLogDirs().map((d) => ({
      path: d.logDir,
      totalBytes: d.totalBytes,
      usableBytes: d.usableBytes,
      partitions: d.partitions.map((p) => ({ topic: p.topic, partition: p.partition, size: p.sizeInBytes })),
    }));
  }

  async autoCreateTopics(names: readonly string[]): Promise<Map<string, KafkaError | null>> {
    const results = await this.controller.createTopics({
      topics: names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
      validateOnly: false,
    });
    return new Map(
      results.map((r) => [
        r.name,
        r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? null : new KafkaError(r.errorCode as never, r.errorMessage ?? undefined),
      ]),
    );
  }

  private async listen(): Promise<void> {
    const producerIds = new ProducerIdManager(() => this.controller.allocateProducerIds(this.nodeId, this.metadataLayer.brokerEpoch()));
    const brokerApis = { ...servedApis(this, producerIds, () => dispatcher.advertised), [ApiKey.DescribeQuorum]: { minVersion: 0, maxVersion: 2, handle: describeQuorumHandler(this.metadataLayer.describeQuorum) } };
    const handoff = this.metadataLayer.controllerListener;
    const dispatcher = new RequestDispatcher(handoff ? handoff.withRaftApis(brokerApis) : brokerApis);
    // The controller listener (on the controller node) serves the same APIs: observers'
    // metadata fetches, registrations and heartbeats, and forwarded admin requests. With
    // several voters the metadata layer bound it already (for the Raft RPCs) and hands it over.
    handoff?.serve(dispatcher);
    this.boundListeners.push(...(handoff?.bound ?? []));
    for (const listener of this.config.listeners()) {
      if (handoff?.bound.some((b) => b.name === listener.name)) continue;
      const server = new SocketServer(
        listener.name,
        dispatcher,
        {
          maxRequestBytes: this.config.int("socket.request.max.bytes"),
          maxConnections: this.config.int("max.connections"),
          idleTimeoutMs: this.config.int("connections.max.idle.ms"),
        },
        this.log,
      );
      const port = await server.listen(listener.host, listener.port);
      this.servers.push(server);
      this.boundListeners.push({ name: listener.name, host: listener.host, port });
    }
  }

  describeListeners(): string {
    return this.boundListeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(",");
  }

  /** Graceful shutdown: stop serving, answer waiting requests, flush and checkpoint the logs. */
  async shutdown(): Promise<void> {
    // Leaderships move away while this node still answers (broker-only nodes).
    await this.metadataLayer.controlledShutdown();
    await Promise.all(this.servers.map((s) => s.close()));
    this.leaderAppender?.close();
    for (const stop of this.stopTasks) stop();
    this.groupCoordinator.shutdown();
    this.replicaManager.shutdown();
    this.logManager.shutdown();
    await this.metadataLayer.close();
  }
}

/** How long a node waits for enough brokers before creating `__state_changes` on fewer (a loaded machine starts nodes slowly). */
const STATE_CHANGES_TOPIC_GRACE_MS = 60_000;
/** How long internal writes (coordinators, state changes) wait for the in-sync replicas. */
const INTERNAL_APPEND_TIMEOUT_MS = 30_000;

function logAdapter(log: Logger) {
  return { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m), error: (m: string) => log.error(m) };
}

