import type { ClusterSnapshot } from "./snapshot.ts";
import type { WatchMode } from "./watcher.ts";

/** The overview's numbers, sent to browsers whenever a new snapshot is taken. */
export interface ClusterSummary {
  clusterName: string;
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  /** Brokers holding replicas but missing from the metadata (see ClusterSnapshot). */
  offlineBrokers: number[];
  topics: number;
  internalTopics: number;
  partitions: number;
  underReplicated: number;
  /** Null when min.insync.replicas of the under-replicated topics could not be read. */
  underMinIsr: number | null;
  offline: number;
  takenAt: number;
  mode: WatchMode;
}

export function summarize(clusterName: string, s: ClusterSnapshot, mode: WatchMode): ClusterSummary {
  return {
    clusterName,
    clusterId: s.clusterId,
    controllerId: s.controllerId,
    brokers: s.brokers,
    offlineBrokers: s.offlineBrokers,
    topics: s.totals.topics,
    internalTopics: s.topics.filter((t) => t.internal).length,
    partitions: s.totals.partitions,
    underReplicated: s.totals.underReplicated,
    underMinIsr: s.totals.underMinIsr,
    offline: s.totals.offline,
    takenAt: s.takenAt,
    mode,
  };
}
