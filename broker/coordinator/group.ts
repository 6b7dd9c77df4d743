import { Reader } from "../protocol/primitives/reader.ts";
import { decodeConsumerProtocolSubscription } from "../protocol/generated/message/ConsumerProtocolSubscription.ts";
import { GroupOffsets } from "./group-offsets.ts";
import { GroupState, GroupStateMachine, type GroupStateListener, type GroupStateName } from "./group-state.ts";
import { GroupMember, joinError, syncError, type JoinGroupResult, type MemberProtocol, type SyncGroupResult } from "./member.ts";

export const CONSUMER_PROTOCOL_TYPE = "consumer";

export interface GroupContext {
  now(): number;
  listener: GroupStateListener;
  onListenerError(err: unknown): void;
}

/**
 * A classic group (Kafka's GroupMetadata): its state machine, generation, protocol, leader,
 * members (with static-member and pending-member bookkeeping) and committed offsets.
 * Protocol decisions (who may join, when to rebalance) live in the coordinator; this class
 * keeps the group's invariants: the protocol-support counts, the number of members parked in
 * JoinGroup, and a leader whenever there are members.
 */
export class ClassicGroup {
  readonly sm: GroupStateMachine;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  private leaderId: string | null = null;

  private readonly members = new Map<string, GroupMember>();
  /** group.instance.id → member.id */
  private readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  private readonly pendingMembers = new Set<string>();
  /** Members of the new generation that have not sent SyncGroup yet. */
  private readonly pendingSyncMembers = new Set<string>();
  private numMembersAwaitingJoin = 0;
  private readonly supportedProtocols = new Map<string, number>();
  /** For consumer groups: the union of the members' subscriptions (null: unknown). */
  private subscribedTopics: Set<string> | null = null;

  readonly offsets = new GroupOffsets();
  /** A member joined during the initial rebalance delay, so it may be extended. */
  newMemberAdded = false;

  // Timers the coordinator runs for the group: Kafka's DelayedJoin / InitialDelayedJoin, the
  // DelayedSync of a generation, and the expiration of member ids handed out but not used.
  joinTimer: { cancel: () => void; initial: boolean } | null = null;
  syncTimer: { cancel: () => void; generation: number } | null = null;
  readonly pendingMemberTimers = new Map<string, () => void>();

  constructor(
    readonly groupId: string,
    initialState: GroupStateName,
    ctx: GroupContext,
  ) {
    this.sm = new GroupStateMachine(groupId, initialState, ctx.now, () => this.stateDetails(), ctx.listener, ctx.onListenerError);
  }

  /**
   * A group as read back from its GroupMetadataValue: Stable with its members (they get
   * fresh session timers from the coordinator) or Empty, with the persisted leader.
   */
  static restore(
    groupId: string,
    ctx: GroupContext,
    v: { generation: number; protocolType: string; protocolName: string | null; leader: string | null; stateTimestamp: number | null; members: GroupMember[] },
  ): ClassicGroup {
    const group = new ClassicGroup(groupId, v.members.length === 0 ? GroupState.Empty : GroupState.Stable, ctx);
    group.generationId = v.generation;
    group.protocolType = v.protocolType === "" ? null : v.protocolType;
    group.protocolName = v.protocolName;
    group.leaderId = v.leader;
    group.sm.restoreStateTimestamp(v.stateTimestamp);
    for (const m of v.members) group.add(m, null);
    group.refreshSubscribedTopics();
    return group;
  }

  get state(): GroupStateName {
    return this.sm.state;
  }
  is(state: GroupStateName): boolean {
    return this.sm.is(state);
  }
  transitionTo(state: GroupStateName, cause: string): void {
    this.sm.transitionTo(state, cause);
  }
  /** Kafka's canRebalance: PreparingRebalance may be entered from the current state. */
  get canRebalance(): boolean {
    return this.sm.canTransitionTo(GroupState.PreparingRebalance);
  }

  stateDetails(): { generation: number; protocolType: string | null; protocol: string | null; leader: string | null; members: number } {
    return { generation: this.generationId, protocolType: this.protocolType, protocol: this.protocolName, leader: this.leaderId, members: this.members.size };
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }
  get(memberId: string): GroupMember {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`member ${memberId} is not in group ${this.groupId}`);
    return m;
  }
  get size(): number {
    return this.members.size;
  }
  get allMembers(): GroupMember[] {
    return [...this.members.values()];
  }
  get memberIds(): string[] {
    return [...this.members.keys()];
  }
  get leaderOrNull(): string | null {
    return this.leaderId;
  }
  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }
  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }
  get numAwaitingJoin(): number {
    return this.numMembersAwaitingJoin;
  }
  get staticMemberCount(): number {
    return this.staticMembers.size;
  }
  /** Every member parked in JoinGroup and no member id handed out but unused. */
  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }
  /** The longest rebalance timeout of the members: how long a rebalance waits for them. */
  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  add(member: GroupMember, callback: ((r: JoinGroupResult) => void) | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) {
        throw new Error(`static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      }
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.incSupportedProtocols(member);
    member.awaitingJoin = callback;
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.decSupportedProtocols(member);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /**
   * Keeps the leader if it rejoined, otherwise picks any member that did. False when the
   * group has no leader or nobody rejoined (the rebalance cannot complete).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.get(this.leaderId).isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /**
   * A static member rejoined with a new member id: the same member continues under the new
   * id, and whoever still waits on the old id is fenced.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string, fenced: number): GroupMember {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`cannot replace unknown member ${oldMemberId} of group ${this.groupId}`);
    this.members.delete(oldMemberId);
    this.maybeInvokeJoinCallback(member, joinError(oldMemberId, fenced));
    this.maybeInvokeSyncCallback(member, syncError(fenced));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    // The restarted member owes the SyncGroup its old incarnation owed (Kafka keeps the old
    // id pending, which only costs a needless rebalance when the sync deadline passes).
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  currentStaticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }
  addPendingMember(memberId: string): void {
    if (this.has(memberId)) throw new Error(`pending member ${memberId} is already a member of group ${this.groupId}`);
    this.pendingMembers.add(memberId);
  }

  addPendingSyncMember(memberId: string): void {
    if (!this.has(memberId)) throw new Error(`member ${memberId} is not in group ${this.groupId}`);
    this.pendingSyncMembers.add(memberId);
  }
  removePendingSyncMember(memberId: string): void {
    if (!this.has(memberId)) throw new Error(`member ${memberId} is not in group ${this.groupId}`);
    this.pendingSyncMembers.delete(memberId);
  }
  get hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }
  get allPendingSyncMembers(): string[] {
    return [...this.pendingSyncMembers];
  }
  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  /** New protocols, timeouts and (re)parked JoinGroup for an existing member. */
  updateMember(member: GroupMember, protocols: MemberProtocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, callback: ((r: JoinGroupResult) => void) | null): void {
    this.decSupportedProtocols(member);
    member.supportedProtocols = protocols;
    this.incSupportedProtocols(member);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (callback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = callback;
  }

  maybeInvokeJoinCallback(member: GroupMember, result: JoinGroupResult): void {
    const cb = member.awaitingJoin;
    if (!cb) return;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    cb(result);
  }

  /** True if the member was parked in SyncGroup and has now been answered. */
  maybeInvokeSyncCallback(member: GroupMember, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (!cb) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  /** Starts the next generation: CompletingRebalance with a selected protocol, or Empty. */
  initNextGeneration(cause: string): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.CompletingRebalance, cause);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo(GroupState.Empty, cause);
    }
    this.clearPendingSyncMembers();
  }

  /**
   * Kafka's rule: among the protocols every member supports, each member votes for its most
   * preferred one and the protocol with most votes wins. Kafka leaves ties to hash order;
   * here the protocol voted first (in member order) wins a tie.
   */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const p = m.vote(candidates);
      votes.set(p, (votes.get(p) ?? 0) + 1);
    }
    let best = "";
    let bestVotes = -1;
    for (const [p, n] of votes) {
      if (n > bestVotes) {
        best = p;
        bestVotes = n;
      }
    }
    return best;
  }

  /** Whether a member with these protocols could join (an Empty group takes any non-empty set). */
  supportsProtocols(memberProtocolType: string, memberProtocols: ReadonlySet<string>): boolean {
    if (this.is(GroupState.Empty)) return memberProtocolType !== "" && memberProtocols.size > 0;
    if (this.protocolType !== memberProtocolType) return false;
    for (const p of memberProtocols) if ((this.supportedProtocols.get(p) ?? 0) === this.members.size) return true;
    return false;
  }

  /** The members' metadata for the selected protocol, as the leader receives it. */
  currentMemberMetadata(): { memberId: string; groupInstanceId: string | null; metadata: Buffer }[] {
    if (this.is(GroupState.Dead) || this.is(GroupState.PreparingRebalance) || this.protocolName === null) {
      throw new Error(`cannot list member metadata of group ${this.groupId} in state ${this.state}`);
    }
    const protocol = this.protocolName;
    return this.allMembers.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(protocol) }));
  }

  /**
   * Whether the group consumes the topic (OffsetDelete refuses to delete such offsets). When
   * the subscriptions are unknown (unparseable, not a consumer group), assume it does.
   */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null ? true : this.subscribedTopics.has(topic);
  }
  get subscribedTopicsOrNull(): ReadonlySet<string> | null {
    return this.subscribedTopics;
  }
  private refreshSubscribedTopics(): void {
    this.subscribedTopics = this.computeSubscribedTopics();
  }

  private computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        // Every version of the consumer protocol starts with version 0's fields, so the
        // coordinator reads v0 whatever version the member wrote.
        const r = new Reader(m.metadata(this.protocolName));
        r.int16();
        for (const t of decodeConsumerProtocolSubscription(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  private candidateProtocols(): Set<string> {
    const out = new Set<string>();
    for (const [p, n] of this.supportedProtocols) if (n === this.members.size) out.add(p);
    return out;
  }
  private incSupportedProtocols(member: GroupMember): void {
    for (const p of member.supportedProtocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
  }
  private decSupportedProtocols(member: GroupMember): void {
    for (const p of member.supportedProtocols) {
      const n = (this.supportedProtocols.get(p.name) ?? 0) - 1;
      if (n <= 0) this.supportedProtocols.delete(p.name);
      else this.supportedProtocols.set(p.name, n);
    }
  }
}
