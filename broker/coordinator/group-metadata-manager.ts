import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { GroupMetadataValue } from "../protocol/generated/group-coordinator/GroupMetadataValue.ts";
import type { Logger } from "../util/logger.ts";
import type { CoordinatorLog, CoordinatorRecord } from "./coordinator-log.ts";
import { ClassicGroup, type GroupContext } from "./group.ts";
import type { GroupCoordinatorConfig } from "./group-coordinator-config.ts";
import { GroupState } from "./group-state.ts";
import { GroupMember } from "./member.ts";
import { INVALID_OFFSET, NO_LEADER_EPOCH, type OffsetAndMetadata, type TopicPartition } from "./offset-and-metadata.ts";
import {
  decodeGroupMetadataValueRecord,
  decodeOffsetCommitValueRecord,
  decodeOffsetsTopicKey,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
} from "./offsets-topic-records.ts";
import { partitionFor } from "./partition-for.ts";

export interface FetchedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  error: number;
}

/**
 * The coordinator's cache of groups and offsets and its persistence in `__consumer_offsets`
 * (Kafka's GroupMetadataManager): which partitions this node owns or is loading, writing
 * group metadata and offset commits, loading a partition, and writing tombstones for
 * deleted or expired state.
 */
export class GroupMetadataManager {
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly owned = new Set<number>();
  /** Loading partitions and the token of the load in progress. */
  private readonly loading = new Map<number, number>();
  /** Every load gets a fresh token; a load whose token is no longer current installs nothing. */
  private nextToken = 0;
  /** Commits can complete out of order; this orders them as they were appended. */
  private appendOrder = 0;
  /** The partition count of `__consumer_offsets` that places groups (set at startup, as Kafka does). */
  private partitionCount: number;

  constructor(
    private readonly log: CoordinatorLog,
    private readonly config: GroupCoordinatorConfig,
    readonly groupContext: GroupContext,
    private readonly logger: Logger | null,
  ) {
    this.partitionCount = config.offsetsTopicNumPartitions;
  }

  setPartitionCount(n: number): void {
    this.partitionCount = n;
  }

  partitionFor(groupId: string): number {
    return partitionFor(groupId, this.partitionCount);
  }
  isPartitionOwned(partition: number): boolean {
    return this.owned.has(partition);
  }
  isPartitionLoading(partition: number): boolean {
    return this.loading.has(partition);
  }
  isGroupLocal(groupId: string): boolean {
    return this.isPartitionOwned(this.partitionFor(groupId));
  }
  isGroupLoading(groupId: string): boolean {
    return this.isPartitionLoading(this.partitionFor(groupId));
  }
  get isLoading(): boolean {
    return this.loading.size > 0;
  }
  get ownedPartitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }
  /** This node owns the group's partition and the group does not exist (or is Dead). */
  groupNotExists(groupId: string): boolean {
    if (!this.isGroupLocal(groupId)) return false;
    const g = this.groups.get(groupId);
    return !g || g.is(GroupState.Dead);
  }

  getGroup(groupId: string): ClassicGroup | undefined {
    return this.groups.get(groupId);
  }
  getOrCreateGroup(groupId: string): ClassicGroup {
    let g = this.groups.get(groupId);
    if (!g) this.groups.set(groupId, (g = new ClassicGroup(groupId, GroupState.Empty, this.groupContext)));
    return g;
  }
  /** Adds the group unless one with its id exists; returns the cached one. */
  addGroup(group: ClassicGroup): ClassicGroup {
    const current = this.groups.get(group.groupId);
    if (current) return current;
    this.groups.set(group.groupId, group);
    return group;
  }
  currentGroups(): ClassicGroup[] {
    return [...this.groups.values()];
  }

  /** Writes the group's metadata with this assignment; resolves to the error code for the member(s). */
  async storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): Promise<number> {
    const record = { key: groupMetadataKey(group.groupId), value: groupMetadataValue(this.groupMetadataValue(group, assignment)) };
    try {
      await this.log.append(this.partitionFor(group.groupId), [record]);
      return ErrorCode.NONE;
    } catch (err) {
      const code = appendErrorCode(err);
      this.logger?.debug({ group: group.groupId, generation: group.generationId, err: String(err) }, "storing group metadata failed");
      return storeGroupError(code);
    }
  }

  private groupMetadataValue(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    return {
      protocolType: group.protocolType ?? "",
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderOrNull,
      currentStateTimestamp: BigInt(group.sm.stateTimestamp ?? -1),
      members: group.allMembers.map((m) => {
        const a = assignment.get(m.memberId);
        if (group.protocolName === null) throw new Error(`group ${group.groupId} has members but no protocol`);
        if (a === undefined) throw new Error(`member ${m.memberId} of group ${group.groupId} has no assignment to write`);
        return {
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.metadata(group.protocolName),
          assignment: a,
        };
      }),
    };
  }

  /**
   * Appends offset commits and, once they are in the log, makes them the group's committed
   * offsets. Resolves to one error code per input entry (metadata over
   * offset.metadata.max.bytes is refused per partition, the rest are written).
   */
  async storeOffsets(group: ClassicGroup, offsets: readonly { tp: TopicPartition; value: OffsetAndMetadata }[]): Promise<number[]> {
    const valid = offsets.filter((o) => this.validMetadata(o.value.metadata));
    if (valid.length === 0) return offsets.map(() => ErrorCode.OFFSET_METADATA_TOO_LARGE);
    const records: CoordinatorRecord[] = valid.map((o) => ({ key: offsetCommitKey(group.groupId, o.tp.topic, o.tp.partition), value: offsetCommitValue(o.value) }));
    for (const o of valid) group.offsets.prepareCommit(o.tp, o.value);
    const order = this.appendOrder++;
    let error: number = ErrorCode.NONE;
    try {
      await this.log.append(this.partitionFor(group.groupId), records);
      if (!group.is(GroupState.Dead)) for (const o of valid) group.offsets.onCommitAppended(o.tp, o.value, order);
    } catch (err) {
      if (!group.is(GroupState.Dead)) for (const o of valid) group.offsets.failPendingCommit(o.tp, o.value);
      error = offsetCommitError(appendErrorCode(err));
      this.logger?.debug({ group: group.groupId, err: String(err) }, "offset commit append failed");
    }
    return offsets.map((o) => (this.validMetadata(o.value.metadata) ? error : ErrorCode.OFFSET_METADATA_TOO_LARGE));
  }

  private validMetadata(metadata: string): boolean {
    // Kafka compares String.length(): UTF-16 code units, like JavaScript's length.
    return metadata.length <= this.config.offsetMetadataMaxBytes;
  }

  /**
   * The committed offsets of these partitions (all the group's, for null); -1 where none is
   * committed. Never a stale offset: a commit is visible only once it is in the log.
   */
  getOffsets(groupId: string, partitions: readonly TopicPartition[] | null): FetchedOffset[] {
    const none = (tp: TopicPartition): FetchedOffset => ({ ...tp, offset: INVALID_OFFSET, leaderEpoch: NO_LEADER_EPOCH, metadata: "", error: ErrorCode.NONE });
    const group = this.groups.get(groupId);
    if (!group || group.is(GroupState.Dead)) return (partitions ?? []).map(none);
    const tps = partitions ?? group.offsets.all().map((e) => e.tp);
    return tps.map((tp) => {
      const o = group.offsets.get(tp);
      return o ? { ...tp, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, error: ErrorCode.NONE } : none(tp);
    });
  }

  /**
   * Marks the partition loading and returns the token its load must present; null when this
   * node already owns or is loading it (Kafka does not reload an owned partition).
   */
  beginLoad(partition: number): number | null {
    if (this.owned.has(partition) || this.loading.has(partition)) return null;
    const token = ++this.nextToken;
    this.loading.set(partition, token);
    return token;
  }

  isCurrentLoad(partition: number, token: number): boolean {
    return this.loading.get(partition) === token;
  }

  /**
   * Reads the partition from its log start and installs its groups and offsets: later
   * records of a key override earlier ones, tombstones delete. Groups with offsets but no
   * metadata come back Empty (groups used only for offset storage). Rejects if the log
   * cannot be read; records that cannot be decoded are skipped with a warning.
   */
  async loadPartition(partition: number, token: number, onGroupLoaded: (g: ClassicGroup) => void): Promise<void> {
    const offsets = new Map<string, Map<string, { tp: TopicPartition; value: OffsetAndMetadata }>>();
    const groups = new Map<string, GroupMetadataValue | null>();
    for await (const record of this.log.read(partition)) {
      if (!this.isCurrentLoad(partition, token)) return;
      if (record.key === null) continue;
      try {
        const key = decodeOffsetsTopicKey(record.key);
        if (key.type === "offset") {
          let byGroup = offsets.get(key.group);
          if (!byGroup) offsets.set(key.group, (byGroup = new Map()));
          const tpKey = `${key.topic}\u0000${key.partition}`;
          if (record.value === null) byGroup.delete(tpKey);
          else byGroup.set(tpKey, { tp: { topic: key.topic, partition: key.partition }, value: decodeOffsetCommitValueRecord(record.value) });
        } else if (key.type === "group") {
          groups.set(key.group, record.value === null ? null : decodeGroupMetadataValueRecord(record.value).value);
        } else {
          this.logger?.warn({ partition, offset: record.offset, keyVersion: key.version }, "skipping a __consumer_offsets record with an unknown key version");
        }
      } catch (err) {
        this.logger?.warn({ partition, offset: record.offset, err: String(err) }, "skipping an undecodable __consumer_offsets record");
      }
    }
    if (!this.isCurrentLoad(partition, token)) return;

    const install = (group: ClassicGroup): void => {
      for (const e of offsets.get(group.groupId)?.values() ?? []) group.offsets.load(e.tp, e.value);
      const current = this.addGroup(group);
      if (current === group) onGroupLoaded(group);
    };
    for (const [groupId, value] of groups) {
      if (value !== null) install(this.restoreGroup(groupId, value));
    }
    for (const groupId of offsets.keys()) {
      if (!groups.get(groupId) && (offsets.get(groupId)?.size ?? 0) > 0) install(new ClassicGroup(groupId, GroupState.Empty, this.groupContext));
    }
    this.loading.delete(partition);
    this.owned.add(partition);
  }

  private restoreGroup(groupId: string, v: GroupMetadataValue): ClassicGroup {
    const members = v.members.map((m) => {
      // Value v0 has no rebalance timeout; Kafka used the session timeout.
      const rebalanceTimeout = m.rebalanceTimeout === -1 ? m.sessionTimeout : m.rebalanceTimeout;
      const member = new GroupMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, rebalanceTimeout, m.sessionTimeout, v.protocolType, [
        { name: v.protocol ?? "", metadata: m.subscription },
      ]);
      member.assignment = m.assignment;
      return member;
    });
    return ClassicGroup.restore(groupId, this.groupContext, {
      generation: v.generation,
      protocolType: v.protocolType,
      protocolName: v.protocol,
      leader: v.leader,
      stateTimestamp: v.currentStateTimestamp === -1n ? null : Number(v.currentStateTimestamp),
      members,
    });
  }

  /** Stops owning (or loading) the partition and drops its groups, each passed to onGroupUnloaded first. */
  unloadPartition(partition: number, onGroupUnloaded: (g: ClassicGroup) => void): number {
    this.owned.delete(partition);
    this.loading.delete(partition);
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      onGroupUnloaded(group);
      this.groups.delete(group.groupId);
      removed++;
    }
    return removed;
  }

  /** Drops every group and partition (shutdown). */
  clear(onGroupUnloaded: (g: ClassicGroup) => void): void {
    for (const p of [...this.owned, ...this.loading.keys()]) this.unloadPartition(p, onGroupUnloaded);
  }

  /**
   * Removes offsets chosen by `selector` from each group and writes their tombstones; an
   * Empty group left with no offsets becomes Dead, leaves the cache and (if it ever had a
   * generation) gets a metadata tombstone. Kafka writes these with acks=0 and ignores
   * failures (the next cleanup retries); here the writes are awaited but failures are only
   * logged. Resolves to the number of offsets removed.
   */
  async cleanupGroupMetadata(groups: readonly ClassicGroup[], selector: (g: ClassicGroup) => TopicPartition[], cause: string): Promise<number> {
    let removedCount = 0;
    const appends: Promise<void>[] = [];
    for (const group of groups) {
      const removed = selector(group);
      if (group.is(GroupState.Empty) && !group.offsets.hasOffsets) group.transitionTo(GroupState.Dead, cause);
      const tombstones: CoordinatorRecord[] = removed.map((tp) => ({ key: offsetCommitKey(group.groupId, tp.topic, tp.partition), value: null }));
      if (group.is(GroupState.Dead) && this.groups.get(group.groupId) === group) {
        this.groups.delete(group.groupId);
        // A group that never had a generation only stored offsets: it has no metadata record.
        if (group.generationId > 0) tombstones.push({ key: groupMetadataKey(group.groupId), value: null });
      }
      if (tombstones.length === 0) continue;
      removedCount += removed.length;
      appends.push(
        this.log.append(this.partitionFor(group.groupId), tombstones).catch((err) => {
          this.logger?.warn({ group: group.groupId, tombstones: tombstones.length, err: String(err) }, "writing tombstones failed; the next cleanup retries");
        }),
      );
    }
    await Promise.all(appends);
    return removedCount;
  }
}

/** The error code carried by a failed append. */
function appendErrorCode(err: unknown): number {
  return err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** How Kafka answers a failed group-metadata write (GroupMetadataManager.storeGroup). */
export function storeGroupError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** How Kafka answers a failed offset-commit write (GroupMetadataManager.maybeConvertOffsetCommitError). */
export function offsetCommitError(code: number): number {
  switch (code) {
    case ErrorCode.NETWORK_EXCEPTION:
      return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}
