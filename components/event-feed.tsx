"use client";

import { useQuery } from "@tanstack/react-query";
import type { ObservedEvent } from "../server/kafka/events.ts";
import { matchesFilter, type StateChangeFilter } from "../server/kafka/state-change-filter.ts";
import { EVENTS_KEY } from "./live-updates.tsx";
import { Badge } from "./ui.tsx";

/** The same transition whether it came over the live stream or from the stored history. */
function identity(e: ObservedEvent): string {
  return e.offset !== null ? `offset-${e.offset}` : `derived-${e.at}-${e.machine}-${e.subject}-${e.from}-${e.to}`;
}

/**
 * State changes, newest first: those the SSE stream writes into the query cache (seeded with
 * `initial`, the server's ring when the page rendered) that pass the filter, followed by the
 * stored history the page read from the database for what happened before this process saw it.
 */
export function EventFeed({ initial, stored = [], filter = {}, limit = 100 }: { initial: ObservedEvent[]; stored?: ObservedEvent[]; filter?: StateChangeFilter; limit?: number }) {
  const { data } = useQuery({ queryKey: EVENTS_KEY, queryFn: () => initial, initialData: initial });
  const live = (data ?? initial).filter((e) => matchesFilter(e, filter));
  const seen = new Set(live.map(identity));
  const events = [...live, ...stored.filter((e) => !seen.has(identity(e)))].sort((a, b) => b.at - a.at).slice(0, limit);
  if (events.length === 0) {
    return <p className="text-sm text-slate-500">No state changes seen yet. They appear here as they happen.</p>;
  }
  return (
    <ol className="divide-y divide-slate-100 text-sm" data-testid="event-feed">
      {events.map((e) => (
        <li key={identity(e)} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-2" data-testid="event" data-machine={e.machine} data-subject={e.subject} data-from={e.from} data-to={e.to}>
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
