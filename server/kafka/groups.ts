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

/** A group consuming one topic, as the topic's page lists it. */
export interface TopicConsumer {
  groupId: string;
  state: string;
  /** Members assigned partitions of the topic. */
  members: number;
  /** Partitions of the topic with a committed offset. */
  committedPartitions: number;
  /** Total lag on the topic; null when no partition's lag is known. */
  lag: number | null;
}

type CommittedOffsets = { topic: string; partition: number; offset: bigint | null }[];

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

  /**
   * Every group on every broker (ListGroups, with states from v4). A list younger than
   * maxAgeMs is returned as is; one younger than 10 s is returned at once while a fresh one is
   * read in the background (as the metadata snapshot is); list(0) always asks the cluster. The
   * runtime invalidates the list whenever a group changes state.
   */
  async list(maxAgeMs = 2000): Promise<GroupListing[]> {
    const age = this.cached ? Date.now() - this.cached.at : Infinity;
    if (this.cached && age <= maxAgeMs) return this.cached.groups;
    const generation = this.generation;
    this.inflight ??= this.fetchList(generation).finally(() => (this.inflight = null));
    if (this.cached && maxAgeMs > 0 && age <= 10_000) {
      this.inflight.catch(() => {}); // the next caller sees the failure
      return this.cached.groups;
    }
    return this.inflight;
  }

  /** Forgets the cached list (after a mutation), so the next read asks the cluster. */
  invalidate(): void {
    this.cached = null;
    this.inflight = null;
    this.generation++;
  }

  private generation = 0;

  private async fetchList(generation: number): Promise<GroupListing[]> {
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
    if (generation === this.generation) this.cached = { at: Date.now(), groups };
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

  /**
   * DescribeGroups for many groups at once: their coordinators found with one batched
   * FindCoordinator (v4+), then one DescribeGroups per coordinator. A group whose coordinator
   * moved (NOT_COORDINATOR) is looked up again once.
   */
  async describe(groupIds: string[]): Promise<GroupDescription[]> {
    if (groupIds.length === 0) return [];
    const out = new Map<string, GroupDescription>();
    let pending = [...new Set(groupIds)];
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      const retry: string[] = [];
      const byCoordinator = await this.byCoordinator(pending, out);
      await Promise.all(
        [...byCoordinator].map(async ([address, ids]) => {
          const c = await this.conn.wire(address);
          const v = c.version(ApiKey.DescribeGroups, 0, 5);
          const r = await c.request(ApiKey.DescribeGroups, v, { groups: ids, includeAuthorizedOperations: false });
          for (const g of r.groups) {
            if (isCoordinatorMoved(g.errorCode) && attempt === 0) {
              this.coordinatorCache.delete(g.groupId);
              retry.push(g.groupId);
              continue;
            }
            out.set(g.groupId, {
              groupId: g.groupId,
              state: g.errorCode === ErrorCode.NONE ? g.groupState : "",
              protocolType: g.protocolType,
              protocol: g.protocolData,
              errorCode: g.errorCode,
              members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment: decodeAssignment(g.protocolType, m.memberAssignment) })),
            });
          }
        }),
      );
      pending = retry;
    }
    return groupIds.map((id) => out.get(id) ?? failed(id, ErrorCode.NOT_COORDINATOR));
  }

  /** Committed offsets, log end offsets and lag, per partition, for one group. */
  async offsets(group: GroupDescription): Promise<GroupOffset[]> {
    return (await this.lag([group])).get(group.groupId) ?? [];
  }

  /**
   * Committed offsets with the partitions' log end offsets and the lag, for several groups at
   * once (a page of them): one OffsetFetch per coordinator (v8+ takes many groups; older
   * brokers get one request per group) and one ListOffsets per partition leader for every
   * partition involved. Partitions a member is assigned without a commit are listed too. A
   * group whose offsets cannot be read is left out (for a single group, the error is thrown).
   */
  async lag(groups: GroupDescription[]): Promise<Map<string, GroupOffset[]>> {
    return this.lagFrom(groups, await this.committed(groups.map((g) => g.groupId)));
  }

  /**
   * The groups consuming a topic, found as Kafka's tools would: every group's committed
   * offsets (OffsetFetch, batched per coordinator) and the assignments of the groups that are
   * not Empty. A group counts when it has a commit on the topic or a member assigned one of
   * its partitions; each comes with its lag on this topic.
   */
  async consumersOf(topic: string): Promise<TopicConsumer[]> {
    const listed = await this.list();
    const committed = await this.committed(listed.map((g) => g.groupId));
    const described = new Map((await this.describe(listed.filter((g) => g.state !== "Empty").map((g) => g.groupId))).map((d) => [d.groupId, d]));
    const involved: GroupDescription[] = [];
    for (const g of listed) {
      const c = committed.get(g.groupId);
      const d = described.get(g.groupId);
      const commits = !(c instanceof ClusterError) && (c ?? []).some((x) => x.topic === topic && x.offset !== null);
      const assigned = d?.members.some((m) => (m.assignment?.[topic]?.length ?? 0) > 0) ?? false;
      if (commits || assigned) involved.push(d && d.errorCode === ErrorCode.NONE ? d : { groupId: g.groupId, state: g.state, protocolType: g.protocolType, protocol: "", members: [], errorCode: ErrorCode.NONE });
    }
    const offsets = await this.lagFrom(involved, committed);
    return involved.map((g) => {
      const rows = (offsets.get(g.groupId) ?? []).filter((r) => r.topic === topic);
      const lags = rows.map((r) => r.lag).filter((l): l is number => l !== null);
      return {
        groupId: g.groupId,
        state: g.state,
        members: g.members.filter((m) => (m.assignment?.[topic]?.length ?? 0) > 0).length,
        committedPartitions: rows.filter((r) => r.committed !== null).length,
        lag: lags.length > 0 ? lags.reduce((a, b) => a + b, 0) : null,
      };
    });
  }

  private async lagFrom(groups: GroupDescription[], fetched: Map<string, CommittedOffsets | ClusterError>): Promise<Map<string, GroupOffset[]>> {
    const committed = new Map<string, CommittedOffsets>();
    for (const g of groups) {
      const rows = fetched.get(g.groupId);
      if (rows instanceof ClusterError) {
        if (groups.length === 1) throw rows;
      } else if (rows) committed.set(g.groupId, rows);
    }
    const wanted: { topic: string; partition: number }[] = [];
    const owners = new Map<string, Map<string, string>>();
    for (const g of groups) {
      const owner = new Map<string, string>();
      for (const m of g.members) for (const [t, ps] of Object.entries(m.assignment ?? {})) for (const p of ps) owner.set(`${t}:${p}`, m.memberId);
      owners.set(g.groupId, owner);
      for (const c of committed.get(g.groupId) ?? []) wanted.push({ topic: c.topic, partition: c.partition });
      for (const k of owner.keys()) wanted.push({ topic: k.slice(0, k.lastIndexOf(":")), partition: Number(k.slice(k.lastIndexOf(":") + 1)) });
    }
    const ends = await this.conn.latestOffsets(wanted).catch(() => new Map<string, bigint>());
    const out = new Map<string, GroupOffset[]>();
    for (const g of groups) {
      if (!committed.has(g.groupId)) continue;
      const owner = owners.get(g.groupId)!;
      const rows: GroupOffset[] = [];
      const seen = new Set<string>();
      for (const c of committed.get(g.groupId) ?? []) {
        const key = `${c.topic}:${c.partition}`;
        seen.add(key);
        if (c.offset === null && !owner.has(key)) continue;
        const end = ends.get(key);
        rows.push({
          topic: c.topic,
          partition: c.partition,
          committed: c.offset === null ? null : c.offset.toString(),
          logEnd: end === undefined ? null : end.toString(),
          lag: c.offset !== null && end !== undefined ? Math.max(0, Number(end - c.offset)) : null,
          memberId: owner.get(key) ?? null,
        });
      }
      for (const [key, memberId] of owner) {
        if (seen.has(key)) continue;
        const at = key.lastIndexOf(":");
        const end = ends.get(key);
        rows.push({ topic: key.slice(0, at), partition: Number(key.slice(at + 1)), committed: null, logEnd: end === undefined ? null : end.toString(), lag: null, memberId });
      }
      out.set(g.groupId, rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)));
    }
    return out;
  }

  /** Every committed offset of each group (OffsetFetch for all topics). */
  private async committed(groupIds: string[]): Promise<Map<string, CommittedOffsets | ClusterError>> {
    const out = new Map<string, CommittedOffsets | ClusterError>();
    if (groupIds.length === 0) return out;
    const byCoordinator = await this.byCoordinator(groupIds, null);
    await Promise.all(
      [...byCoordinator].map(async ([address, ids]) => {
        const c = await this.conn.wire(address);
        const v = c.version(ApiKey.OffsetFetch, 2, 9);
        const take = (groupId: string, errorCode: number, topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; errorCode: number }[] }[]) => {
          if (errorCode !== ErrorCode.NONE) {
            if (isCoordinatorMoved(errorCode)) this.coordinatorCache.delete(groupId);
            out.set(groupId, new ClusterError(kafkaErrorName(errorCode), `OffsetFetch for ${groupId}: ${kafkaErrorName(errorCode)}`));
            return;
          }
          out.set(
            groupId,
            topics.flatMap((t) => t.partitions.filter((p) => p.errorCode === ErrorCode.NONE).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset >= 0n ? p.committedOffset : null }))),
          );
        };
        if (v >= 8) {
          const r = await c.request(ApiKey.OffsetFetch, v, { groups: ids.map((groupId) => ({ groupId, memberId: null, memberEpoch: -1, topics: null })), requireStable: false });
          for (const g of r.groups) take(g.groupId, g.errorCode, g.topics);
        } else {
          await Promise.all(
            ids.map(async (groupId) => {
              const r = await c.request(ApiKey.OffsetFetch, v, { groupId, topics: null, requireStable: false });
              take(groupId, r.errorCode, r.topics);
            }),
          );
        }
      }),
    );
    return out;
  }

  private readonly coordinatorCache = new Map<string, { address: string; at: number }>();

  /**
   * The groups by the address of their coordinator: cached for a minute (dropped when a
   * coordinator says it no longer is one), otherwise one batched FindCoordinator (v4+) or one
   * per group on older brokers. Groups whose coordinator cannot be found go to `failures`
   * when given, else fail the call.
   */
  private async byCoordinator(groupIds: string[], failures: Map<string, GroupDescription> | null): Promise<Map<string, string[]>> {
    const now = Date.now();
    const missing = groupIds.filter((g) => {
      const c = this.coordinatorCache.get(g);
      return !c || now - c.at > 60_000;
    });
    if (missing.length > 0) {
      const found = await this.conn.withAnyWire(async (c) => {
        const v = c.version(ApiKey.FindCoordinator, 1, 6);
        const res: { key: string; errorCode: number; errorMessage: string | null; host: string; port: number }[] = [];
        if (v >= 4) {
          for (let i = 0; i < missing.length; i += 1000) {
            const r = await c.request(ApiKey.FindCoordinator, v, { keyType: 0, coordinatorKeys: missing.slice(i, i + 1000) });
            res.push(...r.coordinators);
          }
        } else {
          await Promise.all(
            missing.map(async (key) => {
              const r = await c.request(ApiKey.FindCoordinator, v, { key, keyType: 0 });
              res.push({ key, errorCode: r.errorCode, errorMessage: r.errorMessage, host: r.host, port: r.port });
            }),
          );
        }
        return res;
      });
      for (const f of found) {
        if (f.errorCode === ErrorCode.NONE) {
          this.coordinatorCache.set(f.key, { address: `${f.host}:${f.port}`, at: now });
          continue;
        }
        if (!failures) throw new ClusterError(kafkaErrorName(f.errorCode), `FindCoordinator for ${f.key}: ${f.errorMessage ?? kafkaErrorName(f.errorCode)}`);
        failures.set(f.key, failed(f.key, f.errorCode));
      }
    }
    const out = new Map<string, string[]>();
    for (const g of groupIds) {
      const c = this.coordinatorCache.get(g);
      if (!c) continue;
      out.set(c.address, [...(out.get(c.address) ?? []), g]);
    }
    return out;
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
    this.invalidate(); // a reset may have created the group
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
    this.coordinatorCache.delete(groupId); // a mutation asks afresh
    const [address] = [...(await this.byCoordinator([groupId], null)).keys()];
    if (!address) throw new ClusterError("COORDINATOR_NOT_AVAILABLE", `No coordinator for ${groupId}`);
    return this.conn.wire(address);
  }
}

function isCoordinatorMoved(code: number): boolean {
  return code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

function failed(groupId: string, errorCode: number): GroupDescription {
  return { groupId, state: "", protocolType: "", protocol: "", members: [], errorCode };
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
