"use client";

import { useQuery } from "@tanstack/react-query";
import type { ObservedEvent } from "../server/kafka/events.ts";
import { EVENTS_KEY } from "./live-updates.tsx";
import { Badge } from "./ui.tsx";

/** Recent state changes, newest first; the SSE stream prepends new ones to the cache. */
export function EventFeed({ initial, subjectPrefix, limit = 100 }: { initial: ObservedEvent[]; subjectPrefix?: string; limit?: number }) {
  const { data } = useQuery({ queryKey: EVENTS_KEY, queryFn: () => initial, initialData: initial });
  const all = data ?? initial;
  const events = (subjectPrefix === undefined ? all : all.filter((e) => e.subject === subjectPrefix || e.subject.startsWith(`${subjectPrefix}-`))).slice(0, limit);
  if (events.length === 0) {
    return <p className="text-sm text-slate-500">No state changes seen yet. They appear here as they happen.</p>;
  }
  return (
    <ol className="divide-y divide-slate-100 text-sm" data-testid="event-feed">
      {events.map((e) => (
        <li key={`${e.seq}-${e.offset ?? ""}`} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-2" data-testid="event">
          <time className="w-20 shrink-0 font-mono text-xs text-slate-500" suppressHydrationWarning>
            {new Date(e.at).toLocaleTimeString()}
          </time>
          <Badge tone="info">{e.machine}</Badge>
          <span className="font-mono">{e.subject}</span>
          <span className="text-slate-600">
            {e.from} → <strong className="text-slate-900">{e.to}</strong>
          </span>
          <span className="text-slate-500">{e.cause}</span>
        </li>
      ))}
    </ol>
  );
}
