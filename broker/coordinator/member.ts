/** One protocol a member supports, with its protocol-specific metadata (e.g. a subscription). */
export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

/** What a parked JoinGroup is answered with (Kafka's JoinGroupResult). */
export interface JoinGroupResult {
  error: number;
  memberId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string;
  skipAssignment: boolean;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

/** What a parked SyncGroup is answered with. */
export interface SyncGroupResult {
  error: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const NO_GENERATION = -1;
export const UNKNOWN_MEMBER_ID = "";
const EMPTY = Buffer.alloc(0);

export function joinError(memberId: string, error: number): JoinGroupResult {
  return { error, memberId, generationId: NO_GENERATION, protocolType: null, protocolName: null, leaderId: "", skipAssignment: false, members: [] };
}

export function syncError(error: number): SyncGroupResult {
  return { error, protocolType: null, protocolName: null, assignment: EMPTY };
}

/**
 * A member of a classic group (Kafka's MemberMetadata): its protocols and timeouts, the
 * assignment of the current generation, and the JoinGroup/SyncGroup request it has parked
 * while the group rebalances.
 */
export class GroupMember {
  assignment: Buffer = EMPTY;
  awaitingJoin: ((r: JoinGroupResult) => void) | null = null;
  awaitingSync: ((r: SyncGroupResult) => void) | null = null;
  /** A member that has never completed a join; its JoinGroup times out (Kafka's isNew). */
  isNew = false;
  /** The session (or new-member join) expiration timer; the coordinator owns it. */
  cancelExpiration: (() => void) | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: MemberProtocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }
  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }
  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /**
   * Whether the member counts as alive when its session timer fires: members parked in a
   * JoinGroup or SyncGroup are (they cannot heartbeat), unless they never joined before.
   */
  get hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.isAwaitingJoin || this.isAwaitingSync;
  }

  metadata(protocol: string): Buffer {
    const p = this.supportedProtocols.find((x) => x.name === protocol);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** Same protocols, in the same order, with byte-identical metadata. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    return protocols.every((p, i) => p.name === this.supportedProtocols[i]!.name && p.metadata.equals(this.supportedProtocols[i]!.metadata));
  }

  /** The member's preferred protocol among the candidates (its list is in preference order). */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.supportedProtocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return p.name;
  }
}
