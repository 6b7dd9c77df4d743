import type { MetadataImage } from "../controller/metadata-image.ts";
import { NodeChannel } from "../network/node-channel.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import type { FetchRequestFetchTopic } from "../protocol/generated/message/FetchRequest.ts";
import type { LeaderEndpoint } from "./replica-fetcher.ts";
import type { FetchParams, FetchPartitionResult, ReplicaManager, TopicPartition } from "./replica-manager.ts";

/** ListOffsets' sentinel timestamps. */
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;
/** ReplicaState in Fetch (v15+) carries the replica id and broker epoch. */
const FETCH_MIN_VERSION = 15;
const FETCH_MAX_VERSION = 17;
/** currentLeaderEpoch in ListOffsets from v4. */
const LIST_OFFSETS_MIN_VERSION = 4;
const LIST_OFFSETS_MAX_VERSION = 9;
const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";

/**
 * A leader in the same process (another ReplicaManager): the fetcher's requests go straight
 * to its fetch path, so replication runs deterministically in unit tests and simulations.
 * `leader` returning undefined stands for an unreachable broker.
 */
export class InProcessLeaderEndpoint implements LeaderEndpoint {
  private closed = false;

  constructor(
    readonly brokerId: number,
    private readonly leader: () => ReplicaManager | undefined,
  ) {}

  fetch(request: FetchParams): Promise<FetchPartitionResult[]> {
    return this.target().fetchMessages(request);
  }

  async fetchEarliestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number> {
    const p = this.target().leaderPartition(tp.topic, tp.partition);
    p.checkLeaderEpoch(currentLeaderEpoch);
    return p.log.logStartOffset;
  }

  async fetchLatestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number> {
    const p = this.target().leaderPartition(tp.topic, tp.partition);
    p.checkLeaderEpoch(currentLeaderEpoch);
    return p.log.logEndOffset;
  }

  close(): void {
    this.closed = true;
  }

  private target(): ReplicaManager {
    const rm = this.closed ? undefined : this.leader();
    if (!rm) throw new Error(`broker ${this.brokerId} is unreachable`);
    return rm;
  }
}

export interface WireLeaderEndpointOptions {
  localId: number;
  /** The listener brokers reach each other on (inter.broker.listener.name). */
  interBrokerListener: string;
  metadata: () => MetadataImage;
  /** replica.socket.timeout.ms; must exceed replica.fetch.wait.max.ms. */
  timeoutMs: number;
}

/**
 * The leader over the network (Kafka's RemoteLeaderEndPoint): Fetch v15+ as replica
 * `localId` and ListOffsets as a replica, on one reopening connection to the leader's
 * inter-broker listener as the metadata image registers it. One per fetcher, so each fetcher
 * long-polls on a connection of its own.
 */
export class WireLeaderEndpoint implements LeaderEndpoint {
  private readonly channel: NodeChannel;

  constructor(
    readonly brokerId: number,
    fetcherId: number,
    private readonly options: WireLeaderEndpointOptions,
  ) {
    this.channel = new NodeChannel(() => this.address(), { clientId: `broker-${options.localId}-fetcher-${fetcherId}`, timeoutMs: options.timeoutMs });
  }

  async fetch(request: FetchParams): Promise<FetchPartitionResult[]> {
    const topics = new Map<string, FetchRequestFetchTopic>();
    for (const p of request.partitions) {
      let t = topics.get(p.topic);
      if (!t) {
        t = { topic: p.topic, topicId: p.topicId ?? this.options.metadata().topic(p.topic)?.id ?? ZERO_UUID, partitions: [] };
        topics.set(p.topic, t);
      }
      t.partitions.push({
        partition: p.partition,
        currentLeaderEpoch: p.currentLeaderEpoch,
        fetchOffset: BigInt(p.fetchOffset),
        lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
        logStartOffset: BigInt(p.logStartOffset ?? -1),
        partitionMaxBytes: p.maxBytes,
        replicaDirectoryId: ZERO_UUID,
      });
    }
    const byId = new Map([...topics.values()].map((t) => [t.topicId, t.topic]));
    const res = await this.channel.send(ApiKey.Fetch, FETCH_MIN_VERSION, FETCH_MAX_VERSION, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: request.replicaId, replicaEpoch: BigInt(request.replicaEpoch ?? -1) },
      maxWaitMs: request.maxWaitMs,
      minBytes: request.minBytes,
      maxBytes: request.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...topics.values()],
      forgottenTopicsData: [],
      rackId: "",
    });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as never, `Fetch from broker ${this.brokerId} failed`);
    const results: FetchPartitionResult[] = [];
    for (const t of res.responses) {
      const topic = byId.get(t.topicId) ?? t.topic;
      for (const p of t.partitions) {
        const diverging = p.divergingEpoch.epoch >= 0 || p.divergingEpoch.endOffset >= 0n;
        results.push({
          topic,
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          highWatermark: Number(p.highWatermark),
          lastStableOffset: Number(p.lastStableOffset),
          logStartOffset: Number(p.logStartOffset),
          records: p.records,
          ...(diverging ? { divergingEpoch: { epoch: p.divergingEpoch.epoch, endOffset: Number(p.divergingEpoch.endOffset) } } : {}),
        });
      }
    }
    return results;
  }

  fetchEarliestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number> {
    return this.listOffset(tp, currentLeaderEpoch, EARLIEST_TIMESTAMP);
  }

  fetchLatestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number> {
    return this.listOffset(tp, currentLeaderEpoch, LATEST_TIMESTAMP);
  }

  close(): void {
    this.channel.close();
  }

  private async listOffset(tp: TopicPartition, currentLeaderEpoch: number, timestamp: bigint): Promise<number> {
    const res = await this.channel.send(ApiKey.ListOffsets, LIST_OFFSETS_MIN_VERSION, LIST_OFFSETS_MAX_VERSION, {
      replicaId: this.options.localId,
      isolationLevel: 0,
      topics: [{ name: tp.topic, partitions: [{ partitionIndex: tp.partition, currentLeaderEpoch, timestamp, maxNumOffsets: 1 }] }],
      timeoutMs: this.options.timeoutMs,
    });
    const p = res.topics[0]?.partitions[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `ListOffsets from broker ${this.brokerId} answered no partition`);
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as never, `ListOffsets for ${tp.topic}-${tp.partition} from broker ${this.brokerId} failed`);
    return Number(p.offset);
  }

  private address(): string {
    const b = this.options.metadata().brokers.get(this.brokerId);
    const l = b?.listeners.find((e) => e.name === this.options.interBrokerListener) ?? b?.listeners[0];
    if (!l) throw new Error(`broker ${this.brokerId} has no registered listener`);
    return `${l.host}:${l.port}`;
  }
}
