import type { BrokerHeartbeatCommand, BrokerHeartbeatReply, BrokerRegistrationReply, RegisterBrokerCommand } from "../controller/cluster-control.ts";
import type {
  AlterConfigsCommand,
  AlterConfigsResource,
  AlterConfigsResourceResult,
  IncrementalAlterConfigsResource,
} from "../controller/configuration-control.ts";
import type { ControllerApi } from "../controller/controller.ts";
import type { ApiError } from "../controller/controller-result.ts";
import type { MetadataImage } from "../controller/metadata-image.ts";
import type { ProducerIdsBlock } from "../controller/producer-id-control.ts";
import type {
  AlterPartitionCommand,
  AlterPartitionReply,
  CreatableTopicResult,
  CreatePartitionsCommand,
  CreatePartitionsTopicResult,
  CreateTopicsCommand,
  DeletableTopicResult,
  DeleteTopicsCommand,
} from "../controller/replication-control.ts";
import type { AlterPartitionReassignmentsCommand, OngoingTopicReassignment, ReassignableTopicResult } from "../controller/reassignment-control.ts";
import type { ElectLeadersCommand, ElectLeadersTopicResult } from "../controller/leader-election-control.ts";
import { NodeChannel } from "../network/node-channel.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/generated/apis.ts";

export interface RemoteControllerOptions {
  nodeId: number;
  /** host:port of the controller listener of the quorum's voter. */
  controllerAddress: string;
  requestTimeoutMs: number;
  /**
   * Resolves once this node's metadata image satisfies `ready` (or the wait times out), so
   * a topic created through this node is in its own metadata when the reply goes out.
   */
  awaitImage: (ready: (image: MetadataImage) => boolean, timeoutMs: number) => Promise<void>;
}

/**
 * A broker-only node's controller: every command goes over the wire to the active
 * controller, with the same Kafka APIs a client would use (CreateTopics, AlterConfigs...)
 * plus the broker-to-controller ones (BrokerRegistration, BrokerHeartbeat,
 * AllocateProducerIds). A controller that cannot be reached fails each item with
 * REQUEST_TIMED_OUT, which clients retry.
 */
export class RemoteController implements ControllerApi {
  private readonly channel: NodeChannel;

  constructor(private readonly options: RemoteControllerOptions) {
    this.channel = new NodeChannel(() => options.controllerAddress, { clientId: `samsa-broker-${options.nodeId}`, timeoutMs: options.requestTimeoutMs });
  }

  async createTopics(cmd: CreateTopicsCommand): Promise<CreatableTopicResult[]> {
    const res = await this.itemwise(
      () =>
        this.channel.send(ApiKey.CreateTopics, 5, 7, {
          topics: cmd.topics.map((t) => ({
            name: t.name,
            numPartitions: t.numPartitions,
            replicationFactor: t.replicationFactor,
            assignments: t.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: [...a.brokerIds] })),
            configs: t.configs.map((c) => ({ ...c })),
          })),
          timeoutMs: this.options.requestTimeoutMs,
          validateOnly: cmd.validateOnly,
        }),
      (error) => ({ throttleTimeMs: 0, topics: cmd.topics.map((t) => ({ name: t.name, topicId: "AAAAAAAAAAAAAAAAAAAAAA", numPartitions: -1, replicationFactor: -1, topicConfigErrorCode: 0, configs: null, ...error })) }),
    );
    const results = res.topics.map((t) => ({ ...t, configs: t.configs ?? [] }));
    const created = results.filter((t) => t.errorCode === ErrorCode.NONE && !cmd.validateOnly);
    await this.options.awaitImage((image) => created.every((t) => image.topicsById.has(t.topicId)), this.options.requestTimeoutMs);
    return results;
  }

  async deleteTopics(cmd: DeleteTopicsCommand): Promise<DeletableTopicResult[]> {
    const res = await this.itemwise(
      () => this.channel.send(ApiKey.DeleteTopics, 6, 6, { topics: cmd.topics.map((t) => ({ ...t })), timeoutMs: this.options.requestTimeoutMs }),
      (error) => ({ throttleTimeMs: 0, responses: cmd.topics.map((t) => ({ ...t, ...error })) }),
    );
    const deleted = res.responses.filter((t) => t.errorCode === ErrorCode.NONE);
    await this.options.awaitImage((image) => deleted.every((t) => !image.topicsById.has(t.topicId)), this.options.requestTimeoutMs);
    return res.responses;
  }

  async createPartitions(cmd: CreatePartitionsCommand): Promise<CreatePartitionsTopicResult[]> {
    const res = await this.itemwise(
      () =>
        this.channel.send(ApiKey.CreatePartitions, 3, 3, {
          topics: cmd.topics.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments?.map((a) => ({ brokerIds: [...a.brokerIds] })) ?? null })),
          timeoutMs: this.options.requestTimeoutMs,
          validateOnly: cmd.validateOnly,
        }),
      (error) => ({ throttleTimeMs: 0, results: cmd.topics.map((t) => ({ name: t.name, ...error })) }),
    );
    return res.results;
  }

  async alterConfigs(cmd: AlterConfigsCommand<AlterConfigsResource>): Promise<AlterConfigsResourceResult[]> {
    const res = await this.itemwise(
      () =>
        this.channel.send(ApiKey.AlterConfigs, 2, 2, {
          resources: cmd.resources.map((r) => ({ ...r, configs: r.configs.map((c) => ({ ...c })) })),
          validateOnly: cmd.validateOnly,
        }),
      (error) => ({ throttleTimeMs: 0, responses: cmd.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, ...error })) }),
    );
    return res.responses;
  }

  async incrementalAlterConfigs(cmd: AlterConfigsCommand<IncrementalAlterConfigsResource>): Promise<AlterConfigsResourceResult[]> {
    const res = await this.itemwise(
      () =>
        this.channel.send(ApiKey.IncrementalAlterConfigs, 1, 1, {
          resources: cmd.resources.map((r) => ({ ...r, configs: r.configs.map((c) => ({ ...c })) })),
          validateOnly: cmd.validateOnly,
        }),
      (error) => ({ throttleTimeMs: 0, responses: cmd.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, ...error })) }),
    );
    return res.responses;
  }

  async allocateProducerIds(brokerId: number, brokerEpoch: bigint): Promise<ProducerIdsBlock> {
    const res = await this.call(() => this.channel.send(ApiKey.AllocateProducerIds, 0, 0, { brokerId, brokerEpoch }));
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as never, "the controller refused to allocate producer ids");
    return { assignedBrokerId: brokerId, producerIdStart: res.producerIdStart, producerIdLen: res.producerIdLen };
  }

  async registerBroker(cmd: RegisterBrokerCommand): Promise<BrokerRegistrationReply> {
    const res = await this.call(() =>
      this.channel.send(ApiKey.BrokerRegistration, 2, 4, {
        brokerId: cmd.brokerId,
        clusterId: cmd.clusterId ?? "",
        incarnationId: cmd.incarnationId,
        listeners: cmd.listeners.map((l) => ({ ...l })),
        features: cmd.features.map((f) => ({ ...f })),
        rack: cmd.rack,
        isMigratingZkBroker: false,
        logDirs: [...cmd.logDirs],
        previousBrokerEpoch: -1n,
      }),
    );
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as never, "the controller refused the broker registration");
    return { brokerEpoch: res.brokerEpoch };
  }

  async brokerHeartbeat(cmd: BrokerHeartbeatCommand): Promise<BrokerHeartbeatReply> {
    const res = await this.call(() => this.channel.send(ApiKey.BrokerHeartbeat, 0, 1, { ...cmd, offlineLogDirs: [] }));
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as never, "the controller refused the heartbeat");
    return { isCaughtUp: res.isCaughtUp, isFenced: res.isFenced, shouldShutDown: res.shouldShutDown };
  }

  /**
   * AlterPartition v3 (topic ids, each ISR member with its broker epoch), which every Samsa
   * controller and Kafka 3.9's serve. A controller that cannot be reached throws
   * REQUEST_TIMED_OUT: the AlterPartitionManager retries the whole request.
   */
  async alterPartition(cmd: AlterPartitionCommand): Promise<AlterPartitionReply> {
    const res = await this.call(() =>
      this.channel.send(ApiKey.AlterPartition, 3, 3, {
        brokerId: cmd.brokerId,
        brokerEpoch: cmd.brokerEpoch,
        topics: cmd.topics.map((t) => ({
          topicName: t.topicName,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            leaderEpoch: p.leaderEpoch,
            newIsr: [],
            newIsrWithEpochs: p.newIsrWithEpochs.map((m) => ({ ...m })),
            leaderRecoveryState: p.leaderRecoveryState,
            partitionEpoch: p.partitionEpoch,
          })),
        })),
      }),
    );
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as never, "the controller refused the AlterPartition request");
    return { topics: res.topics.map((t) => ({ topicName: t.topicName, topicId: t.topicId, partitions: t.partitions.map((p) => ({ ...p, isr: [...p.isr] })) })) };
  }

  async alterPartitionReassignments(cmd: AlterPartitionReassignmentsCommand): Promise<ReassignableTopicResult[]> {
    const failed = (error: ApiError) => cmd.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...error })) }));
    const res = await this.itemwise(
      () =>
        this.channel.send(ApiKey.AlterPartitionReassignments, 0, 0, {
          timeoutMs: this.options.requestTimeoutMs,
          topics: cmd.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, replicas: p.replicas === null ? null : [...p.replicas] })) })),
        }),
      (error) => ({ throttleTimeMs: 0, ...error, responses: failed(error) }),
    );
    // A request-level error (the controller moved) is every partition's error.
    if (res.errorCode !== ErrorCode.NONE) return failed({ errorCode: res.errorCode, errorMessage: res.errorMessage });
    return res.responses;
  }

  async listPartitionReassignments(topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null): Promise<OngoingTopicReassignment[]> {
    const res = await this.call(() =>
      this.channel.send(ApiKey.ListPartitionReassignments, 0, 0, {
        timeoutMs: this.options.requestTimeoutMs,
        topics: topics?.map((t) => ({ name: t.name, partitionIndexes: [...t.partitionIndexes] })) ?? null,
      }),
    );
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as never, res.errorMessage ?? undefined);
    return res.topics;
  }

  /**
   * ElectLeaders v2, as a broker forwards it in Kafka. A request-level error (an unknown
   * election type, the controller moved or unreachable) is thrown, so the reply carries it
   * on every partition as Kafka's error response does.
   */
  async electLeaders(cmd: ElectLeadersCommand): Promise<ElectLeadersTopicResult[]> {
    const res = await this.call(() =>
      this.channel.send(ApiKey.ElectLeaders, 2, 2, {
        electionType: cmd.electionType,
        topicPartitions: cmd.topicPartitions?.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) ?? null,
        timeoutMs: this.options.requestTimeoutMs,
      }),
    );
    if (res.errorCode !== ErrorCode.NONE) {
      const message = res.replicaElectionResults[0]?.partitionResult[0]?.errorMessage ?? undefined;
      throw new KafkaError(res.errorCode as never, message);
    }
    return res.replicaElectionResults;
  }

  close(): void {
    this.channel.close();
  }

  /** A request whose failure to reach the controller becomes an error on every item. */
  private async itemwise<T>(send: () => Promise<T>, failed: (error: ApiError) => T): Promise<T> {
    try {
      return await send();
    } catch (e) {
      if (e instanceof KafkaError) throw e;
      return failed(this.unreachable(e));
    }
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      if (e instanceof KafkaError) throw e;
      const { errorCode, errorMessage } = this.unreachable(e);
      throw new KafkaError(errorCode as never, errorMessage ?? undefined);
    }
  }

  private unreachable(e: unknown): ApiError {
    const why = e instanceof Error ? e.message : String(e);
    return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: `cannot reach the controller at ${this.options.controllerAddress}: ${why}` };
  }
}
