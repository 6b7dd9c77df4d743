import type { ClusterSnapshot, PartitionInfo, TopicInfo } from "./snapshot.ts";

/** The partition lists the overview and the brokers page link to (`/partitions?status=`). */
export const PARTITION_PROBLEMS = ["under-replicated", "under-min-isr", "offline"] as const;
export type PartitionProblem = (typeof PARTITION_PROBLEMS)[number];

export const PROBLEM_LABELS: Record<PartitionProblem, string> = {
  "under-replicated": "Under-replicated",
  "under-min-isr": "Under min ISR",
  offline: "Offline",
};

export function isPartitionProblem(s: string | undefined): s is PartitionProblem {
  return (PARTITION_PROBLEMS as readonly string[]).includes(s ?? "");
}

/**
 * Kafka's UnderMinIsr rule (Partition.isUnderMinIsr): a led partition whose ISR is smaller
 * than min.insync.replicas capped at its replica count (so a full ISR never is).
 */
export function isUnderMinIsr(p: Pick<PartitionInfo, "leader" | "isr" | "replicas">, minIsr: number | null): boolean {
  return minIsr !== null && p.leader >= 0 && p.isr.length < Math.min(minIsr, p.replicas.length);
}

export function hasProblem(p: PartitionInfo, problem: PartitionProblem, minIsr: number | null): boolean {
  if (problem === "offline") return p.leader < 0;
  if (problem === "under-replicated") return p.isr.length < p.replicas.length;
  return isUnderMinIsr(p, minIsr);
}

/** The topics whose min.insync.replicas matters: those with an under-replicated partition. */
export function topicsNeedingMinIsr(s: ClusterSnapshot): string[] {
  return s.topics.filter((t) => t.underReplicated > 0).map((t) => t.name);
}

/**
 * The snapshot with each listed topic's min.insync.replicas and its under-min-ISR count;
 * `minIsr` null when the configs could not be read (the total is then unknown).
 */
export function withMinIsr(s: ClusterSnapshot, minIsr: ReadonlyMap<string, number> | null): ClusterSnapshot {
  if (s.totals.underReplicated === 0) return s;
  let total = 0;
  const topics: TopicInfo[] = s.topics.map((t) => {
    const m = minIsr?.get(t.name);
    if (m === undefined) return t;
    const underMinIsr = t.partitions.filter((p) => isUnderMinIsr(p, m)).length;
    total += underMinIsr;
    return { ...t, minIsr: m, underMinIsr };
  });
  return { ...s, topics, byName: new Map(topics.map((t) => [t.name, t])), totals: { ...s.totals, underMinIsr: minIsr ? total : null } };
}

export interface ProblemPartition extends PartitionInfo {
  topic: string;
  internal: boolean;
  minIsr: number | null;
}

export interface ProblemPartitionPage {
  rows: ProblemPartition[];
  total: number;
  page: number;
  pages: number;
  pageSize: number;
}

/** The partitions with one problem, optionally only those with a replica on one broker, paged on the server. */
export function pageProblemPartitions(
  s: ClusterSnapshot,
  problem: PartitionProblem,
  opts: { broker?: number | undefined; page?: number; pageSize?: number } = {},
): ProblemPartitionPage {
  const matches: ProblemPartition[] = [];
  for (const t of s.topics) {
    if (problem === "offline" ? t.offline === 0 : t.underReplicated === 0) continue;
    for (const p of t.partitions) {
      if (!hasProblem(p, problem, t.minIsr)) continue;
      if (opts.broker !== undefined && !p.replicas.includes(opts.broker)) continue;
      matches.push({ ...p, topic: t.name, internal: t.internal, minIsr: t.minIsr });
    }
  }
  const pageSize = Math.min(Math.max(opts.pageSize ?? 50, 1), 500);
  const pages = Math.max(1, Math.ceil(matches.length / pageSize));
  const page = Math.min(Math.max(opts.page ?? 1, 1), pages);
  return { rows: matches.slice((page - 1) * pageSize, page * pageSize), total: matches.length, page, pages, pageSize };
}
