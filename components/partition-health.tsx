"use client";

import Link from "next/link";
import type { ClusterSummary } from "../server/kafka/summary.ts";
import { useLiveSummary } from "./live-updates.tsx";
import { Stat } from "./ui.tsx";

/**
 * Under-replicated, under-min-ISR and offline partition counts, each linking to the list of
 * those partitions. `summary` is the latest one (server-rendered, then from the SSE stream).
 */
export function PartitionHealthStats({ summary: s }: { summary: ClusterSummary }) {
  const link = (status: string, value: number | null) => (
    <Link href={`/partitions?status=${status}`} className="hover:underline" data-testid={`link-${status}`}>
      {value ?? "?"}
    </Link>
  );
  return (
    <>
      <Stat label="Under-replicated" value={link("under-replicated", s.underReplicated)} tone={s.underReplicated > 0 ? "warn" : "good"} testId="stat-under-replicated" />
      <Stat label="Under min ISR" value={link("under-min-isr", s.underMinIsr)} tone={s.underMinIsr === null ? "default" : s.underMinIsr > 0 ? "bad" : "good"} testId="stat-under-min-isr" />
      <Stat label="Offline partitions" value={link("offline", s.offline)} tone={s.offline > 0 ? "bad" : "good"} testId="stat-offline" />
    </>
  );
}

/** The same counts on pages other than the overview, following the SSE stream's summaries. */
export function LivePartitionHealth({ initial }: { initial: ClusterSummary }) {
  return (
    <div className="mb-6 grid grid-cols-3 gap-3 md:max-w-2xl">
      <PartitionHealthStats summary={useLiveSummary(initial)} />
    </div>
  );
}
