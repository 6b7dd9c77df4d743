"use client";

import type { ClusterSummary } from "../server/kafka/summary.ts";
import { useLiveSummary } from "./live-updates.tsx";
import { PartitionHealthStats } from "./partition-health.tsx";
import { Stat } from "./ui.tsx";

/** The overview numbers: server-rendered first, then replaced by each `summary` SSE event. */
export function OverviewStats({ initial }: { initial: ClusterSummary }) {
  const s = useLiveSummary(initial);
  return (
    <div className="space-y-4">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4 lg:grid-cols-8">
        <Stat label="Brokers" value={s.brokers.length} testId="stat-brokers" />
        <Stat label="Offline brokers" value={s.offlineBrokers.length} tone={s.offlineBrokers.length > 0 ? "bad" : "good"} testId="stat-offline-brokers" />
        <Stat label="Controller" value={s.controllerId >= 0 ? s.controllerId : "none"} tone={s.controllerId >= 0 ? "default" : "bad"} testId="stat-controller" />
        <Stat label="Topics" value={s.topics} testId="stat-topics" />
        <Stat label="Partitions" value={s.partitions} testId="stat-partitions" />
        <PartitionHealthStats summary={s} />
      </div>
      <div className="rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm shadow-sm">
        <dl className="grid grid-cols-1 gap-x-6 gap-y-1 md:grid-cols-[max-content_1fr]">
          <dt className="text-slate-500">Cluster id</dt>
          <dd className="font-mono" data-testid="cluster-id">
            {s.clusterId ?? "unknown"}
          </dd>
          <dt className="text-slate-500">Brokers</dt>
          <dd className="font-mono">
            {s.brokers.map((b) => (
              <span key={b.nodeId} className="mr-4 inline-block">
                {b.nodeId}: {b.host}:{b.port}
                {b.nodeId === s.controllerId ? " (controller)" : ""}
              </span>
            ))}
            {s.offlineBrokers.map((id) => (
              <span key={id} className="mr-4 inline-block text-red-700" data-testid="offline-broker">
                {id}: offline
              </span>
            ))}
          </dd>
          <dt className="text-slate-500">Topics</dt>
          <dd>
            {s.topics} ({s.internalTopics} internal)
          </dd>
          <dt className="text-slate-500">Metadata as of</dt>
          <dd suppressHydrationWarning>{new Date(s.takenAt).toLocaleTimeString()}</dd>
        </dl>
      </div>
    </div>
  );
}
