import { randomUUID } from "node:crypto";
import { ErrorCode } from "../protocol/errors.ts";
import type { Clock, Timer } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import type { CoordinatorLog } from "./coordinator-log.ts";
import { ClassicGroup, CONSUMER_PROTOCOL_TYPE, type GroupContext } from "./group.ts";
import type { GroupCoordinatorConfig } from "./group-coordinator-config.ts";
import { GroupMetadataManager, type FetchedOffset } from "./group-metadata-manager.ts";
import { GroupState, type GroupStateListener, type GroupStateName } from "./group-state.ts";
import { GroupMember, joinError, syncError, UNKNOWN_MEMBER_ID, type JoinGroupResult, type MemberProtocol, type SyncGroupResult } from "./member.ts";
import type { OffsetAndMetadata, TopicPartition } from "./offset-and-metadata.ts";

/** How long a new member's JoinGroup may wait for the rebalance before it is dropped (Kafka's 5 min). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;
/** Retry delay when a partition's log cannot be read while loading. */
const LOAD_RETRY_MS = 1000;

export interface GroupCoordinatorOptions {
  config: GroupCoordinatorConfig;
  /** The `__consumer_offsets` partitions this node leads. */
  log: CoordinatorLog;
  clock: Clock;
  timer: Timer;
  /** Every group state transition (the broker publishes them to `__state_changes`). */
  onStateChange?: GroupStateListener;
  logger?: Logger;
  /** Member-id suffixes; a simulation passes a seeded generator. Default: random UUIDs. */
  newUuid?: () => string;
}

export interface JoinGroupParams {
  groupId: string;
  /** "" for a member joining for the first time. */
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+ without an instance id: answer MEMBER_ID_REQUIRED with a new id first. */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+: a static leader rejoining a Stable group can skip the assignment. */
  supportSkippingAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  reason: string | null;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** Checked against the group's when given (SyncGroup v5+ always gives them). */
  protocolType: string | null;
  protocolName: string | null;
  assignments: ReadonlyMap<string, Buffer>;
}

export interface HeartbeatParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  error: number;
  members: { memberId: string; groupInstanceId: string | null; error: number }[];
}

export interface OffsetCommitParams {
  groupId: string;
  /** -1 (with member id "") for a consumer not using group management. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: { tp: TopicPartition; value: OffsetAndMetadata }[];
}

export interface GroupSummary {
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[];
}

export interface GroupOverview {
  groupId: string;
  protocolType: string;
  state: GroupStateName;
  groupType: string;
}

type Api = "join" | "sync" | "heartbeat" | "leave" | "commit" | "fetch" | "describe" | "delete" | "offset-delete";

/**
 * Kafka's classic group coordinator (GroupCoordinator.scala): group membership through
 * JoinGroup/SyncGroup/Heartbeat/LeaveGroup, offsets, and the admin APIs, for the groups whose
 * `__consumer_offsets` partition this node leads. Everything runs on the injected clock and
 * timer, so a simulation can drive it deterministically. Kafka's delayed operations map to
 * timers: DelayedJoin (the rebalance timeout), InitialDelayedJoin
 * (group.initial.rebalance.delay.ms), DelayedHeartbeat (session timeouts) and DelayedSync.
 */
export class GroupCoordinator {
  readonly manager: GroupMetadataManager;
  private readonly config: GroupCoordinatorConfig;
  private readonly clock: Clock;
  private readonly timer: Timer;
  private readonly logger: Logger | null;
  private readonly newUuid: () => string;
  private active = false;
  private cancelExpirationTask: (() => void) | null = null;

  constructor(opts: GroupCoordinatorOptions) {
    this.config = opts.config;
    this.clock = opts.clock;
    this.timer = opts.timer;
    this.logger = opts.logger ?? null;
    this.newUuid = opts.newUuid ?? randomUUID;
    const listener = opts.onStateChange ?? (() => {});
    this.manager = new GroupMetadataManager(
      opts.log,
      opts.config,
      {
        now: () => opts.clock.now(),
        listener,
        onListenerError: (err) => this.logger?.warn({ err: String(err) }, "group state listener failed"),
      },
      this.logger,
    );
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Starts answering requests and the periodic offset expiration. Like Kafka, groups are
   * placed by the partition count `__consumer_offsets` has at startup: pass it when the
   * topic already exists (it may differ from offsets.topic.num.partitions).
   */
  startup(offsetsTopicPartitionCount = this.config.offsetsTopicNumPartitions): void {
    this.manager.setPartitionCount(offsetsTopicPartitionCount);
    this.active = true;
    const interval = this.config.offsetsRetentionCheckIntervalMs;
    const run = (): void => {
      this.cancelExpirationTask = this.timer.schedule(interval, () => {
        void this.cleanupExpiredOffsets().finally(() => {
          if (this.active) run();
        });
      });
    };
    run();
  }

  /** Stops answering (COORDINATOR_NOT_AVAILABLE), unloads every group and cancels every timer. */
  shutdown(): void {
    this.active = false;
    this.cancelExpirationTask?.();
    this.cancelExpirationTask = null;
    this.manager.clear((g) => this.onGroupUnloaded(g));
  }

  /**
   * This node became the leader of `__consumer_offsets-<partition>`: load its groups and
   * offsets (requests for them get COORDINATOR_LOAD_IN_PROGRESS until done). Resolves when
   * the load finished or was superseded by onResign. A log that cannot be read is retried.
   */
  async onBecomeLeader(partition: number): Promise<void> {
    const token = this.manager.beginLoad(partition);
    if (token === null) return;
    for (;;) {
      try {
        await this.manager.loadPartition(partition, token, (g) => this.onGroupLoaded(g));
        return;
      } catch (err) {
        if (!this.manager.isCurrentLoad(partition, token)) return;
        this.logger?.warn({ partition, err: String(err) }, "loading __consumer_offsets partition failed; retrying");
        await new Promise<void>((resolve) => this.timer.schedule(LOAD_RETRY_MS, resolve));
        if (!this.manager.isCurrentLoad(partition, token)) return;
      }
    }
  }

  /** This node no longer leads the partition: drop its groups (their members get NOT_COORDINATOR). */
  onResign(partition: number): void {
    this.manager.unloadPartition(partition, (g) => this.onGroupUnloaded(g));
  }

  /** Topics or partitions were deleted: drop their committed offsets (with tombstones). */
  async onPartitionsDeleted(partitions: readonly TopicPartition[]): Promise<number> {
    return this.manager.cleanupGroupMetadata(this.manager.currentGroups(), (g) => g.offsets.remove(partitions), "its offsets were deleted with their topics");
  }

  partitionFor(groupId: string): number {
    return this.manager.partitionFor(groupId);
  }

  get isActive(): boolean {
    return this.active;
  }

  // ---------------------------------------------------------------- JoinGroup

  joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise((respond) => {
      const status = this.validateGroupStatus(p.groupId, "join");
      if (status !== null) return respond(joinError(p.memberId, status));
      if (p.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || p.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
        return respond(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
      }
      const isUnknownMember = p.memberId === UNKNOWN_MEMBER_ID;
      // A group is created only by a member without an id; a known id for a missing group is stale.
      const group = isUnknownMember ? this.manager.getOrCreateGroup(p.groupId) : this.manager.getGroup(p.groupId);
      if (!group) return respond(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      const reason = p.reason ?? "not provided";
      if (!this.acceptJoiningMember(group, p.memberId)) {
        const existing = group.has(p.memberId) ? group.get(p.memberId) : null;
        group.remove(p.memberId);
        existing?.cancelExpiration?.();
        respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.GROUP_MAX_SIZE_REACHED));
      } else if (isUnknownMember) {
        this.doNewMemberJoinGroup(group, p, reason, respond);
      } else {
        this.doCurrentMemberJoinGroup(group, p, reason, respond);
      }
      if (group.is(GroupState.PreparingRebalance)) this.checkJoinComplete(group);
    });
  }

  /**
   * group.max.size: in PreparingRebalance, members already parked are accepted and others
   * only while fewer than the maximum are parked (so the last rejoiners are kicked out when
   * the maximum was lowered); in CompletingRebalance/Stable, existing members are accepted.
   */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return true;
      case GroupState.PreparingRebalance:
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoin < this.config.groupMaxSize;
      case GroupState.CompletingRebalance:
      case GroupState.Stable:
        return group.has(memberId) || group.size < this.config.groupMaxSize;
    }
  }

  private doNewMemberJoinGroup(group: ClassicGroup, p: JoinGroupParams, reason: string, respond: (r: JoinGroupResult) => void): void {
    if (group.is(GroupState.Dead)) return respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name)))) {
      return respond(joinError(UNKNOWN_MEMBER_ID, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = `${p.groupInstanceId ?? p.clientId}-${this.newUuid()}`;
    if (p.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(p.groupInstanceId);
      if (oldMemberId !== undefined) {
        this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, p.groupInstanceId, p, reason, respond);
      } else {
        this.addMemberAndRebalance(group, newMemberId, p, reason, respond);
      }
    } else if (p.requireKnownMemberId) {
      // Hand out the id and let the member come back with it, so a member whose JoinGroup
      // times out on the client does not leave a defunct member behind (KIP-394).
      group.addPendingMember(newMemberId);
      this.schedulePendingMemberExpiration(group, newMemberId, p.sessionTimeoutMs);
      respond(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.addMemberAndRebalance(group, newMemberId, p, reason, respond);
    }
  }

  private doCurrentMemberJoinGroup(group: ClassicGroup, p: JoinGroupParams, reason: string, respond: (r: JoinGroupResult) => void): void {
    if (group.is(GroupState.Dead)) return respond(joinError(p.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name)))) {
      return respond(joinError(p.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.isPendingMember(p.memberId)) {
      // Pending ids are only handed to dynamic members (Kafka throws here: a client bug).
      if (p.groupInstanceId !== null) return respond(joinError(p.memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      group.pendingMemberTimers.get(p.memberId)?.();
      group.pendingMemberTimers.delete(p.memberId);
      return this.addMemberAndRebalance(group, p.memberId, p, reason, respond);
    }
    const error = this.validateCurrentMember(group, p.memberId, p.groupInstanceId);
    if (error !== null) return respond(joinError(p.memberId, error));
    const member = group.get(p.memberId);
    switch (group.state) {
      case GroupState.PreparingRebalance:
        return this.updateMemberAndRebalance(group, member, p, `member ${member.memberId} joining group during PreparingRebalance; client reason: ${reason}`, respond);
      case GroupState.CompletingRebalance:
        if (member.matches(p.protocols)) {
          // The member lost the JoinGroup response: answer again for the current generation.
          return respond(this.joinResult(group, member.memberId, group.isLeader(member.memberId), group.leaderOrNull ?? "", false));
        }
        return this.updateMemberAndRebalance(group, member, p, `updating metadata for member ${member.memberId} during CompletingRebalance; client reason: ${reason}`, respond);
      case GroupState.Stable:
        if (group.isLeader(member.memberId)) {
          // The leader rejoins to trigger a rebalance for changes its metadata does not show
          // (e.g. new partitions of a subscribed topic).
          return this.updateMemberAndRebalance(group, member, p, `leader ${member.memberId} re-joining group during Stable; client reason: ${reason}`, respond);
        }
        if (!member.matches(p.protocols)) {
          return this.updateMemberAndRebalance(group, member, p, `updating metadata for member ${member.memberId} during Stable; client reason: ${reason}`, respond);
        }
        return respond(this.joinResult(group, member.memberId, false, group.leaderOrNull ?? "", false));
      case GroupState.Empty:
      case GroupState.Dead:
        return respond(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** A successful JoinGroup answer for the current generation. */
  private joinResult(group: ClassicGroup, memberId: string, withMembers: boolean, leaderId: string, skipAssignment: boolean): JoinGroupResult {
    return {
      error: ErrorCode.NONE,
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId,
      skipAssignment,
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  /**
   * Kafka's validateCurrentMember: a given instance id must map to this member id
   * (FENCED_INSTANCE_ID if it maps to another, UNKNOWN_MEMBER_ID if to none), and the
   * member must exist.
   */
  private validateCurrentMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
      return null;
    }
    return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private addMemberAndRebalance(group: ClassicGroup, memberId: string, p: JoinGroupParams, reason: string, respond: (r: JoinGroupResult) => void): void {
    const member = new GroupMember(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocolType, p.protocols);
    member.isNew = true;
    // A member joining during the initial delay of a new group extends the delay.
    if (group.is(GroupState.PreparingRebalance) && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat and the coordinator cannot see it disconnect while its
    // JoinGroup is parked, so the JoinGroup itself times out; a live client retries.
    this.scheduleMemberExpiration(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(group, `adding new member ${memberId} with group instance id ${p.groupInstanceId ?? "none"}; client reason: ${reason}`);
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, p: JoinGroupParams, reason: string, respond: (r: JoinGroupResult) => void): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    this.maybePrepareRebalance(group, reason);
  }

  /**
   * A known static member joins with no member id (it restarted): it takes over its old
   * entry under a new id, fencing whoever still uses the old one. A Stable group whose
   * protocol would not change just persists the new id instead of rebalancing.
   */
  private updateStaticMemberAndRebalance(
    group: ClassicGroup,
    oldMemberId: string,
    newMemberId: string,
    groupInstanceId: string,
    p: JoinGroupParams,
    reason: string,
    respond: (r: JoinGroupResult) => void,
  ): void {
    const currentLeader = group.leaderOrNull ?? "";
    const member = group.replaceStaticMember(groupInstanceId, oldMemberId, newMemberId, ErrorCode.FENCED_INSTANCE_ID);
    this.completeAndScheduleNextHeartbeatExpiration(group, member);
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
    const oldSessionTimeoutMs = member.sessionTimeoutMs;
    const oldProtocols = member.supportedProtocols;
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, respond);
    switch (group.state) {
      case GroupState.Stable: {
        if (group.protocolName !== group.selectProtocol()) {
          return this.maybePrepareRebalance(group, `group's selected protocol will change because static member ${newMemberId} with instance id ${groupInstanceId} joined with a change of protocol; client reason: ${reason}`);
        }
        const assignment = new Map(group.allMembers.map((m) => [m.memberId, m.assignment] as const));
        const generation = group.generationId;
        void this.manager.storeGroup(group, assignment).then((error) => {
          if (error !== ErrorCode.NONE) {
            this.logger?.warn({ group: group.groupId, error }, "failed to persist the new member id of a static member");
            // Revert to the old id (if the member is still there as we left it).
            if (group.has(newMemberId) && group.get(newMemberId) === member && group.generationId === generation && !group.is(GroupState.Dead)) {
              group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null);
              const oldMember = group.replaceStaticMember(groupInstanceId, newMemberId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID);
              this.completeAndScheduleNextHeartbeatExpiration(group, oldMember);
            }
            respond({ ...this.joinResult(group, UNKNOWN_MEMBER_ID, false, currentLeader, false), error });
          } else if (p.supportSkippingAssignment) {
            // JoinGroup v9+: tell a static leader it leads but should not run the assignor,
            // whose new assignment a Stable group would ignore.
            const isLeader = group.isLeader(newMemberId);
            group.maybeInvokeJoinCallback(member, this.joinResultSafe(group, newMemberId, isLeader, group.leaderOrNull ?? "", isLeader));
          } else {
            // Older clients: return the old leader id so the rejoining leader does not think it
            // leads and compute an assignment nobody would receive.
            group.maybeInvokeJoinCallback(member, this.joinResultSafe(group, newMemberId, false, currentLeader, false));
          }
        });
        return;
      }
      case GroupState.CompletingRebalance:
        // The old id may already be in the leader's hands: rebalance so the assignment
        // matches the new id.
        return this.prepareRebalance(group, `updating metadata for static member ${newMemberId} with instance id ${groupInstanceId}; client reason: ${reason}`);
      case GroupState.PreparingRebalance:
        return;
      case GroupState.Empty:
      case GroupState.Dead:
        throw new Error(`group ${group.groupId} cannot be ${group.state} while static member ${groupInstanceId} rejoins`);
    }
  }

  /** joinResult, but a group that moved on (no metadata to give) answers without members. */
  private joinResultSafe(group: ClassicGroup, memberId: string, withMembers: boolean, leaderId: string, skipAssignment: boolean): JoinGroupResult {
    const canList = !group.is(GroupState.PreparingRebalance) && !group.is(GroupState.Dead) && group.protocolName !== null;
    return this.joinResult(group, memberId, withMembers && canList, leaderId, skipAssignment);
  }

  private maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members parked in SyncGroup must rejoin.
    if (group.is(GroupState.CompletingRebalance)) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const wasEmpty = group.is(GroupState.Empty);
    const rebalanceTimeoutMs = group.rebalanceTimeoutMs;
    group.transitionTo(GroupState.PreparingRebalance, reason);
    this.logger?.info({ group: group.groupId, generation: group.generationId, partition: this.partitionFor(group.groupId), reason }, "preparing to rebalance group");
    if (wasEmpty) {
      // A new group waits group.initial.rebalance.delay.ms for more members, extended while
      // they keep coming, at most until the rebalance timeout.
      const delay = this.config.groupInitialRebalanceDelayMs;
      this.scheduleInitialJoin(group, delay, Math.max(rebalanceTimeoutMs - delay, 0));
    } else {
      this.scheduleJoin(group, rebalanceTimeoutMs);
    }
  }

  /** Kafka's DelayedJoin: completes as soon as every member rejoined, or at the timeout. */
  private scheduleJoin(group: ClassicGroup, timeoutMs: number): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
    if (group.hasAllMembersJoined) return this.onCompleteJoin(group);
    const cancel = this.timer.schedule(timeoutMs, () => {
      if (group.joinTimer?.cancel !== cancel) return;
      group.joinTimer = null;
      this.onCompleteJoin(group);
    });
    group.joinTimer = { cancel, initial: false };
  }

  /** Kafka's InitialDelayedJoin: never completes early; on expiry extends or completes. */
  private scheduleInitialJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    group.joinTimer?.cancel();
    const cancel = this.timer.schedule(delayMs, () => {
      if (group.joinTimer?.cancel !== cancel) return;
      group.joinTimer = null;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const next = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(group, next, Math.max(remainingMs - delayMs, 0));
      } else {
        this.onCompleteJoin(group);
      }
    });
    group.joinTimer = { cancel, initial: true };
  }

  /** Kafka's rebalancePurgatory.checkAndComplete for the group's join. */
  private checkJoinComplete(group: ClassicGroup): void {
    const t = group.joinTimer;
    if (!t || t.initial || !group.hasAllMembersJoined) return;
    t.cancel();
    group.joinTimer = null;
    this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: ClassicGroup): void {
    // Dynamic members that did not rejoin in time are gone; static ones keep their place.
    for (const m of group.allMembers) {
      if (!m.isAwaitingJoin && !m.isStatic) {
        group.remove(m.memberId);
        m.cancelExpiration?.();
        m.cancelExpiration = null;
      }
    }
    if (group.is(GroupState.Dead)) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members remain and none rejoined: wait another rebalance timeout (their
      // sessions expire meanwhile if they are really gone).
      this.logger?.error({ group: group.groupId }, "group could not complete rebalance because no members rejoined");
      return this.scheduleJoin(group, group.rebalanceTimeoutMs);
    }
    if (group.size === 0) {
      group.initNextGeneration(`rebalance completed with no members: generation ${group.generationId + 1} is empty`);
      void this.manager.storeGroup(group, new Map()).then((error) => {
        // The previous generation would come back after a failover; it has no live members,
        // so it only expires again.
        if (error !== ErrorCode.NONE) this.logger?.warn({ group: group.groupId, error }, "failed to write empty group metadata");
      });
      return;
    }
    group.initNextGeneration(`rebalance completed: generation ${group.generationId + 1} with ${group.size} members, awaiting the leader's assignment`);
    for (const m of group.allMembers) {
      group.maybeInvokeJoinCallback(m, this.joinResult(group, m.memberId, group.isLeader(m.memberId), group.leaderOrNull ?? "", false));
      this.completeAndScheduleNextHeartbeatExpiration(group, m);
      m.isNew = false;
      group.addPendingSyncMember(m.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ---------------------------------------------------------------- SyncGroup

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise((respond) => {
      const status = this.validateGroupStatus(p.groupId, "sync");
      // The rebalance in progress was lost with the load: have the member rejoin (older
      // clients do not expect COORDINATOR_LOAD_IN_PROGRESS here).
      if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      if (status !== null) return respond(syncError(status));
      const group = this.manager.getGroup(p.groupId);
      if (!group) return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      const error = this.validateSyncGroup(group, p);
      if (error !== null) return respond(syncError(error));
      switch (group.state) {
        case GroupState.Empty:
          return respond(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        case GroupState.PreparingRebalance:
          return respond(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        case GroupState.CompletingRebalance: {
          const member = group.get(p.memberId);
          member.awaitingSync = respond;
          this.removePendingSyncMember(group, p.memberId);
          if (group.isLeader(p.memberId)) this.onLeaderAssignment(group, p);
          return;
        }
        case GroupState.Stable: {
          this.removePendingSyncMember(group, p.memberId);
          const member = group.get(p.memberId);
          respond({ error: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
          return this.completeAndScheduleNextHeartbeatExpiration(group, member);
        }
        case GroupState.Dead:
          throw new Error(`group ${group.groupId} is Dead after validation`);
      }
    });
  }

  private validateSyncGroup(group: ClassicGroup, p: SyncGroupParams): number | null {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, p.memberId, p.groupInstanceId);
    if (memberError !== null) return memberError;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (p.protocolType !== null && p.protocolType !== group.protocolType) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (p.protocolName !== null && p.protocolName !== group.protocolName) return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return null;
  }

  /** The leader's assignment: persist it with the group, then hand every member its part. */
  private onLeaderAssignment(group: ClassicGroup, p: SyncGroupParams): void {
    const assignment = new Map<string, Buffer>();
    for (const id of group.memberIds) assignment.set(id, p.assignments.get(id) ?? Buffer.alloc(0));
    const missing = group.memberIds.filter((id) => !p.assignments.has(id));
    if (missing.length > 0) this.logger?.warn({ group: group.groupId, generation: group.generationId, missing }, "setting empty assignments for members the leader left out");
    const generation = group.generationId;
    void this.manager.storeGroup(group, assignment).then((error) => {
      // Another member may have joined meanwhile: only the same generation, still waiting
      // for its assignment, may take it.
      if (!group.is(GroupState.CompletingRebalance) || group.generationId !== generation) return;
      if (error !== ErrorCode.NONE) {
        this.resetAndPropagateAssignmentError(group, error);
        this.maybePrepareRebalance(group, `error ${error} when storing group assignment during SyncGroup (member: ${p.memberId})`);
      } else {
        for (const m of group.allMembers) m.assignment = assignment.get(m.memberId) ?? Buffer.alloc(0);
        this.propagateAssignment(group, ErrorCode.NONE);
        group.transitionTo(GroupState.Stable, `leader ${p.memberId} sent the assignment for generation ${generation}`);
      }
    });
  }

  private resetAndPropagateAssignmentError(group: ClassicGroup, error: number): void {
    for (const m of group.allMembers) m.assignment = Buffer.alloc(0);
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: ClassicGroup, error: number): void {
    const ok = error === ErrorCode.NONE;
    for (const m of group.allMembers) {
      const answered = group.maybeInvokeSyncCallback(m, {
        error,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      // Restart the session of members that waited: their timer may have fired (and been
      // ignored) while they were parked.
      if (answered) this.completeAndScheduleNextHeartbeatExpiration(group, m);
    }
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.removePendingSyncMember(memberId);
    this.maybeCompleteSyncExpiration(group);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.clearPendingSyncMembers();
    this.maybeCompleteSyncExpiration(group);
  }

  /** Kafka's DelayedSync completes (without effect) once every member synced or the group moved on. */
  private maybeCompleteSyncExpiration(group: ClassicGroup): void {
    const t = group.syncTimer;
    if (!t) return;
    const moved = t.generation !== group.generationId || !(group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable));
    if (moved || group.hasReceivedSyncFromAllMembers) {
      t.cancel();
      group.syncTimer = null;
    }
  }

  /** Members that got the JoinGroup answer must send SyncGroup within the rebalance timeout. */
  private schedulePendingSync(group: ClassicGroup): void {
    group.syncTimer?.cancel();
    const generation = group.generationId;
    const cancel = this.timer.schedule(group.rebalanceTimeoutMs, () => {
      if (group.syncTimer?.cancel !== cancel) return;
      group.syncTimer = null;
      if (generation !== group.generationId) return;
      if (!(group.is(GroupState.CompletingRebalance) || group.is(GroupState.Stable))) return;
      if (group.hasReceivedSyncFromAllMembers) return;
      const pending = group.allPendingSyncMembers;
      for (const id of pending) {
        const m = group.has(id) ? group.get(id) : null;
        group.remove(id);
        m?.cancelExpiration?.();
        if (m) m.cancelExpiration = null;
      }
      this.prepareRebalance(group, `removing ${pending.join(", ")} on pending sync request expiration`);
    });
    group.syncTimer = { cancel, generation };
  }

  // ---------------------------------------------------------------- Heartbeat and sessions

  heartbeat(p: HeartbeatParams): number {
    const status = this.validateGroupStatus(p.groupId, "heartbeat");
    // The group is still loading: answer blindly so the member keeps its session.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (status !== null) return status;
    const group = this.manager.getGroup(p.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, p.memberId, p.groupInstanceId);
    if (memberError !== null) return memberError;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case GroupState.CompletingRebalance:
      case GroupState.Stable:
        // In CompletingRebalance: a member may heartbeat between JoinGroup and SyncGroup.
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(p.memberId));
        return ErrorCode.NONE;
      case GroupState.PreparingRebalance:
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(p.memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case GroupState.Dead:
        throw new Error(`group ${group.groupId} is Dead after validation`);
    }
  }

  private completeAndScheduleNextHeartbeatExpiration(group: ClassicGroup, member: GroupMember): void {
    this.scheduleMemberExpiration(group, member, member.sessionTimeoutMs);
  }

  /** Kafka's DelayedHeartbeat: a member not heard from in `timeoutMs` is removed. */
  private scheduleMemberExpiration(group: ClassicGroup, member: GroupMember, timeoutMs: number): void {
    member.cancelExpiration?.();
    const cancel = this.timer.schedule(timeoutMs, () => {
      if (member.cancelExpiration !== cancel) return;
      member.cancelExpiration = null;
      if (group.is(GroupState.Dead) || !group.has(member.memberId) || group.get(member.memberId) !== member) return;
      // Members parked in JoinGroup/SyncGroup cannot heartbeat; they get a new session when answered.
      if (member.hasSatisfiedHeartbeat) return;
      this.logger?.info({ group: group.groupId, member: member.memberId }, "member failed its session; removing it from the group");
      this.removeMemberAndUpdateGroup(group, member, `removing member ${member.memberId} on heartbeat expiration`);
    });
    member.cancelExpiration = cancel;
  }

  private schedulePendingMemberExpiration(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    const cancel = this.timer.schedule(timeoutMs, () => {
      if (group.pendingMemberTimers.get(memberId) !== cancel) return;
      group.pendingMemberTimers.delete(memberId);
      if (group.is(GroupState.Dead) || !group.isPendingMember(memberId)) return;
      this.removePendingMemberAndUpdateGroup(group, memberId);
    });
    group.pendingMemberTimers.set(memberId, cancel);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    // A new member may still wait in JoinGroup: answer it so a live client retries.
    group.maybeInvokeJoinCallback(member, joinError(UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID));
    // Kafka leaves a parked SyncGroup of a removed member unanswered until the client times
    // out; answering it is kinder and changes nothing else.
    group.maybeInvokeSyncCallback(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    member.cancelExpiration?.();
    member.cancelExpiration = null;
    switch (group.state) {
      case GroupState.Dead:
      case GroupState.Empty:
        return;
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        return this.maybePrepareRebalance(group, reason);
      case GroupState.PreparingRebalance:
        return this.checkJoinComplete(group);
    }
  }

  private removePendingMemberAndUpdateGroup(group: ClassicGroup, memberId: string): void {
    group.remove(memberId);
    group.pendingMemberTimers.get(memberId)?.();
    group.pendingMemberTimers.delete(memberId);
    if (group.is(GroupState.PreparingRebalance)) this.checkJoinComplete(group);
  }

  // ---------------------------------------------------------------- LeaveGroup

  /** Removes the members (v3+ batches them; admin tools leave by instance id alone). */
  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): LeaveGroupResult {
    const status = this.validateGroupStatus(groupId, "leave");
    if (status !== null) return { error: status, members: [] };
    const result = (m: LeavingMember, error: number) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, error });
    const group = this.manager.getGroup(groupId);
    if (!group) return { error: ErrorCode.NONE, members: leaving.map((m) => result(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
    if (group.is(GroupState.Dead)) return { error: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const removeCurrent = (memberId: string, reason: string | null): void => {
      const member = group.get(memberId);
      this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on LeaveGroup; client reason: ${reason ?? "not provided"}`);
    };
    const members = leaving.map((m) => {
      if (m.memberId === UNKNOWN_MEMBER_ID) {
        const current = m.groupInstanceId === null ? undefined : group.currentStaticMemberId(m.groupInstanceId);
        if (current === undefined) return result(m, ErrorCode.UNKNOWN_MEMBER_ID);
        removeCurrent(current, m.reason);
        return result(m, ErrorCode.NONE);
      }
      if (group.isPendingMember(m.memberId)) {
        this.removePendingMemberAndUpdateGroup(group, m.memberId);
        return result(m, ErrorCode.NONE);
      }
      const error = this.validateCurrentMember(group, m.memberId, m.groupInstanceId);
      if (error !== null) return result(m, error);
      removeCurrent(m.memberId, m.reason);
      return result(m, ErrorCode.NONE);
    });
    return { error: ErrorCode.NONE, members };
  }

  // ---------------------------------------------------------------- Offsets

  /**
   * Validates and appends the commits; resolves with one error per entry once the append is
   * committed. Validation happens synchronously, before the returned promise is created.
   */
  commitOffsets(p: OffsetCommitParams): Promise<number[]> {
    const all = (error: number): Promise<number[]> => Promise.resolve(p.offsets.map(() => error));
    const status = this.validateGroupStatus(p.groupId, "commit");
    if (status !== null) return all(status);
    let group = this.manager.getGroup(p.groupId);
    if (!group) {
      // A group unknown here is either not using group management (allowed: generation -1)
      // or a member of a generation this coordinator never saw.
      if (p.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = this.manager.addGroup(new ClassicGroup(p.groupId, GroupState.Empty, this.groupContext()));
    }
    const error = this.validateOffsetCommit(group, p);
    if (error !== null) return all(error);
    switch (group.state) {
      case GroupState.Empty:
        return this.manager.storeOffsets(group, p.offsets);
      case GroupState.Stable:
      case GroupState.PreparingRebalance:
        // Commits of the current generation are still allowed while preparing a rebalance:
        // the member learns of the rebalance from its next heartbeat.
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(p.memberId));
        return this.manager.storeOffsets(group, p.offsets);
      case GroupState.CompletingRebalance:
        // The member has the new generation from JoinGroup but no assignment yet.
        return all(ErrorCode.REBALANCE_IN_PROGRESS);
      case GroupState.Dead:
        throw new Error(`group ${group.groupId} is Dead after validation`);
    }
  }

  private validateOffsetCommit(group: ClassicGroup, p: OffsetCommitParams): number | null {
    if (group.is(GroupState.Dead)) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Generation -1: the admin client or a consumer without group management; fine while
    // the group has no members.
    if (p.generationId < 0 && group.is(GroupState.Empty)) return null;
    if (p.generationId >= 0 || p.memberId !== UNKNOWN_MEMBER_ID || p.groupInstanceId !== null) {
      const memberError = this.validateCurrentMember(group, p.memberId, p.groupInstanceId);
      if (memberError !== null) return memberError;
      return p.generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : null;
    }
    // Only members may commit for a group with members.
    return group.is(GroupState.Empty) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * The committed offsets of the partitions (all the group's for null), -1 where none is
   * committed, whatever the group's state (it may use Kafka only to store offsets).
   */
  fetchOffsets(groupId: string, partitions: readonly TopicPartition[] | null): { error: number; offsets: FetchedOffset[] } {
    const status = this.validateGroupStatus(groupId, "fetch");
    if (status !== null) return { error: status, offsets: [] };
    return { error: ErrorCode.NONE, offsets: this.manager.getOffsets(groupId, partitions) };
  }

  /**
   * OffsetDelete: an Empty group's offsets go; a consumer group with members keeps the
   * offsets of topics it subscribes to (GROUP_SUBSCRIBED_TO_TOPIC); other groups with
   * members refuse (ErrorCode.NON_EMPTY_GROUP).
   */
  async deleteOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<{ error: number; partitions: { tp: TopicPartition; error: number }[] }> {
    const status = this.validateGroupStatus(groupId, "offset-delete");
    if (status !== null) return { error: status, partitions: [] };
    const group = this.manager.getGroup(groupId);
    const notHere = (): number => (this.manager.groupNotExists(groupId) ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR);
    if (!group || group.is(GroupState.Dead)) return { error: notHere(), partitions: [] };
    let eligible: TopicPartition[];
    const results: { tp: TopicPartition; error: number }[] = [];
    if (group.is(GroupState.Empty)) {
      eligible = [...partitions];
    } else if (group.isConsumerGroup) {
      eligible = [];
      for (const tp of partitions) {
        if (group.isSubscribedToTopic(tp.topic)) results.push({ tp, error: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
        else eligible.push(tp);
      }
    } else {
      return { error: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
    }
    if (eligible.length > 0) {
      await this.manager.cleanupGroupMetadata([group], (g) => g.offsets.remove(eligible), "all its offsets were deleted");
      for (const tp of eligible) results.push({ tp, error: ErrorCode.NONE });
    }
    return { error: ErrorCode.NONE, partitions: results };
  }

  /** Removes offsets past offsets.retention.minutes (the periodic task; public for tests). */
  async cleanupExpiredOffsets(): Promise<number> {
    const now = this.clock.now();
    const removed = await this.manager.cleanupGroupMetadata(
      this.manager.currentGroups(),
      (g) => this.removeExpiredOffsets(g, now),
      "its offsets expired (offsets.retention.minutes)",
    );
    if (removed > 0) this.logger?.info({ removed }, "removed expired offsets");
    return removed;
  }

  /**
   * Which offsets expire (GroupMetadata.removeExpiredOffsets): an Empty group's, counted
   * from when it became Empty; a Stable consumer group's for topics it no longer subscribes
   * to (KIP-496), counted from their commit; a group without a protocol type (offset storage
   * only), from their commit. Nothing while a group rebalances.
   */
  private removeExpiredOffsets(group: ClassicGroup, now: number): TopicPartition[] {
    const retention = this.config.offsetsRetentionMs;
    if (group.protocolType !== null && group.is(GroupState.Empty)) {
      const since = group.sm.stateTimestamp;
      return group.offsets.removeExpired(now, retention, (o) => since ?? o.commitTimestamp);
    }
    const subscribed = group.subscribedTopicsOrNull;
    if (group.protocolType === CONSUMER_PROTOCOL_TYPE && subscribed !== null && group.is(GroupState.Stable)) {
      return group.offsets.removeExpired(now, retention, (o) => o.commitTimestamp, subscribed);
    }
    if (group.protocolType === null) return group.offsets.removeExpired(now, retention, (o) => o.commitTimestamp);
    return [];
  }

  // ---------------------------------------------------------------- Admin APIs

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { error: number; groups: GroupOverview[] } {
    if (!this.active) return { error: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const error = this.manager.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    // Every group here is a classic group; any other type filter matches none.
    const typesMatch = typesFilter.length === 0 || typesFilter.some((t) => t.toLowerCase() === "classic");
    const groups = this.manager
      .currentGroups()
      .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && typesMatch)
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? "", state: g.state, groupType: "classic" }));
    return { error, groups };
  }

  describeGroup(groupId: string): { error: number; summary: GroupSummary } {
    const status = this.validateGroupStatus(groupId, "describe");
    if (status !== null) return { error: status, summary: { state: "", protocolType: "", protocol: "", members: [] } };
    const group = this.manager.getGroup(groupId);
    if (!group) return { error: ErrorCode.NONE, summary: { state: GroupState.Dead, protocolType: "", protocol: "", members: [] } };
    const empty = Buffer.alloc(0);
    if (group.is(GroupState.Stable)) {
      const protocol = group.protocolName ?? "";
      return {
        error: ErrorCode.NONE,
        summary: {
          state: group.state,
          protocolType: group.protocolType ?? "",
          protocol,
          members: group.allMembers.map((m) => ({ ...memberIdentity(m), metadata: m.metadata(protocol), assignment: m.assignment })),
        },
      };
    }
    // Mid-rebalance metadata and assignments are not meaningful; Kafka omits them.
    return {
      error: ErrorCode.NONE,
      summary: {
        state: group.state,
        protocolType: group.protocolType ?? "",
        protocol: "",
        members: group.allMembers.map((m) => ({ ...memberIdentity(m), metadata: empty, assignment: empty })),
      },
    };
  }

  /** DeleteGroups: only Empty groups can go (ErrorCode.NON_EMPTY_GROUP otherwise); their offsets go with them. */
  async deleteGroups(groupIds: readonly string[]): Promise<Map<string, number>> {
    const errors = new Map<string, number>();
    const eligible: ClassicGroup[] = [];
    for (const groupId of groupIds) {
      const status = this.validateGroupStatus(groupId, "delete");
      if (status !== null) {
        errors.set(groupId, status);
        continue;
      }
      const group = this.manager.getGroup(groupId);
      if (!group || group.is(GroupState.Dead)) {
        errors.set(groupId, this.manager.groupNotExists(groupId) ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR);
      } else if (group.is(GroupState.Empty)) {
        group.transitionTo(GroupState.Dead, "deleted by DeleteGroups");
        eligible.push(group);
      } else {
        errors.set(groupId, ErrorCode.NON_EMPTY_GROUP);
      }
    }
    if (eligible.length > 0) {
      const removed = await this.manager.cleanupGroupMetadata(eligible, (g) => g.offsets.removeAll(), "deleted by DeleteGroups");
      for (const g of eligible) errors.set(g.groupId, ErrorCode.NONE);
      this.logger?.info({ groups: eligible.map((g) => g.groupId), offsets: removed }, "deleted groups");
    }
    return errors;
  }

  // ---------------------------------------------------------------- loading and unloading

  private onGroupLoaded(group: ClassicGroup): void {
    if (group.size > this.config.groupMaxSize) {
      this.prepareRebalance(group, `freshly-loaded group is over capacity (${this.config.groupMaxSize}); rebalancing to let consumers commit offsets`);
    }
    // Loaded members get a fresh session: they must heartbeat this coordinator in time.
    for (const m of group.allMembers) this.completeAndScheduleNextHeartbeatExpiration(group, m);
  }

  private onGroupUnloaded(group: ClassicGroup): void {
    const previous = group.state;
    if (!group.is(GroupState.Dead)) group.transitionTo(GroupState.Dead, `coordinator unloaded __consumer_offsets-${this.partitionFor(group.groupId)}`);
    if (previous === GroupState.PreparingRebalance) {
      for (const m of group.allMembers) group.maybeInvokeJoinCallback(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
    } else if (previous === GroupState.Stable || previous === GroupState.CompletingRebalance) {
      for (const m of group.allMembers) group.maybeInvokeSyncCallback(m, syncError(ErrorCode.NOT_COORDINATOR));
    }
    group.joinTimer?.cancel();
    group.joinTimer = null;
    group.syncTimer?.cancel();
    group.syncTimer = null;
    group.clearPendingSyncMembers();
    for (const cancel of group.pendingMemberTimers.values()) cancel();
    group.pendingMemberTimers.clear();
    for (const m of group.allMembers) {
      m.cancelExpiration?.();
      m.cancelExpiration = null;
    }
  }

  /**
   * Kafka's validateGroupStatus: a valid id (the offset and admin APIs accept "" for
   * compatibility), an active coordinator, the group's partition loaded and owned here.
   */
  private validateGroupStatus(groupId: string, api: Api): number | null {
    const allowsEmpty = api === "commit" || api === "fetch" || api === "describe" || api === "delete";
    if (!allowsEmpty && groupId === "") return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.manager.isGroupLoading(groupId)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.manager.isGroupLocal(groupId)) return ErrorCode.NOT_COORDINATOR;
    return null;
  }

  private groupContext(): GroupContext {
    return this.manager.groupContext;
  }
}

function memberIdentity(m: GroupMember): { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string } {
  return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost };
}
