import type { ClusterSnapshot } from "./snapshot.ts";

/** One replica a broker hosts, as the metadata shows it. */
export interface BrokerPartition {
  topic: string;
  partition: number;
  /** "leader": this broker leads it; "follower": it holds a replica led elsewhere (or by no one). */
  role: "leader" | "follower";
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** Whether this broker's replica is in the ISR. */
  inIsr: boolean;
  /** Whether the metadata lists this broker's replica as offline. */
  offline: boolean;
  internal: boolean;
}

export interface BrokerPartitions {
  led: number;
  followed: number;
  /** Replicas of this broker that are not in their partition's ISR. */
  outOfSync: number;
  offline: number;
  rows: BrokerPartition[];
}

/** The partitions a broker leads and the ones it follows, from the metadata snapshot. */
export function brokerPartitions(s: ClusterSnapshot, nodeId: number): BrokerPartitions {
  const rows: BrokerPartition[] = [];
  let led = 0;
  let followed = 0;
  let outOfSync = 0;
  let offline = 0;
  for (const t of s.topics) {
    for (const p of t.partitions) {
      if (!p.replicas.includes(nodeId) && p.leader !== nodeId) continue;
      const role = p.leader === nodeId ? "leader" : "follower";
      const inIsr = p.isr.includes(nodeId);
      const off = p.offlineReplicas.includes(nodeId);
      if (role === "leader") led++;
      else followed++;
      if (!inIsr) outOfSync++;
      if (off) offline++;
      rows.push({ topic: t.name, partition: p.partition, role, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, inIsr, offline: off, internal: t.internal });
    }
  }
  return { led, followed, outOfSync, offline, rows };
}

export interface BrokerPartitionPage {
  rows: BrokerPartition[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
}

/** Server-side filter (role, topic text) and paging of a broker's partitions. */
export function pageBrokerPartitions(
  all: readonly BrokerPartition[],
  opts: { role?: "leader" | "follower" | "all"; query?: string; page?: number; pageSize?: number },
): BrokerPartitionPage {
  const q = opts.query?.trim().toLowerCase() ?? "";
  const role = opts.role ?? "all";
  const matches = role === "all" && q === "" ? all : all.filter((p) => (role === "all" || p.role === role) && (q === "" || p.topic.toLowerCase().includes(q)));
  const pageSize = Math.min(Math.max(opts.pageSize ?? 50, 1), 500);
  const pages = Math.max(1, Math.ceil(matches.length / pageSize));
  const page = Math.min(Math.max(opts.page ?? 1, 1), pages);
  return { rows: matches.slice((page - 1) * pageSize, page * pageSize), total: matches.length, page, pages, pageSize };
}
