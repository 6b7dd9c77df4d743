import type { MetadataResponse } from "../../broker/protocol/generated/message/MetadataResponse.ts";
import type { ObservedEvent } from "./events.ts";

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  internal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
  replicationFactor: number;
  /** Partitions whose ISR is smaller than their replica set. */
  underReplicated: number;
  /** Partitions without a leader. */
  offline: number;
  /**
   * The topic's effective min.insync.replicas, read (DescribeConfigs) only for topics with an
   * under-replicated partition, since a full ISR is never below it; null when not read.
   */
  minIsr: number | null;
  /** Partitions with a leader whose ISR is below min(min.insync.replicas, replicas), as Kafka's UnderMinIsr counts them. */
  underMinIsr: number;
}

/** One Metadata answer, indexed for the pages: topics sorted by name, and totals. */
export interface ClusterSnapshot {
  takenAt: number;
  clusterId: string | null;
  /** The active controller: the metadata quorum's leader when the cluster tells it (DescribeQuorum), else Metadata's controllerId. */
  controllerId: number;
  brokers: BrokerInfo[];
  /**
   * Brokers that hold replicas but are missing from the metadata: stopped, crashed or fenced.
   * Kafka lists only live brokers, so the replica lists are where a lost broker still shows.
   */
  offlineBrokers: number[];
  topics: TopicInfo[];
  byName: Map<string, TopicInfo>;
  /** underMinIsr is null when the under-replicated topics' min.insync.replicas could not be read. */
  totals: { topics: number; partitions: number; underReplicated: number; underMinIsr: number | null; offline: number };
}

export function buildSnapshot(m: MetadataResponse, takenAt = Date.now()): ClusterSnapshot {
  const topics: TopicInfo[] = [];
  let partitions = 0;
  let underReplicated = 0;
  let offline = 0;
  for (const t of m.topics) {
    if (t.name === null) continue;
    const parts: PartitionInfo[] = t.partitions
      .map((p) => ({
        partition: p.partitionIndex,
        leader: p.leaderId,
        leaderEpoch: p.leaderEpoch,
        replicas: p.replicaNodes,
        isr: p.isrNodes,
        offlineReplicas: p.offlineReplicas,
        errorCode: p.errorCode,
      }))
      .sort((a, b) => a.partition - b.partition);
    const ur = parts.filter((p) => p.isr.length < p.replicas.length).length;
    const off = parts.filter((p) => p.leader < 0).length;
    partitions += parts.length;
    underReplicated += ur;
    offline += off;
    topics.push({
      name: t.name,
      topicId: t.topicId,
      internal: t.isInternal || t.name.startsWith("__"),
      errorCode: t.errorCode,
      partitions: parts,
      replicationFactor: parts.reduce((n, p) => Math.max(n, p.replicas.length), 0),
      underReplicated: ur,
      offline: off,
      minIsr: null,
      underMinIsr: 0,
    });
  }
  topics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const live = new Set(m.brokers.map((b) => b.nodeId));
  const offlineBrokers = new Set<number>();
  for (const t of topics) for (const p of t.partitions) for (const r of p.replicas) if (!live.has(r)) offlineBrokers.add(r);
  return {
    takenAt,
    clusterId: m.clusterId,
    controllerId: m.controllerId,
    brokers: m.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
    offlineBrokers: [...offlineBrokers].sort((a, b) => a - b),
    topics,
    byName: new Map(topics.map((t) => [t.name, t])),
    totals: { topics: topics.length, partitions, underReplicated, underMinIsr: underReplicated === 0 ? 0 : null, offline },
  };
}

export interface TopicPage {
  rows: TopicInfo[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
}

/** Server-side search and paging over the snapshot's sorted topics. */
export function pageTopics(s: ClusterSnapshot, opts: { query?: string; page?: number; pageSize?: number; includeInternal?: boolean }): TopicPage {
  const q = opts.query?.trim().toLowerCase() ?? "";
  const includeInternal = opts.includeInternal ?? true;
  const matches = q === "" && includeInternal ? s.topics : s.topics.filter((t) => (includeInternal || !t.internal) && (q === "" || t.name.toLowerCase().includes(q)));
  const pageSize = Math.min(Math.max(opts.pageSize ?? 50, 1), 500);
  const pages = Math.max(1, Math.ceil(matches.length / pageSize));
  const page = Math.min(Math.max(opts.page ?? 1, 1), pages);
  return { rows: matches.slice((page - 1) * pageSize, page * pageSize), total: matches.length, page, pageSize, pages };
}

type Derived = Omit<ObservedEvent, "seq">;

/**
 * The state changes between two snapshots, for clusters that do not publish
 * `__state_changes`: partitions appearing and disappearing (topic created or deleted),
 * leaders lost and elected, ISR shrinking and expanding, brokers joining and leaving, the
 * controller moving. States use Kafka's names.
 */
export function diffSnapshots(prev: ClusterSnapshot, next: ClusterSnapshot): Derived[] {
  const at = next.takenAt;
  const out: Derived[] = [];
  const ev = (machine: string, subject: string, from: string, to: string, cause: string, details: Record<string, unknown>, epoch = 0): Derived => ({
    machine,
    subject,
    from,
    to,
    cause,
    details,
    node: next.controllerId,
    epoch,
    at,
    offset: null,
    source: "derived",
  });
  const state = (p: PartitionInfo) => (p.leader >= 0 ? "OnlinePartition" : "OfflinePartition");
  const prevIds = new Set(prev.brokers.map((b) => b.nodeId));
  const nextIds = new Set(next.brokers.map((b) => b.nodeId));
  for (const b of next.brokers) if (!prevIds.has(b.nodeId)) out.push(ev("broker", String(b.nodeId), "Offline", "Online", `broker ${b.nodeId} appeared in metadata (${b.host}:${b.port})`, { host: b.host, port: b.port }));
  for (const b of prev.brokers) if (!nextIds.has(b.nodeId)) out.push(ev("broker", String(b.nodeId), "Online", "Offline", `broker ${b.nodeId} is missing from metadata`, {}));
  if (prev.controllerId !== next.controllerId) {
    out.push(ev("controller", "controller", String(prev.controllerId), String(next.controllerId), `controller moved from ${prev.controllerId} to ${next.controllerId}`, {}));
  }
  for (const t of next.topics) {
    const before = prev.byName.get(t.name);
    const recreated = before !== undefined && before.topicId !== t.topicId;
    for (const p of t.partitions) {
      const subject = `${t.name}-${p.partition}`;
      const details = { leader: p.leader, isr: p.isr, replicas: p.replicas, leaderEpoch: p.leaderEpoch };
      const old = recreated ? undefined : before?.partitions.find((q) => q.partition === p.partition);
      if (!old) {
        out.push(ev("partition", subject, "NonExistentPartition", state(p), before && !recreated ? `partition added to ${t.name}` : `topic ${t.name} created`, details, p.leaderEpoch));
        continue;
      }
      if (old.leader !== p.leader) {
        const cause = p.leader < 0 ? `leader ${old.leader} lost, no replica in ISR can lead` : old.leader < 0 ? `leader ${p.leader} elected` : `leader moved from ${old.leader} to ${p.leader}`;
        out.push(ev("partition", subject, state(old), state(p), cause, details, p.leaderEpoch));
      } else if (!sameSet(old.isr, p.isr)) {
        const cause = p.isr.length < old.isr.length ? `ISR shrank from [${old.isr}] to [${p.isr}]` : `ISR changed from [${old.isr}] to [${p.isr}]`;
        out.push(ev("partition", subject, state(old), state(p), cause, details, p.leaderEpoch));
      }
    }
  }
  for (const t of prev.topics) {
    const after = next.byName.get(t.name);
    const gone = after === undefined || after.topicId !== t.topicId;
    for (const p of t.partitions) {
      if (!gone && after!.partitions.some((q) => q.partition === p.partition)) continue;
      out.push(ev("partition", `${t.name}-${p.partition}`, state(p), "NonExistentPartition", `topic ${t.name} deleted`, { replicas: p.replicas }, p.leaderEpoch));
    }
  }
  return out;
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}
