import { Kafka, logLevel, type Admin, type Producer } from "kafkajs";
import { ApiKey } from "../../broker/protocol/generated/apis.ts";
import { defaultFetchRequestFetchPartition, defaultFetchRequestFetchTopic } from "../../broker/protocol/generated/message/FetchRequest.ts";
import { decodeRecordBatch, iterateBatches, recordOffset, recordTimestamp } from "../../broker/protocol/records/record-batch.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import { ClusterError, createTopicErrorField, fromKafkaJs, kafkaErrorName } from "./errors.ts";
import { topicsNeedingMinIsr, withMinIsr } from "./partition-health.ts";
import { replicaKey } from "./replica-status.ts";
import { buildSnapshot, type ClusterSnapshot, type PartitionInfo, type TopicInfo } from "./snapshot.ts";
import { WireConnection } from "../../broker/network/kafka-connection.ts";

export interface NewTopic {
  name: string;
  /** -1: the broker's num.partitions. */
  partitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  configs: Record<string, string>;
}

/** A partition as the metadata snapshot has it, with its offsets and size. */
export interface PartitionDetail extends Omit<PartitionInfo, "errorCode"> {
  earliestOffset: string | null;
  latestOffset: string | null;
  /** Bytes on the leader's log dir (DescribeLogDirs); null when unknown. */
  sizeBytes: number | null;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  isDefault: boolean;
  readOnly: boolean;
  isSensitive: boolean;
  source: string;
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: string;
}

/** A broker config as DescribeConfigs reports it with synonyms (v1+) and its type (v3+). */
export interface BrokerConfigEntry extends ConfigEntry {
  synonyms: ConfigSynonym[];
  type: string | null;
}

export interface LogDirPartition {
  topic: string;
  partition: number;
  sizeBytes: number;
  offsetLag: number;
  isFuture: boolean;
}

/** One log dir of a broker (DescribeLogDirs): space (v4+) and the partitions it holds. */
export interface LogDirDetail {
  path: string;
  error: string | null;
  totalBytes: number | null;
  usableBytes: number | null;
  /** The sum of the partition sizes reported for this dir. */
  sizeBytes: number;
  partitions: LogDirPartition[];
}

export interface TopicDetail {
  topic: TopicInfo;
  partitions: PartitionDetail[];
  configs: ConfigEntry[];
  /** Parts that could not be read (offsets, sizes, configs), with the reason. */
  problems: string[];
}

export interface FetchedMessage {
  partition: number;
  offset: string;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Kafka's ConfigType values (DescribeConfigs v3+). */
const CONFIG_TYPES = ["unknown", "boolean", "string", "int", "short", "long", "double", "list", "class", "password"];

/** Kafka's ConfigResource.Type values. */
const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;

const CONFIG_SOURCES: Record<number, string> = {
  0: "unknown",
  1: "topic",
  2: "dynamic broker",
  3: "dynamic default broker",
  4: "static broker",
  5: "default",
  6: "dynamic broker logger",
  7: "client metrics",
};

function configSource(source: number): string {
  return CONFIG_SOURCES[source] ?? String(source);
}

/** One DescribeConfigs entry as the console shows it (5 = DEFAULT_CONFIG). */
function configEntry(e: { name: string; value: string | null; configSource: number; readOnly: boolean; isSensitive: boolean }): ConfigEntry {
  return { name: e.name, value: e.value, isDefault: e.configSource === 5, readOnly: e.readOnly, isSensitive: e.isSensitive, source: configSource(e.configSource) };
}

/**
 * The console's one long-lived connection to a cluster, shared by every browser: a kafkajs
 * admin (and producer when needed) plus the project's wire client for the APIs kafkajs lacks
 * or trims. Metadata is read as one snapshot, cached briefly and shared by all pages.
 */
export class ClusterConnection {
  private readonly kafka: Kafka;
  private admin: Admin | null = null;
  private adminConnecting: Promise<Admin> | null = null;
  private producer: Producer | null = null;
  private readonly wires = new Map<string, Promise<WireConnection>>();
  private cached: ClusterSnapshot | null = null;
  private inflight: Promise<ClusterSnapshot> | null = null;
  private readonly snapshotListeners = new Set<(s: ClusterSnapshot) => void>();
  private closed = false;
  /** Bumped by invalidate(): a snapshot requested before a mutation is not cached after it. */
  private generation = 0;

  constructor(
    readonly name: string,
    readonly bootstrap: readonly string[],
    private readonly options: { requestTimeoutMs?: number; snapshotMaxAgeMs?: number } = {},
  ) {
    this.kafka = new Kafka({
      clientId: "samsa-console",
      brokers: [...bootstrap],
      connectionTimeout: 3000,
      requestTimeout: options.requestTimeoutMs ?? 15_000,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 2000 },
      logLevel: logLevel.NOTHING,
    });
  }

  /** The last snapshot taken, without asking the cluster. */
  get last(): ClusterSnapshot | null {
    return this.cached;
  }

  /**
   * A metadata snapshot no older than maxAgeMs (concurrent callers share one request). A
   * snapshot older than that but younger than staleMs is returned at once while a fresh one is
   * taken in the background (pages stay fast; the watcher refreshes every few seconds and
   * mutations invalidate the cache, so what pages show is at most a few seconds old).
   * snapshot(0) always asks the cluster.
   */
  async snapshot(maxAgeMs = this.options.snapshotMaxAgeMs ?? 2000, staleMs = maxAgeMs === 0 ? 0 : 15_000): Promise<ClusterSnapshot> {
    const age = this.cached ? Date.now() - this.cached.takenAt : Infinity;
    if (this.cached && age <= maxAgeMs) return this.cached;
    if (!this.inflight) {
      const p: Promise<ClusterSnapshot> = this.takeSnapshot().finally(() => {
        if (this.inflight === p) this.inflight = null;
      });
      this.inflight = p;
    }
    if (this.cached && age <= staleMs) {
      this.inflight.catch(() => {}); // the next caller sees the failure
      return this.cached;
    }
    return this.inflight;
  }

  /** Called with every new snapshot (the SSE streams forward the totals). */
  onSnapshot(listener: (s: ClusterSnapshot) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  /** Forgets the cached snapshot, so the next read sees a mutation that just happened. */
  invalidate(): void {
    this.cached = null;
    this.inflight = null;
    this.generation++;
  }

  private async takeSnapshot(): Promise<ClusterSnapshot> {
    const generation = this.generation;
    const s = await this.withAnyWire(async (c) => {
      const v = c.version(ApiKey.Metadata, 1, 12);
      const [m, quorumLeader] = await Promise.all([c.request(ApiKey.Metadata, v, { topics: null, allowAutoTopicCreation: false }), metadataQuorumLeader(c)]);
      // A KRaft broker answers Metadata with a random live broker as the "controller" (clients
      // only need a broker that forwards admin requests); the quorum's leader is the real one.
      const built = buildSnapshot(quorumLeader === null ? m : { ...m, controllerId: quorumLeader });
      const needed = topicsNeedingMinIsr(built);
      if (needed.length === 0) return built;
      return withMinIsr(built, await topicMinIsr(c, needed).catch(() => null));
    });
    if (generation !== this.generation) return s;
    this.cached = s;
    for (const l of this.snapshotListeners) {
      try {
        l(s);
      } catch {
        // listeners must not break the snapshot
      }
    }
    return s;
  }

  // ---- wire connections --------------------------------------------------------------

  /**
   * The pooled connection to one broker address. A broker answers one request at a time per
   * connection (as Kafka does), so a long-polling Fetch gets its own `lane` and does not hold
   * up the pages' requests behind it.
   */
  async wire(address: string, lane = "default"): Promise<WireConnection> {
    if (this.closed) throw new ClusterError("CLOSED", "the console is shutting down");
    const key = `${lane} ${address}`;
    const existing = this.wires.get(key);
    if (existing) {
      const c = await existing.catch(() => null);
      if (c?.isOpen) return c;
      this.wires.delete(key);
    }
    const opening = WireConnection.open(address, { clientId: "samsa-console", timeoutMs: this.options.requestTimeoutMs ?? 15_000 });
    this.wires.set(key, opening);
    opening.catch(() => this.wires.delete(key));
    return opening;
  }

  /** Runs `fn` on a connection to any reachable broker. */
  async withAnyWire<T>(fn: (c: WireConnection) => Promise<T>): Promise<T> {
    const known = this.cached?.brokers.map((b) => `${b.host}:${b.port}`) ?? [];
    const addresses = [...new Set([...this.bootstrap, ...known])];
    let last: unknown;
    for (const a of addresses) {
      let conn: WireConnection;
      try {
        conn = await this.wire(a);
      } catch (err) {
        last = err;
        continue;
      }
      return fn(conn);
    }
    const reason = last instanceof Error ? last.message : String(last);
    throw new ClusterError("CLUSTER_UNREACHABLE", `Cannot reach any broker of ${this.bootstrap.join(", ")}: ${reason}`);
  }

  /** A connection to one broker by node id (from the snapshot's broker list). */
  async wireTo(nodeId: number, lane = "default"): Promise<WireConnection> {
    const snap = await this.snapshot();
    const b = snap.brokers.find((x) => x.nodeId === nodeId);
    if (!b) throw new ClusterError("BROKER_NOT_AVAILABLE", `broker ${nodeId} is not in the cluster's metadata`);
    return this.wire(`${b.host}:${b.port}`, lane);
  }

  // ---- kafkajs ----------------------------------------------------------------------

  /** The shared kafkajs admin (connected on first use). */
  async adminClient(): Promise<Admin> {
    if (this.admin) return this.admin;
    if (!this.adminConnecting) {
      const admin = this.kafka.admin();
      this.adminConnecting = admin
        .connect()
        .then(() => {
          this.admin = admin;
          admin.on(admin.events.DISCONNECT, () => {
            if (this.admin === admin) this.admin = null;
          });
          return admin;
        })
        .finally(() => (this.adminConnecting = null));
    }
    return this.adminConnecting;
  }

  private async producerClient(): Promise<Producer> {
    if (this.producer) return this.producer;
    const p = this.kafka.producer({ allowAutoTopicCreation: false });
    await p.connect();
    this.producer = p;
    return p;
  }

  // ---- reads ------------------------------------------------------------------------

  async topicDetail(name: string): Promise<TopicDetail | null> {
    const snap = await this.snapshot();
    const topic = snap.byName.get(name);
    if (!topic) return null;
    const problems: string[] = [];
    const [offsets, sizes, configs] = await Promise.all([
      this.offsets(name).catch((e: unknown) => {
        problems.push(`offsets: ${fromKafkaJs(e).message}`);
        return new Map<number, { low: string; high: string }>();
      }),
      this.partitionSizes(topic).catch((e: unknown) => {
        problems.push(`sizes: ${e instanceof Error ? e.message : String(e)}`);
        return new Map<number, number>();
      }),
      this.topicConfigs(name).catch((e: unknown) => {
        problems.push(`configs: ${fromKafkaJs(e).message}`);
        return [] as ConfigEntry[];
      }),
    ]);
    return {
      topic,
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicas,
        isr: p.isr,
        offlineReplicas: p.offlineReplicas,
        earliestOffset: offsets.get(p.partition)?.low ?? null,
        latestOffset: offsets.get(p.partition)?.high ?? null,
        sizeBytes: sizes.get(p.partition) ?? null,
      })),
      configs,
      problems,
    };
  }

  async offsets(topic: string): Promise<Map<number, { low: string; high: string }>> {
    const admin = await this.adminClient();
    const rows = await admin.fetchTopicOffsets(topic);
    return new Map(rows.map((r) => [r.partition, { low: r.low, high: r.high }]));
  }

  /**
   * Log end offsets (ListOffsets, latest) of many partitions: one request per partition
   * leader. Keys are "topic:partition"; partitions without a leader or with an error are left
   * out.
   */
  async latestOffsets(partitions: readonly { topic: string; partition: number }[]): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    if (partitions.length === 0) return out;
    const snap = await this.snapshot();
    const byLeader = new Map<number, Map<string, Set<number>>>();
    for (const { topic, partition } of partitions) {
      const leader = snap.byName.get(topic)?.partitions.find((p) => p.partition === partition)?.leader ?? -1;
      if (leader < 0) continue;
      const topics = byLeader.get(leader) ?? new Map<string, Set<number>>();
      topics.set(topic, (topics.get(topic) ?? new Set()).add(partition));
      byLeader.set(leader, topics);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        const c = await this.wireTo(leader);
        const v = c.version(ApiKey.ListOffsets, 1, 9);
        const r = await c.request(ApiKey.ListOffsets, v, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...topics].map(([name, ps]) => ({ name, partitions: [...ps].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) })),
        });
        for (const t of r.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE && p.offset >= 0n) out.set(`${t.name}:${p.partitionIndex}`, p.offset);
      }),
    );
    return out;
  }

  /**
   * Log end offsets of replicas, leaders' and followers' alike: ListOffsets (latest) with
   * Kafka's debugging replica id (-2), which a broker answers for any replica it hosts, sent
   * to each replica's broker (one request per broker). Keys are `replicaKey`s; replicas on
   * brokers that are not live or do not answer are left out (their lag is unknown).
   */
  async replicaLogEndOffsets(replicas: readonly { topic: string; partition: number; broker: number }[]): Promise<Map<string, bigint>> {
    const out = new Map<string, bigint>();
    const snap = await this.snapshot();
    const live = new Set(snap.brokers.map((b) => b.nodeId));
    const byBroker = new Map<number, Map<string, Set<number>>>();
    for (const { topic, partition, broker } of replicas) {
      if (!live.has(broker)) continue;
      const topics = byBroker.get(broker) ?? new Map<string, Set<number>>();
      topics.set(topic, (topics.get(topic) ?? new Set()).add(partition));
      byBroker.set(broker, topics);
    }
    await Promise.all(
      [...byBroker].map(async ([broker, topics]) => {
        try {
          const c = await this.wireTo(broker);
          const v = c.version(ApiKey.ListOffsets, 1, 9);
          const r = await c.request(ApiKey.ListOffsets, v, {
            replicaId: DEBUGGING_REPLICA_ID,
            isolationLevel: 0,
            topics: [...topics].map(([name, ps]) => ({ name, partitions: [...ps].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) })),
          });
          for (const t of r.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE && p.offset >= 0n) out.set(replicaKey(t.name, p.partitionIndex, broker), p.offset);
        } catch {
          // That broker's replicas stay unknown; the others are still shown.
        }
      }),
    );
    return out;
  }

  /** The cluster's default.replication.factor, as a broker reports it (DescribeConfigs of the BROKER resource). */
  async defaultReplicationFactor(): Promise<number | null> {
    const snap = await this.snapshot();
    const broker = snap.brokers[0];
    if (!broker) return null;
    const entry = (await this.brokerConfigs(broker.nodeId)).find((e) => e.name === "default.replication.factor");
    const n = Number(entry?.value);
    return Number.isInteger(n) && n > 0 ? n : null;
  }

  async offsetsForTimestamp(topic: string, timestamp: number): Promise<Map<number, string>> {
    const admin = await this.adminClient();
    const rows = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
    return new Map(rows.map((r) => [r.partition, r.offset]));
  }

  /** Partition sizes from DescribeLogDirs on each partition's leader. */
  async partitionSizes(topic: TopicInfo): Promise<Map<number, number>> {
    const leaders = new Map<number, number[]>();
    for (const p of topic.partitions) if (p.leader >= 0) leaders.set(p.leader, [...(leaders.get(p.leader) ?? []), p.partition]);
    const sizes = new Map<number, number>();
    await Promise.all(
      [...leaders].map(async ([nodeId, partitions]) => {
        const c = await this.wireTo(nodeId);
        const v = c.version(ApiKey.DescribeLogDirs, 0, 4);
        const r = await c.request(ApiKey.DescribeLogDirs, v, { topics: [{ topic: topic.name, partitions }] });
        if (r.errorCode !== ErrorCode.NONE) throw new Error(`DescribeLogDirs on broker ${nodeId}: ${kafkaErrorName(r.errorCode)}`);
        for (const dir of r.results) {
          for (const t of dir.topics) {
            if (t.name !== topic.name) continue;
            for (const p of t.partitions) if (!p.isFutureKey && partitions.includes(p.partitionIndex)) sizes.set(p.partitionIndex, (sizes.get(p.partitionIndex) ?? 0) + Number(p.partitionSize));
          }
        }
      }),
    );
    return sizes;
  }

  /** A broker's log dirs with their total and usable bytes (DescribeLogDirs v4+), without partitions. */
  async logDirs(nodeId: number): Promise<{ path: string; error: string | null; totalBytes: number | null; usableBytes: number | null }[]> {
    return (await this.describeLogDirs(nodeId, [])).map(({ path, error, totalBytes, usableBytes }) => ({ path, error, totalBytes, usableBytes }));
  }

  /**
   * DescribeLogDirs on one broker: its dirs with total and usable bytes (v4+) and the size of
   * every partition it holds (`topics` null: all of them; [] none).
   */
  async describeLogDirs(nodeId: number, topics: { topic: string; partitions: number[] }[] | null = null): Promise<LogDirDetail[]> {
    const c = await this.wireTo(nodeId);
    const v = c.version(ApiKey.DescribeLogDirs, 0, 4);
    const r = await c.request(ApiKey.DescribeLogDirs, v, { topics });
    if (r.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(r.errorCode), `DescribeLogDirs on broker ${nodeId}: ${kafkaErrorName(r.errorCode)}`);
    return r.results.map((d) => {
      const partitions: LogDirPartition[] = [];
      let sizeBytes = 0;
      for (const t of d.topics) {
        for (const p of t.partitions) {
          const size = Number(p.partitionSize);
          if (!p.isFutureKey) sizeBytes += size;
          partitions.push({ topic: t.name, partition: p.partitionIndex, sizeBytes: size, offsetLag: Number(p.offsetLag), isFuture: p.isFutureKey });
        }
      }
      return {
        path: d.logDir,
        error: d.errorCode === ErrorCode.NONE ? null : kafkaErrorName(d.errorCode),
        totalBytes: v >= 4 && d.totalBytes >= 0n ? Number(d.totalBytes) : null,
        usableBytes: v >= 4 && d.usableBytes >= 0n ? Number(d.usableBytes) : null,
        sizeBytes,
        partitions,
      };
    });
  }

  /**
   * A broker's configs (DescribeConfigs on the BROKER resource, sent to that broker as Kafka's
   * admin client does) with each value's source and the synonyms it was resolved through.
   */
  async brokerConfigs(nodeId: number): Promise<BrokerConfigEntry[]> {
    const c = await this.wireTo(nodeId);
    const v = c.version(ApiKey.DescribeConfigs, 1, 4);
    const r = await c.request(ApiKey.DescribeConfigs, v, { resources: [{ resourceType: BROKER_RESOURCE, resourceName: String(nodeId), configurationKeys: null }], includeSynonyms: true, includeDocumentation: false });
    const res = r.results[0];
    if (!res) throw new ClusterError("UNKNOWN_SERVER_ERROR", "DescribeConfigs returned no result");
    if (res.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(res.errorCode), res.errorMessage || kafkaErrorName(res.errorCode));
    return res.configs
      .map((e) => ({
        ...configEntry(e),
        synonyms: e.synonyms.map((s) => ({ name: s.name, value: s.value, source: configSource(s.source) })),
        type: v >= 3 ? (CONFIG_TYPES[e.configType] ?? null) : null,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Sets (value) or removes (null) one dynamic config of one broker: IncrementalAlterConfigs
   * SET or DELETE on the BROKER resource "<id>", sent to that broker.
   */
  async alterBrokerConfig(nodeId: number, name: string, value: string | null): Promise<void> {
    await incrementalAlterConfig(await this.wireTo(nodeId), BROKER_RESOURCE, String(nodeId), name, value);
  }

  /**
   * Sets (value) or removes (null, back to the broker's default) one config of a topic:
   * IncrementalAlterConfigs on the TOPIC resource, sent to the controller when known (any
   * broker forwards it there). An unknown name is Kafka's INVALID_CONFIG, shown at the name.
   */
  async alterTopicConfig(topic: string, name: string, value: string | null): Promise<void> {
    await this.withControllerWire((c) => incrementalAlterConfig(c, TOPIC_RESOURCE, topic, name, value));
  }

  /**
   * A topic's configs with their sources (DescribeConfigs v1+), read from the broker that
   * config changes are sent to. Each broker applies a change when it reaches it through the
   * metadata log, so brokers differ for a moment after one; asking the same broker every time
   * (not whichever one kafkajs would pick: on Apache Kafka a random one per request) shows a
   * change once and keeps showing it.
   */
  async topicConfigs(topic: string): Promise<ConfigEntry[]> {
    return this.withControllerWire(async (c) => {
      const v = c.version(ApiKey.DescribeConfigs, 1, 4);
      const r = await c.request(ApiKey.DescribeConfigs, v, { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
      const res = r.results[0];
      if (!res) return [];
      if (res.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(res.errorCode), res.errorMessage || kafkaErrorName(res.errorCode));
      return res.configs.map(configEntry).sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  /**
   * Runs `fn` on the connection to the active controller when it is one of the brokers (it
   * takes admin requests first-hand; any broker forwards them), else on any broker.
   */
  async withControllerWire<T>(fn: (c: WireConnection) => Promise<T>): Promise<T> {
    const snap = await this.snapshot(10_000).catch(() => null);
    const controller = snap && snap.controllerId >= 0 && snap.brokers.some((b) => b.nodeId === snap.controllerId) ? await this.wireTo(snap.controllerId).catch(() => null) : null;
    return controller ? fn(controller) : this.withAnyWire(fn);
  }

  /**
   * Reads up to `limit` messages of one partition from `offset`, without a consumer group:
   * plain Fetch requests to the partition's leader.
   */
  async fetchMessages(topic: string, partition: number, offset: bigint, limit: number): Promise<{ messages: FetchedMessage[]; highWatermark: string }> {
    const snap = await this.snapshot();
    const p = snap.byName.get(topic)?.partitions.find((x) => x.partition === partition);
    if (!p) throw new ClusterError("UNKNOWN_TOPIC_OR_PARTITION", `${topic}-${partition} does not exist`);
    if (p.leader < 0) throw new ClusterError("LEADER_NOT_AVAILABLE", `${topic}-${partition} has no leader`);
    const c = await this.wireTo(p.leader);
    const v = c.version(ApiKey.Fetch, 4, 12);
    const messages: FetchedMessage[] = [];
    let next = offset;
    let hw = -1n;
    for (let round = 0; round < 20 && messages.length < limit; round++) {
      const r = await c.request(ApiKey.Fetch, v, {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 4 * 1024 * 1024,
        topics: [{ ...defaultFetchRequestFetchTopic(), topic, partitions: [{ ...defaultFetchRequestFetchPartition(), partition, fetchOffset: next, partitionMaxBytes: 1024 * 1024 }] }],
      });
      if (r.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(r.errorCode), `Fetch failed: ${kafkaErrorName(r.errorCode)}`);
      const pd = r.responses[0]?.partitions[0];
      if (!pd) break;
      if (pd.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(pd.errorCode), `Fetch of ${topic}-${partition} at offset ${next}: ${kafkaErrorName(pd.errorCode)}`);
      hw = pd.highWatermark;
      const before = messages.length;
      for (const m of decodeRecords(pd.records, partition)) {
        if (BigInt(m.offset) < next) continue;
        messages.push(m);
        if (messages.length >= limit) break;
      }
      if (messages.length === before) break;
      next = BigInt(messages[messages.length - 1]!.offset) + 1n;
      if (next >= hw) break;
    }
    return { messages, highWatermark: hw.toString() };
  }

  // ---- mutations --------------------------------------------------------------------

  /**
   * CreateTopics on the controller through the wire client, because kafkajs drops the
   * broker's error message, which the form shows next to the field it concerns.
   */
  async createTopic(t: NewTopic): Promise<void> {
    await this.withControllerWire(async (c) => {
      const v = c.version(ApiKey.CreateTopics, 0, 7);
      const r = await c.request(ApiKey.CreateTopics, v, {
        timeoutMs: 30_000,
        validateOnly: false,
        topics: [
          {
            name: t.name,
            numPartitions: t.partitions,
            replicationFactor: t.replicationFactor,
            assignments: [],
            configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
          },
        ],
      });
      const res = r.topics[0];
      if (!res) throw new ClusterError("UNKNOWN_SERVER_ERROR", "CreateTopics returned no result");
      if (res.errorCode !== ErrorCode.NONE) {
        const code = kafkaErrorName(res.errorCode);
        let message = res.errorMessage || code;
        if (res.errorCode === ErrorCode.INVALID_REPLICATION_FACTOR) message = await this.explainReplicationFactor(t.replicationFactor, message);
        throw new ClusterError(code, message, createTopicErrorField(res.errorCode, message));
      }
    });
    this.invalidate();
  }

  /**
   * Kafka's INVALID_REPLICATION_FACTOR in words when the factor exceeds the live brokers
   * ("3 replicas were asked for but only 2 brokers are alive"), with Kafka's own message after.
   */
  private async explainReplicationFactor(asked: number, kafkaMessage: string): Promise<string> {
    const [snap, factor] = await Promise.all([this.snapshot(0).catch(() => null), asked > 0 ? asked : this.defaultReplicationFactor().catch(() => null)]);
    if (!snap || factor === null || factor <= snap.brokers.length) return kafkaMessage;
    const alive = snap.brokers.length;
    const asking = asked > 0 ? `${factor} replicas were asked for` : `The cluster's default.replication.factor asks for ${factor} replicas`;
    return `${asking} but only ${alive} ${alive === 1 ? "broker is" : "brokers are"} alive: a partition's replicas must be on different brokers. (Kafka: ${kafkaMessage})`;
  }

  async deleteTopic(name: string): Promise<void> {
    try {
      const admin = await this.adminClient();
      await admin.deleteTopics({ topics: [name], timeout: 30_000 });
    } catch (err) {
      throw fromKafkaJs(err);
    } finally {
      this.invalidate();
    }
  }

  async produce(topic: string, message: { key: string | null; value: string; partition?: number | undefined; headers?: Record<string, string> }): Promise<{ partition: number; offset: string }> {
    try {
      const producer = await this.producerClient();
      const [r] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key: message.key, value: message.value, ...(message.partition !== undefined ? { partition: message.partition } : {}), headers: message.headers ?? {} }],
      });
      return { partition: r?.partition ?? message.partition ?? 0, offset: r?.baseOffset ?? "?" };
    } catch (err) {
      throw fromKafkaJs(err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const admin = this.admin;
    const producer = this.producer;
    this.admin = null;
    this.producer = null;
    await Promise.allSettled([admin?.disconnect(), producer?.disconnect()]);
    for (const w of this.wires.values()) void w.then((c) => c.close()).catch(() => {});
    this.wires.clear();
  }
}

/**
 * The active controller of a KRaft cluster: the leader of the metadata quorum, as
 * DescribeQuorum (which brokers forward to the controllers) reports it. Null when the broker
 * does not serve DescribeQuorum (Samsa, ZooKeeper-mode Kafka), refuses it, or no leader is known.
 */
async function metadataQuorumLeader(c: WireConnection): Promise<number | null> {
  let v: number;
  try {
    v = c.version(ApiKey.DescribeQuorum, 0, 2);
  } catch {
    return null;
  }
  try {
    const r = await c.request(ApiKey.DescribeQuorum, v, { topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }] });
    const p = r.topics[0]?.partitions[0];
    if (r.errorCode !== ErrorCode.NONE || !p || p.errorCode !== ErrorCode.NONE || p.leaderId < 0) return null;
    return p.leaderId;
  } catch {
    return null;
  }
}

/** Kafka's ListOffsetsRequest.DEBUGGING_REPLICA_ID: read any replica, not only the leader, up to its log end. */
const DEBUGGING_REPLICA_ID = -2;

/** Each topic's min.insync.replicas (DescribeConfigs of the TOPIC resources, that one key). */
async function topicMinIsr(c: WireConnection, topics: readonly string[]): Promise<Map<string, number>> {
  const v = c.version(ApiKey.DescribeConfigs, 1, 4);
  const r = await c.request(ApiKey.DescribeConfigs, v, {
    resources: topics.map((resourceName) => ({ resourceType: TOPIC_RESOURCE, resourceName, configurationKeys: ["min.insync.replicas"] })),
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const out = new Map<string, number>();
  for (const res of r.results) {
    const n = Number(res.configs.find((e) => e.name === "min.insync.replicas")?.value);
    if (res.errorCode === ErrorCode.NONE && Number.isInteger(n)) out.set(res.resourceName, n);
  }
  return out;
}

/** One IncrementalAlterConfigs SET (value) or DELETE (null) of one config of one resource. */
async function incrementalAlterConfig(c: WireConnection, resourceType: number, resourceName: string, name: string, value: string | null): Promise<void> {
  const v = c.version(ApiKey.IncrementalAlterConfigs, 0, 1);
  const r = await c.request(ApiKey.IncrementalAlterConfigs, v, {
    validateOnly: false,
    resources: [{ resourceType, resourceName, configs: [{ name, configOperation: value === null ? 1 : 0, value }] }],
  });
  const res = r.responses[0];
  if (!res) throw new ClusterError("UNKNOWN_SERVER_ERROR", "IncrementalAlterConfigs returned no result");
  if (res.errorCode !== ErrorCode.NONE) {
    const code = kafkaErrorName(res.errorCode);
    const message = res.errorMessage || code;
    // Apache Kafka refuses a bad value of a broker config with INVALID_REQUEST (of a topic
    // config with INVALID_CONFIG); either way the message names the value.
    const badValue = res.errorCode === ErrorCode.INVALID_REQUEST && /invalid value .* for configuration/i.test(message);
    const field = res.errorCode === ErrorCode.INVALID_CONFIG || badValue ? (/unknown .*config/i.test(message) ? "name" : "value") : undefined;
    throw new ClusterError(code, message, field);
  }
}

/** The complete records of a Fetch response's record set (a cut last batch is skipped). */
export function decodeRecords(records: Buffer | null, partition: number): FetchedMessage[] {
  if (!records || records.length === 0) return [];
  const out: FetchedMessage[] = [];
  for (const entry of iterateBatches(records)) {
    if (entry.partial) break;
    const { header, records: recs } = decodeRecordBatch(records.subarray(entry.position, entry.position + entry.size));
    const isControl = (header.attributes & 0x20) !== 0;
    if (isControl) continue;
    for (const r of recs) {
      out.push({
        partition,
        offset: recordOffset(header, r).toString(),
        timestamp: Number(recordTimestamp(header, r)),
        key: r.key === null ? null : r.key.toString("utf8"),
        value: r.value === null ? null : r.value.toString("utf8"),
        headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value === null ? "" : h.value.toString("utf8")])),
      });
    }
  }
  return out;
}
