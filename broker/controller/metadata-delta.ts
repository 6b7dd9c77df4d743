import type { PartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import type { PartitionRecord } from "../protocol/generated/metadata/PartitionRecord.ts";
import type { RegisterBrokerRecord } from "../protocol/generated/metadata/RegisterBrokerRecord.ts";
import {
  type BrokerRegistration,
  type ControllerRegistration,
  type Endpoint,
  LeaderRecoveryState,
  MetadataImage,
  type MetadataProvenance,
  NO_LEADER_CHANGE,
  type PartitionRegistration,
  type TopicImage,
  type VersionRange,
  ConfigResourceType,
  configResourceKey,
} from "./metadata-image.ts";
import type { MetadataRecord } from "./metadata-record-serde.ts";
import { DirectoryId, type UuidString } from "./uuid.ts";

/**
 * A committed record that cannot apply to the image (a partition change for an unknown
 * topic, a fence with a stale broker epoch...). Like Kafka's loader, replay stops: the log
 * and the image disagree, and guessing would make the metadata silently wrong.
 */
export class MetadataReplayError extends Error {
  override readonly name = "MetadataReplayError";
}

interface MutableTopic extends TopicImage {
  readonly partitions: Map<number, PartitionRegistration>;
}

/**
 * The changes of a run of committed records on top of a base image (Kafka's
 * MetadataDelta). Records replay in log order; `apply` produces the next immutable image.
 * Copy-on-write: only the maps and topics a record touches are copied, so a delta over a
 * large cluster costs what it changes. It also says what changed, for the components that
 * react to metadata (replica manager, config, state-change log).
 */
export class MetadataDelta {
  private features: Map<string, number> | null = null;
  private brokers: Map<number, BrokerRegistration> | null = null;
  private controllers: Map<number, ControllerRegistration> | null = null;
  private topicsById: Map<UuidString, TopicImage> | null = null;
  private topicsByName: Map<string, TopicImage> | null = null;
  private configs: Map<string, ReadonlyMap<string, string>> | null = null;
  private nextProducerId: bigint;
  private provenance: MetadataProvenance;

  /** Topics created or changed by this delta, by id. */
  readonly changedTopics = new Map<UuidString, MutableTopic>();
  /** Topics removed by this delta (as they were in the base image), by id. */
  readonly deletedTopics = new Map<UuidString, TopicImage>();
  readonly changedBrokers = new Set<number>();
  /** Config resources touched, as configResourceKey(type, name). */
  readonly changedConfigs = new Set<string>();
  private readonly ownedConfigs = new Set<string>();
  private records = 0;

  constructor(readonly image: MetadataImage) {
    this.nextProducerId = image.nextProducerId;
    this.provenance = image.provenance;
  }

  /** Each topic this delta created or changed, as it is in `next` and as it was before. */
  *topicChanges(next: MetadataImage): Generator<{ topic: TopicImage; before: TopicImage | undefined }> {
    for (const id of this.changedTopics.keys()) {
      const topic = next.topicsById.get(id);
      if (topic) yield { topic, before: this.image.topicsById.get(id) };
    }
  }

  /** Number of records replayed so far. */
  get size(): number {
    return this.records;
  }

  /** Marks the position the delta has reached; `apply` stamps it on the new image. */
  setProvenance(provenance: MetadataProvenance): void {
    this.provenance = provenance;
  }

  /** Applies one record; `offset` (its log offset) moves the delta's position when given. */
  replay(record: MetadataRecord, offset?: bigint): void {
    this.records++;
    if (offset !== undefined) this.provenance = { ...this.provenance, lastOffset: offset };
    switch (record.type) {
      case "FeatureLevelRecord": {
        const features = (this.features ??= new Map(this.image.features));
        if (record.data.featureLevel === 0) features.delete(record.data.name);
        else features.set(record.data.name, record.data.featureLevel);
        return;
      }
      case "RegisterBrokerRecord":
        this.putBroker(brokerFromRecord(record.data));
        return;
      case "UnregisterBrokerRecord": {
        this.brokerOrThrow(record.data.brokerId, record.data.brokerEpoch, "unregister");
        this.mutableBrokers().delete(record.data.brokerId);
        this.changedBrokers.add(record.data.brokerId);
        return;
      }
      case "FenceBrokerRecord": {
        const b = this.brokerOrThrow(record.data.id, record.data.epoch, "fence");
        this.putBroker({ ...b, fenced: true });
        return;
      }
      case "UnfenceBrokerRecord": {
        const b = this.brokerOrThrow(record.data.id, record.data.epoch, "unfence");
        this.putBroker({ ...b, fenced: false });
        return;
      }
      case "BrokerRegistrationChangeRecord": {
        const d = record.data;
        const b = this.brokerOrThrow(d.brokerId, d.brokerEpoch, "change");
        // Fenced: -1 unfence, 0 no change, 1 fence. InControlledShutdown: 0 no change, 1 yes.
        if (d.fenced < -1 || d.fenced > 1) throw new MetadataReplayError(`invalid fencing change ${d.fenced} for broker ${d.brokerId}`);
        if (d.inControlledShutdown < 0 || d.inControlledShutdown > 1) {
          throw new MetadataReplayError(`invalid controlled shutdown change ${d.inControlledShutdown} for broker ${d.brokerId}`);
        }
        this.putBroker({
          ...b,
          fenced: d.fenced === 0 ? b.fenced : d.fenced === 1,
          inControlledShutdown: d.inControlledShutdown === 1 ? true : b.inControlledShutdown,
          directories: d.logDirs.length > 0 ? sortedDirs(d.logDirs) : b.directories,
        });
        return;
      }
      case "RegisterControllerRecord": {
        const d = record.data;
        (this.controllers ??= new Map(this.image.controllers)).set(d.controllerId, {
          id: d.controllerId,
          incarnationId: d.incarnationId,
          zkMigrationReady: d.zkMigrationReady,
          listeners: d.endPoints.map(endpoint),
          supportedFeatures: featureMap(d.features),
        });
        return;
      }
      case "TopicRecord": {
        const topic: MutableTopic = { name: record.data.name, id: record.data.topicId, partitions: new Map() };
        this.mutableTopicsById().set(topic.id, topic);
        this.mutableTopicsByName().set(topic.name, topic);
        this.changedTopics.set(topic.id, topic);
        return;
      }
      case "PartitionRecord": {
        const t = this.mutableTopic(record.data.topicId, "PartitionRecord");
        t.partitions.set(record.data.partitionId, partitionFromRecord(record.data));
        return;
      }
      case "PartitionChangeRecord": {
        const t = this.mutableTopic(record.data.topicId, "PartitionChangeRecord");
        const current = t.partitions.get(record.data.partitionId);
        if (!current) {
          throw new MetadataReplayError(`Unable to find partition ${record.data.topicId}:${record.data.partitionId}`);
        }
        t.partitions.set(record.data.partitionId, mergePartitionChange(current, record.data));
        return;
      }
      case "RemoveTopicRecord": {
        const id = record.data.topicId;
        const topic = (this.topicsById ?? this.image.topicsById).get(id);
        if (!topic) throw new MetadataReplayError(`Unable to delete topic with id ${id}: no such topic found.`);
        this.mutableTopicsById().delete(id);
        this.mutableTopicsByName().delete(topic.name);
        this.changedTopics.delete(id);
        const base = this.image.topicsById.get(id);
        if (base) this.deletedTopics.set(id, base);
        // A removed topic takes its config overrides with it (Kafka's ConfigurationsDelta).
        const key = configResourceKey(ConfigResourceType.TOPIC, topic.name);
        if ((this.configs ?? this.image.configs).has(key)) {
          this.mutableConfigs().delete(key);
          this.changedConfigs.add(key);
        }
        return;
      }
      case "ConfigRecord": {
        const d = record.data;
        const key = configResourceKey(d.resourceType, d.resourceName);
        const configs = this.mutableConfigs();
        let resource = configs.get(key) as Map<string, string> | undefined;
        if (!this.ownedConfigs.has(key)) {
          resource = new Map(resource ?? []);
          this.ownedConfigs.add(key);
          configs.set(key, resource);
        }
        if (d.value === null) resource!.delete(d.name);
        else resource!.set(d.name, d.value);
        if (resource!.size === 0) {
          configs.delete(key);
          this.ownedConfigs.delete(key);
        }
        this.changedConfigs.add(key);
        return;
      }
      case "ProducerIdsRecord":
        this.nextProducerId = record.data.nextProducerId;
        return;
      case "NoOpRecord":
      case "ZkMigrationStateRecord":
      case "BeginTransactionRecord":
      case "EndTransactionRecord":
      case "AbortTransactionRecord":
        // No image state: NoOp only advances the offset; the others belong to ZooKeeper
        // migration, which Samsa never does.
        return;
      case "AccessControlEntryRecord":
      case "RemoveAccessControlEntryRecord":
      case "UserScramCredentialRecord":
      case "RemoveUserScramCredentialRecord":
      case "DelegationTokenRecord":
      case "RemoveDelegationTokenRecord":
      case "ClientQuotaRecord":
        // ACLs, SCRAM credentials, delegation tokens and quotas are not implemented yet; the
        // image ignores them (they still advance the offset).
        return;
      default: {
        const unknown: never = record;
        throw new MetadataReplayError(`unhandled metadata record ${(unknown as MetadataRecord).type}`);
      }
    }
  }

  /** The image after every replayed record. */
  apply(): MetadataImage {
    const img = this.image;
    return new MetadataImage({
      clusterId: img.clusterId,
      provenance: this.provenance,
      features: this.features ?? img.features,
      brokers: this.brokers ?? img.brokers,
      controllers: this.controllers ?? img.controllers,
      topicsById: this.topicsById ?? img.topicsById,
      topicsByName: this.topicsByName ?? img.topicsByName,
      configs: this.configs ?? img.configs,
      nextProducerId: this.nextProducerId,
    });
  }

  private mutableBrokers(): Map<number, BrokerRegistration> {
    return (this.brokers ??= new Map(this.image.brokers));
  }

  private putBroker(b: BrokerRegistration): void {
    this.mutableBrokers().set(b.id, b);
    this.changedBrokers.add(b.id);
  }

  private brokerOrThrow(id: number, epoch: bigint, action: string): BrokerRegistration {
    const b = (this.brokers ?? this.image.brokers).get(id);
    if (!b) throw new MetadataReplayError(`Tried to ${action} broker ${id}, but that broker was not registered.`);
    if (b.epoch !== epoch) {
      throw new MetadataReplayError(
        `Tried to ${action} broker ${id}, but the given epoch, ${epoch}, did not match the current broker epoch, ${b.epoch}`,
      );
    }
    return b;
  }

  private mutableTopicsById(): Map<UuidString, TopicImage> {
    return (this.topicsById ??= new Map(this.image.topicsById));
  }

  private mutableTopicsByName(): Map<string, TopicImage> {
    return (this.topicsByName ??= new Map(this.image.topicsByName));
  }

  private mutableConfigs(): Map<string, ReadonlyMap<string, string>> {
    return (this.configs ??= new Map(this.image.configs));
  }

  /** The topic as this delta owns it (copied from the base image on first touch). */
  private mutableTopic(id: UuidString, what: string): MutableTopic {
    const owned = this.changedTopics.get(id);
    if (owned) return owned;
    const base = (this.topicsById ?? this.image.topicsById).get(id);
    if (!base) throw new MetadataReplayError(`Unable to replay ${what} for unknown topic ${id}`);
    const topic: MutableTopic = { name: base.name, id, partitions: new Map(base.partitions) };
    this.mutableTopicsById().set(id, topic);
    this.mutableTopicsByName().set(topic.name, topic);
    this.changedTopics.set(id, topic);
    return topic;
  }
}

function endpoint(e: { name: string; host: string; port: number; securityProtocol: number }): Endpoint {
  return { name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol };
}

function featureMap(fs: readonly { name: string; minSupportedVersion: number; maxSupportedVersion: number }[]): Map<string, VersionRange> {
  return new Map(fs.map((f) => [f.name, { min: f.minSupportedVersion, max: f.maxSupportedVersion }]));
}

function sortedDirs(dirs: readonly UuidString[]): UuidString[] {
  return [...dirs].sort();
}

/** A registration replaces any previous one for the id (a restart gets a new epoch). */
export function brokerFromRecord(d: RegisterBrokerRecord): BrokerRegistration {
  return {
    id: d.brokerId,
    incarnationId: d.incarnationId,
    epoch: d.brokerEpoch,
    listeners: d.endPoints.map(endpoint),
    supportedFeatures: featureMap(d.features),
    rack: d.rack,
    fenced: d.fenced,
    inControlledShutdown: d.inControlledShutdown,
    isMigratingZkBroker: d.isMigratingZkBroker,
    directories: sortedDirs(d.logDirs),
  };
}

export function partitionFromRecord(d: PartitionRecord): PartitionRegistration {
  // v0 records carry no directories: each replica is wherever its broker put it (MIGRATING).
  const directories = d.directories.length > 0 ? [...d.directories] : d.replicas.map(() => DirectoryId.MIGRATING);
  if (directories.length !== d.replicas.length) {
    throw new MetadataReplayError(
      `partition ${d.topicId}:${d.partitionId} has ${d.replicas.length} replicas but ${directories.length} directories`,
    );
  }
  return {
    replicas: [...d.replicas],
    directories,
    isr: [...d.isr],
    removingReplicas: [...d.removingReplicas],
    addingReplicas: [...d.addingReplicas],
    leader: d.leader,
    leaderRecoveryState: d.leaderRecoveryState,
    leaderEpoch: d.leaderEpoch,
    partitionEpoch: d.partitionEpoch,
    elr: d.eligibleLeaderReplicas,
    lastKnownElr: d.lastKnownElr,
  };
}

/**
 * Kafka's PartitionRegistration.merge: null fields leave the value unchanged; a leader
 * other than NO_LEADER_CHANGE (-2) sets the leader (-1 = none) and bumps the leader epoch;
 * every change bumps the partition epoch. Replica directories follow their replicas when
 * the replica set changes without new directories.
 */
export function mergePartitionChange(p: PartitionRegistration, d: PartitionChangeRecord): PartitionRegistration {
  const replicas = d.replicas ?? p.replicas;
  let directories: readonly UuidString[];
  if (d.directories !== null) directories = [...d.directories];
  else if (d.replicas !== null) {
    const dirOf = new Map(p.replicas.map((r, i) => [r, p.directories[i] ?? DirectoryId.UNASSIGNED]));
    directories = d.replicas.map((r) => dirOf.get(r) ?? DirectoryId.UNASSIGNED);
  } else directories = p.directories;
  if (directories.length !== replicas.length) {
    throw new MetadataReplayError(
      `partition change ${d.topicId}:${d.partitionId} leaves ${replicas.length} replicas but ${directories.length} directories`,
    );
  }
  const leaderChanged = d.leader !== NO_LEADER_CHANGE;
  let leaderRecoveryState = p.leaderRecoveryState;
  if (d.leaderRecoveryState !== LeaderRecoveryState.NO_CHANGE) {
    if (d.leaderRecoveryState !== LeaderRecoveryState.RECOVERED && d.leaderRecoveryState !== LeaderRecoveryState.RECOVERING) {
      throw new MetadataReplayError(`invalid leader recovery state ${d.leaderRecoveryState}`);
    }
    leaderRecoveryState = d.leaderRecoveryState;
  }
  return {
    replicas: [...replicas],
    directories,
    isr: d.isr ?? p.isr,
    removingReplicas: d.removingReplicas ?? p.removingReplicas,
    addingReplicas: d.addingReplicas ?? p.addingReplicas,
    leader: leaderChanged ? d.leader : p.leader,
    leaderRecoveryState,
    leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
    elr: d.eligibleLeaderReplicas ?? p.elr,
    lastKnownElr: d.lastKnownElr ?? p.lastKnownElr,
  };
}

/** Replays records into a copy of `image` (tests and tools; the controller uses MetadataDelta). */
export function replayAll(image: MetadataImage, records: Iterable<MetadataRecord>, provenance?: MetadataProvenance): MetadataImage {
  const delta = new MetadataDelta(image);
  for (const r of records) delta.replay(r);
  if (provenance) delta.setProvenance(provenance);
  return delta.apply();
}
