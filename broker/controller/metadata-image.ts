import type { UuidString } from "./uuid.ts";
import { METADATA_VERSION_FEATURE } from "./metadata-version.ts";

/**
 * The cluster's metadata as of one committed offset of `__cluster_metadata` (Kafka's
 * MetadataImage). Built only by replaying committed records (see MetadataDelta), never
 * edited in place: a reader holding an image keeps a consistent view while the controller
 * moves on to the next one.
 */

/** Kafka's ConfigResource.Type ids as they appear in ConfigRecord and the admin APIs. */
export const ConfigResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

/** Sentinels of PartitionRecord / PartitionChangeRecord (Kafka's LeaderConstants). */
export const NO_LEADER = -1;
export const NO_LEADER_CHANGE = -2;

/** LeaderRecoveryState: RECOVERED (0), RECOVERING after an unclean election (1); -1 = no change. */
export const LeaderRecoveryState = { RECOVERED: 0, RECOVERING: 1, NO_CHANGE: -1 } as const;

export interface PartitionRegistration {
  /** Replica broker ids, preferred leader first. */
  readonly replicas: readonly number[];
  /** The log directory of each replica, index-aligned with `replicas`. */
  readonly directories: readonly UuidString[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  /** Leader broker id, or NO_LEADER (-1). */
  readonly leader: number;
  readonly leaderRecoveryState: number;
  readonly leaderEpoch: number;
  /** Bumped on every change to the partition (Kafka's partition epoch). */
  readonly partitionEpoch: number;
  /** Eligible leader replicas (KIP-966); null when not tracked. */
  readonly elr: readonly number[] | null;
  readonly lastKnownElr: readonly number[] | null;
}

export interface TopicImage {
  readonly name: string;
  readonly id: UuidString;
  readonly partitions: ReadonlyMap<number, PartitionRegistration>;
}

export interface Endpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** SecurityProtocol id: PLAINTEXT 0, SSL 1, SASL_PLAINTEXT 2, SASL_SSL 3. */
  readonly securityProtocol: number;
}

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export interface BrokerRegistration {
  readonly id: number;
  readonly incarnationId: UuidString;
  /** The broker epoch: the metadata offset of its registration. */
  readonly epoch: bigint;
  readonly listeners: readonly Endpoint[];
  readonly supportedFeatures: ReadonlyMap<string, VersionRange>;
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly isMigratingZkBroker: boolean;
  /** Directory ids of the broker's online log directories, sorted. */
  readonly directories: readonly UuidString[];
}

export interface ControllerRegistration {
  readonly id: number;
  readonly incarnationId: UuidString;
  readonly zkMigrationReady: boolean;
  readonly listeners: readonly Endpoint[];
  readonly supportedFeatures: ReadonlyMap<string, VersionRange>;
}

/** Where an image stands in the log: its last applied record's offset and leader epoch. */
export interface MetadataProvenance {
  /** Offset of the last record applied; -1n for the empty image. */
  readonly lastOffset: bigint;
  readonly lastEpoch: number;
  /** Append time (ms) of the last applied batch. */
  readonly lastTimestamp: number;
}

/** A config resource's map key: `${type}:${name}` (broker "" is the cluster default). */
export function configResourceKey(type: number, name: string): string {
  return `${type}:${name}`;
}

/** The resource a configResourceKey names. */
export function parseConfigResourceKey(key: string): { type: number; name: string } {
  const at = key.indexOf(":");
  return { type: Number(key.slice(0, at)), name: key.slice(at + 1) };
}

export interface MetadataImageParts {
  clusterId: string;
  provenance: MetadataProvenance;
  features: ReadonlyMap<string, number>;
  brokers: ReadonlyMap<number, BrokerRegistration>;
  controllers: ReadonlyMap<number, ControllerRegistration>;
  topicsById: ReadonlyMap<UuidString, TopicImage>;
  topicsByName: ReadonlyMap<string, TopicImage>;
  configs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  nextProducerId: bigint;
}

const EMPTY_CONFIGS: ReadonlyMap<string, string> = new Map();

export class MetadataImage implements MetadataImageParts {
  readonly clusterId: string;
  readonly provenance: MetadataProvenance;
  /** Finalized feature levels by name (metadata.version, ...); level 0 features are absent. */
  readonly features: ReadonlyMap<string, number>;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly controllers: ReadonlyMap<number, ControllerRegistration>;
  readonly topicsById: ReadonlyMap<UuidString, TopicImage>;
  readonly topicsByName: ReadonlyMap<string, TopicImage>;
  /** Config overrides by resource key (configResourceKey) then config name. */
  readonly configs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** The first producer id of the next block the controller hands out. */
  readonly nextProducerId: bigint;

  constructor(parts: MetadataImageParts) {
    this.clusterId = parts.clusterId;
    this.provenance = parts.provenance;
    this.features = parts.features;
    this.brokers = parts.brokers;
    this.controllers = parts.controllers;
    this.topicsById = parts.topicsById;
    this.topicsByName = parts.topicsByName;
    this.configs = parts.configs;
    this.nextProducerId = parts.nextProducerId;
  }

  static empty(clusterId: string): MetadataImage {
    return new MetadataImage({
      clusterId,
      provenance: { lastOffset: -1n, lastEpoch: -1, lastTimestamp: -1 },
      features: new Map(),
      brokers: new Map(),
      controllers: new Map(),
      topicsById: new Map(),
      topicsByName: new Map(),
      configs: new Map(),
      nextProducerId: 0n,
    });
  }

  /** True before any record was applied (a brand-new cluster's log). */
  isEmpty(): boolean {
    return this.provenance.lastOffset < 0n;
  }

  /** The finalized metadata.version level, or undefined before bootstrap. */
  metadataVersion(): number | undefined {
    return this.features.get(METADATA_VERSION_FEATURE);
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  partition(topicName: string, partition: number): PartitionRegistration | undefined {
    return this.topicsByName.get(topicName)?.partitions.get(partition);
  }

  /** The config overrides of one resource (empty when it has none). */
  resourceConfigs(type: number, name: string): ReadonlyMap<string, string> {
    return this.configs.get(configResourceKey(type, name)) ?? EMPTY_CONFIGS;
  }

  topicConfigs(topicName: string): ReadonlyMap<string, string> {
    return this.resourceConfigs(ConfigResourceType.TOPIC, topicName);
  }

  /** Dynamic configs of one broker ("<id>"), or the cluster-wide default (""). */
  brokerConfigs(brokerId: number | ""): ReadonlyMap<string, string> {
    return this.resourceConfigs(ConfigResourceType.BROKER, String(brokerId));
  }

  /** Brokers that may lead or join an ISR: registered, unfenced, not shutting down. */
  isActiveBroker(id: number): boolean {
    const b = this.brokers.get(id);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  }
}
