"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { ObservedEvent } from "../server/kafka/events.ts";
import type { ClusterSummary } from "../server/kafka/summary.ts";

export const EVENTS_KEY = ["state-changes"] as const;
export const SUMMARY_KEY = ["cluster-summary"] as const;
const KEEP = 200;

/** The latest cluster summary: the server-rendered one until the SSE stream brings a newer one. */
export function useLiveSummary(initial: ClusterSummary): ClusterSummary {
  const { data } = useQuery({ queryKey: SUMMARY_KEY, queryFn: () => initial, initialData: initial });
  return data ?? initial;
}

/**
 * The page's one Server-Sent Events stream: state changes are appended to the query cache
 * (newest first), cluster summaries replace the cached one. Components read both through
 * TanStack Query; the browser never polls.
 */
export function LiveUpdates({ after }: { after: number }) {
  const client = useQueryClient();
  const [status, setStatus] = useState<"connecting" | "live" | "reconnecting">("connecting");
  useEffect(() => {
    const source = new EventSource(`/api/events?after=${after}`);
    source.onopen = () => setStatus("live");
    source.onerror = () => setStatus("reconnecting");
    source.addEventListener("change", (m) => {
      const events = JSON.parse((m as MessageEvent<string>).data) as ObservedEvent[];
      client.setQueryData<ObservedEvent[]>(EVENTS_KEY, (old = []) => {
        const seen = new Set(old.map((e) => e.seq));
        const fresh = events.filter((e) => !seen.has(e.seq)).reverse();
        return [...fresh, ...old].slice(0, KEEP);
      });
    });
    source.addEventListener("summary", (m) => {
      client.setQueryData<ClusterSummary>(SUMMARY_KEY, JSON.parse((m as MessageEvent<string>).data) as ClusterSummary);
    });
    return () => source.close();
  }, [after, client]);
  const color = status === "live" ? "bg-emerald-500" : status === "connecting" ? "bg-slate-400" : "bg-amber-500";
  return (
    <span className="flex items-center gap-1.5 text-xs text-slate-500" data-testid="live-status" data-status={status}>
      <span className={`inline-block h-2 w-2 rounded-full ${color}`} />
      {status === "live" ? "live" : status}
    </span>
  );
}
