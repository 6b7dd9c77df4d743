import { TOPIC_CONFIGS, validateTopicConfigs } from "../config/topic-config.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { defaultPartitionRecord } from "../protocol/generated/metadata/PartitionRecord.ts";
import { type ApiError, type ControlContext, type ControllerResult, apiError, apiErrorOf, NO_ERROR } from "./controller-result.ts";
import { checkBrokerEpoch } from "./cluster-control.ts";
import { ConfigResourceType, type MetadataImage, LeaderRecoveryState, NO_LEADER, NO_LEADER_CHANGE, type PartitionRegistration } from "./metadata-image.ts";
import { mergePartitionChange } from "./metadata-delta.ts";
import { type Election, PartitionChangeBuilder } from "./partition-change-builder.ts";
import { type MetadataRecord, metadataRecord } from "./metadata-record-serde.ts";
import { isDirectoryAssignmentSupported, partitionRecordVersion } from "./metadata-version.ts";
import { InvalidReplicationFactorError, placeReplicas, type UsableBroker } from "./replica-placer.ts";
import { CLUSTER_METADATA_TOPIC, hasCollisionChars, unifyCollisionChars, validateTopicName } from "./topic-names.ts";
import { DirectoryId, ZERO_UUID } from "./uuid.ts";

/**
 * Topic and partition commands (Kafka's ReplicationControlManager): each validates a
 * request against the current image and returns the records that carry it out plus the
 * per-topic reply. Nothing here writes; the controller commits the records.
 */

export interface CreatableTopic {
  name: string;
  /** -1: the broker's num.partitions. */
  numPartitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
  /** Explicit replica lists; when given, numPartitions and replicationFactor must be -1. */
  assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  configs: readonly { name: string; value: string | null }[];
}

export interface CreateTopicsCommand {
  topics: readonly CreatableTopic[];
  validateOnly: boolean;
}

/** One effective config of a created topic (CreateTopics v5+ replies). */
export interface CreatableTopicConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export interface CreatableTopicResult extends ApiError {
  name: string;
  topicId: string;
  /** -1 on error (CreateTopics' defaults). */
  numPartitions: number;
  replicationFactor: number;
  topicConfigErrorCode: number;
  configs: CreatableTopicConfig[];
}

export interface DeleteTopicsCommand {
  /** By name (topicId ZERO_UUID) or by id (name null), as DeleteTopics v6 carries them. */
  topics: readonly { name: string | null; topicId: string }[];
}

export interface DeletableTopicResult extends ApiError {
  name: string | null;
  topicId: string;
}

export interface CreatePartitionsCommand {
  topics: readonly { name: string; count: number; assignments: readonly { brokerIds: readonly number[] }[] | null }[];
  validateOnly: boolean;
}

export interface CreatePartitionsTopicResult extends ApiError {
  name: string;
}

interface NewPartition {
  replicas: number[];
  isr: number[];
}

function fail(code: (typeof ErrorCode)[keyof typeof ErrorCode], message: string): never {
  throw new KafkaError(code, message);
}

function usableBrokers(image: MetadataImage): UsableBroker[] {
  const out: UsableBroker[] = [];
  for (const b of image.brokers.values()) {
    if (!b.inControlledShutdown) out.push({ id: b.id, rack: b.rack, fenced: b.fenced });
  }
  return out;
}

/** Kafka's ClusterControlManager.defaultDir: where a new replica on `brokerId` lives. */
export function defaultDir(image: MetadataImage, brokerId: number): string {
  const b = image.brokers.get(brokerId);
  if (!b) return DirectoryId.UNASSIGNED;
  if (b.directories.length === 0) return DirectoryId.MIGRATING;
  if (b.directories.length === 1) return b.directories[0]!;
  return DirectoryId.UNASSIGNED;
}

function partitionRecord(ctx: ControlContext, topicId: string, partitionId: number, p: NewPartition): MetadataRecord {
  const level = ctx.image.metadataVersion() ?? 0;
  return metadataRecord(
    "PartitionRecord",
    {
      ...defaultPartitionRecord(),
      partitionId,
      topicId,
      replicas: p.replicas,
      isr: p.isr,
      removingReplicas: [],
      addingReplicas: [],
      leader: p.isr[0]!,
      leaderRecoveryState: LeaderRecoveryState.RECOVERED,
      leaderEpoch: 0,
      partitionEpoch: 0,
      directories: isDirectoryAssignmentSupported(level) ? p.replicas.map((r) => defaultDir(ctx.image, r)) : [],
    },
    partitionRecordVersion(level),
  );
}

/** Kafka's validateManualPartitionAssignment: non-empty, registered, distinct, same size as the rest. */
export function validateManualAssignment(image: MetadataImage, replicas: readonly number[], replicationFactor: number | undefined): void {
  if (replicas.length === 0) {
    fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list.");
  }
  const sorted = [...replicas].sort((a, b) => a - b);
  let prev: number | undefined;
  for (const id of sorted) {
    if (!image.brokers.has(id)) {
      fail(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `The manual partition assignment includes broker ${id}, but no such broker is registered.`,
      );
    }
    if (id === prev) {
      fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${prev} more than once.`);
    }
    prev = id;
  }
  if (replicationFactor !== undefined && sorted.length !== replicationFactor) {
    fail(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`,
    );
  }
}

function activeReplicas(image: MetadataImage, replicas: readonly number[]): number[] {
  return replicas.filter((r) => image.isActiveBroker(r));
}

function effectiveTopicConfigs(ctx: ControlContext, overrides: ReadonlyMap<string, string>): CreatableTopicConfig[] {
  const configs = TOPIC_CONFIGS.map((def) => {
    const e = ctx.config.describeTopicConfig(def, overrides);
    const sensitive = def.sensitive === true;
    return {
      name: def.name,
      value: sensitive ? null : e.value,
      readOnly: false,
      configSource: e.source,
      isSensitive: sensitive,
    };
  });
  return configs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function failedTopic(name: string, error: ApiError): CreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    ...error,
    numPartitions: -1,
    replicationFactor: -1,
    topicConfigErrorCode: ErrorCode.NONE,
    configs: [],
  };
}

export function createTopics(ctx: ControlContext, cmd: CreateTopicsCommand): ControllerResult<CreatableTopicResult[]> {
  const { image } = ctx;
  const errors = new Map<string, ApiError>();
  const order: string[] = [];
  const seen = new Set<string>();
  for (const t of cmd.topics) {
    if (seen.has(t.name)) errors.set(t.name, apiError(ErrorCode.INVALID_REQUEST, "Duplicate topic name."));
    else order.push(t.name);
    seen.add(t.name);
  }
  // __cluster_metadata is the quorum's log, not a topic; Kafka answers as if unauthorized.
  if (seen.has(CLUSTER_METADATA_TOPIC)) {
    errors.set(CLUSTER_METADATA_TOPIC, apiError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, "Authorization failed."));
  }

  // Names that collide in metric names ('.' vs '_'), with the topics already claiming them.
  const collisions = new Map<string, string[]>();
  for (const name of image.topicsByName.keys()) {
    if (!hasCollisionChars(name)) continue;
    const key = unifyCollisionChars(name);
    collisions.set(key, [...(collisions.get(key) ?? []), name]);
  }

  const records: MetadataRecord[] = [];
  const results = new Map<string, CreatableTopicResult>();
  for (const topic of cmd.topics) {
    if (errors.has(topic.name) || results.has(topic.name)) continue;
    try {
      validateTopicName(topic.name);
      if (image.topicsByName.has(topic.name)) {
        fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic.name}' already exists.`);
      }
      if (hasCollisionChars(topic.name)) {
        const colliding = collisions.get(unifyCollisionChars(topic.name));
        if (colliding) {
          fail(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            `Topic '${topic.name}' collides with existing topic${colliding.length > 1 ? "s: " : ": "}${colliding.join(", ")}`,
          );
        }
      }
      const overrides = topicOverrides(topic);
      const parts = newPartitions(ctx, topic);
      const topicId = ctx.newUuid();
      records.push(metadataRecord("TopicRecord", { name: topic.name, topicId }));
      // Config records go after the TopicRecord and before the partitions, as in Kafka.
      for (const [name, value] of overrides) {
        records.push(
          metadataRecord("ConfigRecord", { resourceType: ConfigResourceType.TOPIC, resourceName: topic.name, name, value }),
        );
      }
      parts.forEach((p, i) => records.push(partitionRecord(ctx, topicId, i, p)));
      results.set(topic.name, {
        name: topic.name,
        topicId,
        ...NO_ERROR,
        numPartitions: parts.length,
        replicationFactor: parts[0]!.replicas.length,
        topicConfigErrorCode: ErrorCode.NONE,
        configs: effectiveTopicConfigs(ctx, overrides),
      });
      // Later topics of the same request must not collide with this one either.
      if (hasCollisionChars(topic.name)) {
        const key = unifyCollisionChars(topic.name);
        collisions.set(key, [...(collisions.get(key) ?? []), topic.name]);
      }
    } catch (e) {
      errors.set(topic.name, apiErrorOf(e));
    }
  }
  const response = order.map((name) => results.get(name) ?? failedTopic(name, errors.get(name)!));
  return { records: cmd.validateOnly ? [] : records, response };
}

function topicOverrides(topic: CreatableTopic): Map<string, string> {
  const nulls = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nulls.length > 0) fail(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nulls.join(",")}`);
  const overrides = new Map(topic.configs.map((c) => [c.name, c.value!]));
  validateTopicConfigs(overrides);
  return overrides;
}

function newPartitions(ctx: ControlContext, topic: CreatableTopic): NewPartition[] {
  const { image } = ctx;
  if (topic.assignments.length > 0) {
    if (topic.replicationFactor !== -1) {
      fail(ErrorCode.INVALID_REQUEST, "A manual partition assignment was specified, but replication factor was not set to -1.");
    }
    if (topic.numPartitions !== -1) {
      fail(ErrorCode.INVALID_REQUEST, "A manual partition assignment was specified, but numPartitions was not set to -1.");
    }
    const parts = new Map<number, NewPartition>();
    let rf: number | undefined;
    for (const a of topic.assignments) {
      if (parts.has(a.partitionIndex)) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
      }
      validateManualAssignment(image, a.brokerIds, rf);
      rf = a.brokerIds.length;
      const isr = activeReplicas(image, a.brokerIds);
      if (isr.length === 0) {
        fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `All brokers specified in the manual partition assignment for partition ${a.partitionIndex} are fenced or in controlled shutdown.`,
        );
      }
      parts.set(a.partitionIndex, { replicas: [...a.brokerIds], isr });
    }
    const out: NewPartition[] = [];
    for (let i = 0; i < parts.size; i++) {
      const p = parts.get(i);
      if (!p) fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "partitions should be a consecutive 0-based integer sequence");
      out.push(p);
    }
    return out;
  }
  if (topic.replicationFactor < -1 || topic.replicationFactor === 0) {
    fail(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0, or -1 to use the default value.");
  }
  if (topic.numPartitions < -1 || topic.numPartitions === 0) {
    fail(ErrorCode.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value.");
  }
  const numPartitions = topic.numPartitions === -1 ? ctx.config.int("num.partitions") : topic.numPartitions;
  const rf = topic.replicationFactor === -1 ? ctx.config.int("default.replication.factor") : topic.replicationFactor;
  return placed(ctx, { startPartition: 0, numPartitions, replicationFactor: rf });
}

/** Placer output with ISRs; placement failures carry Kafka's "Unable to replicate" prefix. */
function placed(ctx: ControlContext, spec: { startPartition: number; numPartitions: number; replicationFactor: number }): NewPartition[] {
  let assignments: number[][];
  try {
    assignments = placeReplicas(spec, usableBrokers(ctx.image), ctx.random);
  } catch (e) {
    if (e instanceof InvalidReplicationFactorError) {
      fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${spec.replicationFactor} time(s): ${e.message}`);
    }
    throw e;
  }
  return assignments.map((replicas) => {
    const isr = activeReplicas(ctx.image, replicas);
    if (isr.length === 0) {
      fail(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${spec.replicationFactor} time(s): All brokers are currently fenced or in controlled shutdown.`,
      );
    }
    return { replicas, isr };
  });
}

/**
 * DeleteTopics by name or id, with the request checks of Kafka's ControllerApis (both or
 * neither given, duplicates). Each deleted topic is one RemoveTopicRecord. delete.topic.enable
 * is checked here; DeleteTopics v0-2 callers should report it as INVALID_REQUEST, as Kafka does.
 */
export function deleteTopics(ctx: ControlContext, cmd: DeleteTopicsCommand): ControllerResult<DeletableTopicResult[]> {
  const { image } = ctx;
  if (!ctx.config.bool("delete.topic.enable")) {
    return {
      records: [],
      response: cmd.topics.map((t) => ({
        name: t.name,
        topicId: t.topicId,
        ...apiError(ErrorCode.TOPIC_DELETION_DISABLED, "Topic deletion is disabled."),
      })),
    };
  }
  const nameCount = new Map<string, number>();
  const idCount = new Map<string, number>();
  for (const t of cmd.topics) {
    if (t.name !== null && t.topicId === ZERO_UUID) nameCount.set(t.name, (nameCount.get(t.name) ?? 0) + 1);
    if (t.name === null && t.topicId !== ZERO_UUID) idCount.set(t.topicId, (idCount.get(t.topicId) ?? 0) + 1);
  }
  const records: MetadataRecord[] = [];
  const response: DeletableTopicResult[] = [];
  const reported = new Set<string>();
  const deleting = new Set<string>();
  const remove = (id: string) => {
    deleting.add(id);
    records.push(metadataRecord("RemoveTopicRecord", { topicId: id }));
  };
  // Ids first, so a name that resolves to an id also given by id is the one flagged.
  const byId = new Map<string, DeletableTopicResult>();
  for (const t of cmd.topics) {
    if (t.name !== null || t.topicId === ZERO_UUID || (idCount.get(t.topicId) ?? 0) > 1) continue;
    const topic = image.topicsById.get(t.topicId);
    if (!topic) byId.set(t.topicId, { name: null, topicId: t.topicId, ...apiError(ErrorCode.UNKNOWN_TOPIC_ID) });
    else {
      remove(t.topicId);
      byId.set(t.topicId, { name: topic.name, topicId: t.topicId, ...NO_ERROR });
    }
  }
  for (const t of cmd.topics) {
    if (t.name === null && t.topicId === ZERO_UUID) {
      response.push({ name: null, topicId: ZERO_UUID, ...apiError(ErrorCode.INVALID_REQUEST, "Neither topic name nor id were specified.") });
    } else if (t.name !== null && t.topicId !== ZERO_UUID) {
      response.push({ ...t, ...apiError(ErrorCode.INVALID_REQUEST, "You may not specify both topic name and topic id.") });
    } else if (t.name !== null) {
      if (reported.has(`n:${t.name}`)) continue;
      reported.add(`n:${t.name}`);
      if ((nameCount.get(t.name) ?? 0) > 1) {
        response.push({ name: t.name, topicId: ZERO_UUID, ...apiError(ErrorCode.INVALID_REQUEST, "Duplicate topic name.") });
        continue;
      }
      const topic = image.topicsByName.get(t.name);
      if (!topic) {
        response.push({ name: t.name, topicId: ZERO_UUID, ...apiError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) });
      } else if (deleting.has(topic.id) || (idCount.get(topic.id) ?? 0) > 1) {
        response.push({
          name: t.name,
          topicId: ZERO_UUID,
          ...apiError(ErrorCode.INVALID_REQUEST, "The provided topic name maps to an ID that was already supplied."),
        });
      } else {
        remove(topic.id);
        response.push({ name: t.name, topicId: topic.id, ...NO_ERROR });
      }
    } else {
      if (reported.has(`i:${t.topicId}`)) continue;
      reported.add(`i:${t.topicId}`);
      if ((idCount.get(t.topicId) ?? 0) > 1) {
        response.push({ name: null, topicId: t.topicId, ...apiError(ErrorCode.INVALID_REQUEST, "Duplicate topic id.") });
      } else response.push(byId.get(t.topicId)!);
    }
  }
  return { records, response };
}

/**
 * CreatePartitions: grow topics to `count` partitions, placing the new ones like new
 * topics (or on the given replicas), with the existing replication factor.
 */
export function createPartitions(ctx: ControlContext, cmd: CreatePartitionsCommand): ControllerResult<CreatePartitionsTopicResult[]> {
  const counts = new Map<string, number>();
  for (const t of cmd.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const records: MetadataRecord[] = [];
  const response: CreatePartitionsTopicResult[] = [];
  const reported = new Set<string>();
  for (const t of cmd.topics) {
    if (reported.has(t.name)) continue;
    reported.add(t.name);
    if (counts.get(t.name)! > 1) {
      response.push({ name: t.name, ...apiError(ErrorCode.INVALID_REQUEST, "Duplicate topic name.") });
      continue;
    }
    try {
      records.push(...createPartitionsForTopic(ctx, t));
      response.push({ name: t.name, ...NO_ERROR });
    } catch (e) {
      response.push({ name: t.name, ...apiErrorOf(e) });
    }
  }
  return { records: cmd.validateOnly ? [] : records, response };
}

function createPartitionsForTopic(ctx: ControlContext, t: CreatePartitionsCommand["topics"][number]): MetadataRecord[] {
  const { image } = ctx;
  const topic = image.topicsByName.get(t.name);
  if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const current = topic.partitions.size;
  if (t.count < current) {
    // KRaft's wording (ReplicationControlManager), which kafka-topics --alter prints.
    fail(ErrorCode.INVALID_PARTITIONS, `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`);
  }
  if (t.count === current) fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
  const additional = t.count - current;
  if (t.assignments !== null && t.assignments.length !== additional) {
    fail(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `Attempted to add ${additional} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`,
    );
  }
  const first = topic.partitions.get(0) ?? topic.partitions.values().next().value;
  if (!first) fail(ErrorCode.UNKNOWN_SERVER_ERROR, `Invalid state: topic ${t.name} appears to have no partitions.`);
  const rf = first.replicas.length;
  let parts: NewPartition[];
  if (t.assignments !== null) {
    parts = t.assignments.map((a, i) => {
      validateManualAssignment(image, a.brokerIds, rf);
      const isr = activeReplicas(image, a.brokerIds);
      if (isr.length === 0) {
        fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `All brokers specified in the manual partition assignment for partition ${current + i} are fenced or in controlled shutdown.`,
        );
      }
      return { replicas: [...a.brokerIds], isr };
    });
  } else {
    parts = placed(ctx, { startPartition: current, numPartitions: additional, replicationFactor: rf });
  }
  return parts.map((p, i) => partitionRecord(ctx, topic.id, current + i, p));
}

const UNCLEAN_LEADER_ELECTION = TOPIC_CONFIGS.find((d) => d.name === "unclean.leader.election.enable")!;

/**
 * The election a topic's partitions get (Kafka's uncleanLeaderElectionEnabledForTopic): unclean
 * when the topic's unclean.leader.election.enable, or the broker default it falls back to, is true.
 */
export function electionFor(ctx: ControlContext, topicName: string): Election {
  const value = ctx.config.describeTopicConfig(UNCLEAN_LEADER_ELECTION, ctx.image.topicConfigs(topicName)).value;
  return value?.toLowerCase() === "true" ? "unclean" : "online";
}

/**
 * Leaders for leaderless partitions now that `brokerId` may lead (Kafka's
 * handleBrokerUnfenced): the first replica in preferred order that is in the ISR and active,
 * counting the broker being unfenced as active; for a topic with unclean leader election,
 * failing that, the first active replica.
 */
export function electLeadersOnUnfence(ctx: ControlContext, brokerId: number): MetadataRecord[] {
  const { image } = ctx;
  const acceptable = (r: number) => r === brokerId || image.isActiveBroker(r);
  return leaderlessChanges(ctx, Number.MAX_SAFE_INTEGER, (topic) => electionFor(ctx, topic), acceptable);
}

/**
 * The partition changes that take `brokerId` out of leadership and ISRs when it is fenced
 * or shuts down (Kafka's generateLeaderAndIsrUpdates): it leaves every ISR it is in unless
 * it is the last member, which Kafka keeps so the partition's last copy is known; a
 * partition it led gets the first active ISR member in replica order, or, if its topic
 * allows unclean elections, the first active replica, or no leader.
 */
export function leaderAndIsrUpdatesRemoving(ctx: ControlContext, brokerId: number): MetadataRecord[] {
  const { image } = ctx;
  const level = image.metadataVersion() ?? 0;
  const acceptable = (r: number) => r !== brokerId && image.isActiveBroker(r);
  const records: MetadataRecord[] = [];
  for (const topic of image.topicsById.values()) {
    for (const [partitionId, p] of topic.partitions) {
      if (!p.isr.includes(brokerId) && p.leader !== brokerId) continue;
      const shrunk = p.isr.filter((r) => r !== brokerId);
      const record = new PartitionChangeBuilder(p, topic.id, partitionId, acceptable, level)
        .setTargetIsr(shrunk.length > 0 ? shrunk : p.isr)
        .setElection(electionFor(ctx, topic.name))
        .build();
      if (record) records.push(record);
    }
  }
  return records;
}

/** Kafka's maxElectionsPerImbalance: elections per run of the periodic unclean election. */
export const MAX_ELECTIONS_PER_RUN = 1000;

/**
 * The periodic unclean election (Kafka's maybeElectUncleanLeaders, every
 * unclean.leader.election.interval.ms while some partition has no leader): each leaderless
 * partition of a topic whose unclean.leader.election.enable is now true gets its first live
 * replica as leader. `more` says the run stopped at MAX_ELECTIONS_PER_RUN.
 */
export function electUncleanLeaders(ctx: ControlContext): ControllerResult<{ more: boolean }> {
  const uncleanTopics = (topic: string): Election | null => (electionFor(ctx, topic) === "unclean" ? "unclean" : null);
  const records = leaderlessChanges(ctx, MAX_ELECTIONS_PER_RUN, uncleanTopics, (r) => ctx.image.isActiveBroker(r));
  return { records, response: { more: records.length >= MAX_ELECTIONS_PER_RUN } };
}

/** Whether any partition has no leader (Kafka's areSomePartitionsLeaderless). */
export function hasLeaderlessPartitions(image: MetadataImage): boolean {
  for (const topic of image.topicsById.values()) for (const p of topic.partitions.values()) if (p.leader === NO_LEADER) return true;
  return false;
}

/** Elections for up to `max` leaderless partitions, with each topic's election (null: skip the topic). */
function leaderlessChanges(ctx: ControlContext, max: number, election: (topic: string) => Election | null, acceptable: (r: number) => boolean): MetadataRecord[] {
  const level = ctx.image.metadataVersion() ?? 0;
  const records: MetadataRecord[] = [];
  for (const topic of ctx.image.topicsById.values()) {
    let topicElection: Election | null | undefined;
    for (const [partitionId, p] of topic.partitions) {
      if (p.leader !== NO_LEADER) continue;
      if (records.length >= max) return records;
      topicElection ??= election(topic.name);
      if (topicElection === null) break;
      const record = new PartitionChangeBuilder(p, topic.id, partitionId, acceptable, level).setElection(topicElection).build();
      if (record) records.push(record);
    }
  }
  return records;
}

/** One ISR member of an AlterPartition proposal; brokerEpoch -1 skips the epoch check (v0-2). */
export interface IsrMemberState {
  brokerId: number;
  brokerEpoch: bigint;
}

export interface AlterPartitionPartitionData {
  partitionIndex: number;
  leaderEpoch: number;
  newIsrWithEpochs: readonly IsrMemberState[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}

/**
 * An AlterPartition request from a partition leader (API key 56). `version` is the request
 * version: topics are named up to v1 and identified by id from v2; ISR members carry broker
 * epochs from v3 (callers of older versions pass -1 for each).
 */
export interface AlterPartitionCommand {
  version: number;
  brokerId: number;
  brokerEpoch: bigint;
  topics: readonly { topicName: string; topicId: string; partitions: readonly AlterPartitionPartitionData[] }[];
}

export interface AlterPartitionPartitionResult {
  partitionIndex: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}

export interface AlterPartitionReply {
  topics: { topicName: string; topicId: string; partitions: AlterPartitionPartitionResult[] }[];
}

function alterPartitionError(partitionIndex: number, errorCode: number): AlterPartitionPartitionResult {
  return { partitionIndex, errorCode, leaderId: 0, leaderEpoch: 0, isr: [], leaderRecoveryState: 0, partitionEpoch: 0 };
}

/**
 * AlterPartition (Kafka's ReplicationControlManager.alterPartition): a leader asks to change
 * its partition's ISR. The broker epoch must be the requester's current one (a top-level
 * STALE_BROKER_EPOCH, thrown); each partition is validated against the image and, when the
 * ISR changes, changed through the PartitionChangeBuilder. The reply carries the resulting
 * leader, epochs and ISR; an ISR equal to the current one answers the current state and
 * writes nothing.
 */
export function alterPartition(ctx: ControlContext, cmd: AlterPartitionCommand): ControllerResult<AlterPartitionReply> {
  const { image } = ctx;
  checkBrokerEpoch(ctx, cmd.brokerId, cmd.brokerEpoch);
  const level = image.metadataVersion() ?? 0;
  const records: MetadataRecord[] = [];
  const reply: AlterPartitionReply = { topics: [] };
  for (const t of cmd.topics) {
    const out = { topicName: t.topicName, topicId: t.topicId, partitions: [] as AlterPartitionPartitionResult[] };
    reply.topics.push(out);
    const topic = cmd.version > 1 ? image.topicsById.get(t.topicId) : image.topicsByName.get(t.topicName);
    if (!topic || (cmd.version > 1 && t.topicId === ZERO_UUID)) {
      const error = cmd.version > 1 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      for (const p of t.partitions) out.partitions.push(alterPartitionError(p.partitionIndex, error));
      continue;
    }
    for (const data of t.partitions) {
      let partition = topic.partitions.get(data.partitionIndex);
      const error = validateAlterPartition(ctx, cmd, partition, data);
      if (error !== ErrorCode.NONE || !partition) {
        out.partitions.push(alterPartitionError(data.partitionIndex, error));
        continue;
      }
      // The requester leads and stays in the ISR; it may still lose the lead if the builder's
      // rules say so (it is no longer an acceptable leader).
      const record = new PartitionChangeBuilder(partition, topic.id, data.partitionIndex, (r) => image.isActiveBroker(r), level)
        .setTargetIsr(data.newIsrWithEpochs.map((m) => m.brokerId))
        // The leader reports RECOVERED once it has recovered from an unclean election (KIP-704).
        .setTargetLeaderRecoveryState(data.leaderRecoveryState)
        .setElection(electionFor(ctx, topic.name))
        .build();
      if (record?.type === "PartitionChangeRecord") {
        records.push(record);
        const change = record.data;
        partition = mergePartitionChange(partition, change);
        if (change.leader !== NO_LEADER_CHANGE && change.leader !== cmd.brokerId) {
          // The change moved the leadership: the requester must learn it from the metadata.
          out.partitions.push(alterPartitionError(data.partitionIndex, cmd.version > 1 ? ErrorCode.NEW_LEADER_ELECTED : ErrorCode.FENCED_LEADER_EPOCH));
          continue;
        }
      }
      out.partitions.push({
        partitionIndex: data.partitionIndex,
        errorCode: ErrorCode.NONE,
        leaderId: partition.leader,
        leaderEpoch: partition.leaderEpoch,
        isr: [...partition.isr],
        leaderRecoveryState: partition.leaderRecoveryState,
        partitionEpoch: partition.partitionEpoch,
      });
    }
  }
  return { records, response: reply };
}

/** Kafka's validateAlterPartitionData, in its order. */
function validateAlterPartition(
  ctx: ControlContext,
  cmd: AlterPartitionCommand,
  partition: PartitionRegistration | undefined,
  data: AlterPartitionPartitionData,
): number {
  if (!partition) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  // Epochs newer than this controller's: it is probably no longer the active controller.
  if (data.leaderEpoch > partition.leaderEpoch || data.partitionEpoch > partition.partitionEpoch) return ErrorCode.NOT_CONTROLLER;
  if (data.leaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
  // Kafka 3.9 answers INVALID_REQUEST (not NOT_LEADER_OR_FOLLOWER) to a requester that does not lead.
  if (cmd.brokerId !== partition.leader) return ErrorCode.INVALID_REQUEST;
  if (data.partitionEpoch < partition.partitionEpoch) return ErrorCode.INVALID_UPDATE_VERSION;
  const newIsr = data.newIsrWithEpochs.map((m) => m.brokerId);
  if (!isValidIsr(partition.replicas, newIsr) || !newIsr.includes(partition.leader)) return ErrorCode.INVALID_REQUEST;
  if (data.leaderRecoveryState === LeaderRecoveryState.RECOVERING && newIsr.length > 1) return ErrorCode.INVALID_REQUEST;
  if (partition.leaderRecoveryState === LeaderRecoveryState.RECOVERED && data.leaderRecoveryState === LeaderRecoveryState.RECOVERING) {
    return ErrorCode.INVALID_REQUEST;
  }
  if (data.newIsrWithEpochs.some((m) => !isIsrEligible(ctx.image, m))) {
    return cmd.version > 1 ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.OPERATION_NOT_ATTEMPTED;
  }
  return ErrorCode.NONE;
}

/** Kafka's Replicas.validateIsr: distinct, non-negative members of the replica set. */
function isValidIsr(replicas: readonly number[], isr: readonly number[]): boolean {
  return isr.every((r, i) => r >= 0 && replicas.includes(r) && isr.indexOf(r) === i);
}

/** Registered, not fenced, not shutting down, and (when given) the registered broker epoch. */
function isIsrEligible(image: MetadataImage, m: IsrMemberState): boolean {
  const b = image.brokers.get(m.brokerId);
  if (!b || b.inControlledShutdown || b.fenced) return false;
  return m.brokerEpoch === -1n || m.brokerEpoch === b.epoch;
}
