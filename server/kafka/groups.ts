import { AssignerProtocol } from "kafkajs";
import { ApiKey } from "../../broker/protocol/generated/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import type { ClusterConnection } from "./cluster.ts";
import { ClusterError, fromKafkaJs, kafkaErrorName } from "./errors.ts";

/** Kafka's classic group states, in the order the diagram draws them. */
export const GROUP_STATES = ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"] as const;

export interface GroupListing {
  groupId: string;
  protocolType: string;
  /** From ListGroups v4+; "" from older brokers. */
  state: string;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  /** topic → partitions, for consumer groups; null when the assignment is not a consumer's. */
  assignment: Record<string, number[]> | null;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
  errorCode: number;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  committed: string | null;
  logEnd: string | null;
  lag: number | null;
  memberId: string | null;
}

export interface GroupsPage {
  rows: GroupListing[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
}

/** Reads and changes consumer groups through one cluster connection. */
export class GroupsClient {
  private cached: { at: number; groups: GroupListing[] } | null = null;
  private inflight: Promise<GroupListing[]> | null = null;

  constructor(private readonly conn: ClusterConnection) {}

  /** Every group on every broker (ListGroups, with states from v4), cached for two seconds. */
  async list(maxAgeMs = 2000): Promise<GroupListing[]> {
    if (this.cached && Date.now() - this.cached.at <= maxAgeMs) return this.cached.groups;
    this.inflight ??= this.fetchList().finally(() => (this.inflight = null));
    return this.inflight;
  }

  invalidate(): void {
    this.cached = null;
  }

  private async fetchList(): Promise<GroupListing[]> {
    const snap = await this.conn.snapshot();
    const all = new Map<string, GroupListing>();
    await Promise.all(
      snap.brokers.map(async (b) => {
        const c = await this.conn.wireTo(b.nodeId);
        const v = c.version(ApiKey.ListGroups, 0, 4);
        const r = await c.request(ApiKey.ListGroups, v, { statesFilter: [] });
        if (r.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(r.errorCode), `ListGroups on broker ${b.nodeId}: ${kafkaErrorName(r.errorCode)}`);
        for (const g of r.groups) all.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: v >= 4 ? g.groupState : "" });
      }),
    );
    const groups = [...all.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    this.cached = { at: Date.now(), groups };
    return groups;
  }

  async page(opts: { query?: string; page?: number; pageSize?: number }): Promise<GroupsPage> {
    const groups = await this.list();
    const q = opts.query?.trim().toLowerCase() ?? "";
    const matches = q ? groups.filter((g) => g.groupId.toLowerCase().includes(q)) : groups;
    const pageSize = Math.min(Math.max(opts.pageSize ?? 50, 1), 500);
    const pages = Math.max(1, Math.ceil(matches.length / pageSize));
    const page = Math.min(Math.max(opts.page ?? 1, 1), pages);
    return { rows: matches.slice((page - 1) * pageSize, page * pageSize), total: matches.length, page, pages, pageSize };
  }

  async describe(groupIds: string[]): Promise<GroupDescription[]> {
    if (groupIds.length === 0) return [];
    try {
      const admin = await this.conn.adminClient();
      const r = await admin.describeGroups(groupIds);
      return r.groups.map((g) => ({
        groupId: g.groupId,
        state: g.state,
        protocolType: g.protocolType,
        protocol: g.protocol,
        errorCode: (g as { errorCode?: number }).errorCode ?? 0,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: decodeAssignment(g.protocolType, m.memberAssignment),
        })),
      }));
    } catch (err) {
      throw fromKafkaJs(err);
    }
  }

  /** Committed offsets with the partitions' log end offsets and the lag, per partition. */
  async offsets(group: GroupDescription, endsCache: Map<string, Promise<Map<number, { low: string; high: string }>>> = new Map()): Promise<GroupOffset[]> {
    let committed;
    try {
      const admin = await this.conn.adminClient();
      committed = await admin.fetchOffsets({ groupId: group.groupId });
    } catch (err) {
      throw fromKafkaJs(err);
    }
    const owner = new Map<string, string>();
    for (const m of group.members) for (const [t, ps] of Object.entries(m.assignment ?? {})) for (const p of ps) owner.set(`${t}:${p}`, m.memberId);
    const topics = new Set([...committed.map((t) => t.topic), ...[...owner.keys()].map((k) => k.slice(0, k.lastIndexOf(":")))]);
    const ends = new Map<string, Map<number, { low: string; high: string }>>();
    await Promise.all(
      [...topics].map(async (t) => {
        if (!endsCache.has(t)) endsCache.set(t, this.conn.offsets(t).catch(() => new Map()));
        ends.set(t, await endsCache.get(t)!);
      }),
    );
    const rows: GroupOffset[] = [];
    const seen = new Set<string>();
    for (const t of committed) {
      for (const p of t.partitions) {
        const offset = Number(p.offset) >= 0 ? p.offset : null;
        const end = ends.get(t.topic)?.get(p.partition)?.high ?? null;
        seen.add(`${t.topic}:${p.partition}`);
        if (offset === null && !owner.has(`${t.topic}:${p.partition}`)) continue;
        rows.push({ topic: t.topic, partition: p.partition, committed: offset, logEnd: end, lag: offset !== null && end !== null ? Math.max(0, Number(end) - Number(offset)) : null, memberId: owner.get(`${t.topic}:${p.partition}`) ?? null });
      }
    }
    for (const [key, memberId] of owner) {
      if (seen.has(key)) continue;
      const at = key.lastIndexOf(":");
      const topic = key.slice(0, at);
      const partition = Number(key.slice(at + 1));
      rows.push({ topic, partition, committed: null, logEnd: ends.get(topic)?.get(partition)?.high ?? null, lag: null, memberId });
    }
    return rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /**
   * Moves a group's committed offsets for a topic, as `kafka-consumer-groups --reset-offsets`
   * does: an OffsetCommit with no member and generation -1 to the group's coordinator, which
   * Kafka accepts only while the group is Empty.
   */
  async resetOffsets(groupId: string, topic: string, to: { kind: "earliest" | "latest" } | { kind: "offset"; offset: bigint } | { kind: "timestamp"; timestamp: number }): Promise<{ partition: number; offset: string }[]> {
    const [g] = await this.describe([groupId]);
    if (g && g.state !== "Empty" && g.state !== "Dead") throw notEmpty("reset the offsets of", g);
    const snap = await this.conn.snapshot();
    const t = snap.byName.get(topic);
    if (!t) throw new ClusterError("UNKNOWN_TOPIC_OR_PARTITION", `Topic ${topic} does not exist`, "topic");
    const ends = await this.conn.offsets(topic);
    const byTime = to.kind === "timestamp" ? await this.conn.offsetsForTimestamp(topic, to.timestamp) : null;
    const targets = t.partitions.map((p) => {
      const e = ends.get(p.partition) ?? { low: "0", high: "0" };
      let o: bigint;
      if (to.kind === "earliest") o = BigInt(e.low);
      else if (to.kind === "latest") o = BigInt(e.high);
      else if (to.kind === "offset") o = to.offset;
      else o = BigInt(byTime?.get(p.partition) ?? e.high);
      if (o < BigInt(e.low)) o = BigInt(e.low);
      if (o > BigInt(e.high)) o = BigInt(e.high);
      return { partition: p.partition, offset: o };
    });
    const coordinator = await this.coordinator(groupId);
    const v = coordinator.version(ApiKey.OffsetCommit, 2, 8);
    const r = await coordinator.request(ApiKey.OffsetCommit, v, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [{ name: topic, partitions: targets.map((x) => ({ partitionIndex: x.partition, committedOffset: x.offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: "" })) }],
    });
    for (const rt of r.topics) {
      for (const p of rt.partitions) {
        if (p.errorCode === ErrorCode.NONE) continue;
        if (p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || p.errorCode === ErrorCode.ILLEGAL_GENERATION) {
          throw new ClusterError(kafkaErrorName(p.errorCode), `${kafkaErrorName(p.errorCode)}: the group has members again. Kafka changes a group's offsets only while it is Empty; stop its consumers first.`);
        }
        throw new ClusterError(kafkaErrorName(p.errorCode), `OffsetCommit for ${rt.name}-${p.partitionIndex}: ${kafkaErrorName(p.errorCode)}`);
      }
    }
    return targets.map((x) => ({ partition: x.partition, offset: x.offset.toString() }));
  }

  /** DeleteGroups: Kafka deletes only Empty groups (NON_EMPTY_GROUP otherwise). */
  async delete(groupId: string): Promise<void> {
    const [g] = await this.describe([groupId]);
    if (g && g.state !== "Empty" && g.state !== "Dead") throw notEmpty("delete", g);
    try {
      const admin = await this.conn.adminClient();
      await admin.deleteGroups([groupId]);
    } catch (err) {
      const e = fromKafkaJs(err);
      if (e.code === "NON_EMPTY_GROUP") throw new ClusterError(e.code, `NON_EMPTY_GROUP: Kafka deletes a group only when it is Empty; it has members again. Stop its consumers first.`);
      throw e;
    } finally {
      this.invalidate();
    }
  }

  private async coordinator(groupId: string) {
    const r = await this.conn.withAnyWire(async (c) => {
      const v = c.version(ApiKey.FindCoordinator, 1, 3);
      return c.request(ApiKey.FindCoordinator, v, { key: groupId, keyType: 0 });
    });
    if (r.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(r.errorCode), `FindCoordinator for ${groupId}: ${r.errorMessage ?? kafkaErrorName(r.errorCode)}`);
    return this.conn.wire(`${r.host}:${r.port}`);
  }
}

function notEmpty(what: string, g: GroupDescription): ClusterError {
  return new ClusterError(
    "NON_EMPTY_GROUP",
    `Kafka can ${what} a group only when it is Empty (no members). ${g.groupId} is ${g.state} with ${g.members.length} member${g.members.length === 1 ? "" : "s"}: stop its consumers first.`,
  );
}

function decodeAssignment(protocolType: string, bytes: Buffer): Record<string, number[]> | null {
  if (protocolType !== "consumer" || !bytes || bytes.length === 0) return protocolType === "consumer" ? {} : null;
  try {
    return AssignerProtocol.MemberAssignment.decode(bytes)?.assignment ?? {};
  } catch {
    return null;
  }
}
