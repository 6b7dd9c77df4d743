"use client";

import { useQuery } from "@tanstack/react-query";
import type { ObservedEvent } from "../server/kafka/events.ts";
import { EVENTS_KEY } from "./live-updates.tsx";
import { Badge } from "./ui.tsx";

/** Recent state changes, newest first; the SSE stream prepends new ones to the cache. */
/** Whether an event's subject is one of the topic's partitions or replicas ("t-3", "t-3@1"). */
function ofTopic(subject: string, topic: string): boolean {
  if (!subject.startsWith(`${topic}-`)) return false;
  return /^\d+(@\d+)?$/.test(subject.slice(topic.length + 1));
}

export function EventFeed({ initial, topic, machine, subject, limit = 100 }: { initial: ObservedEvent[]; topic?: string; machine?: string; subject?: string; limit?: number }) {
  const { data } = useQuery({ queryKey: EVENTS_KEY, queryFn: () => initial, initialData: initial });
  const all = data ?? initial;
  const events = all
    .filter((e) => topic === undefined || ofTopic(e.subject, topic))
    .filter((e) => (machine === undefined || e.machine === machine) && (subject === undefined || e.subject === subject))
    .slice(0, limit);
  if (events.length === 0) {
    return <p className="text-sm text-slate-500">No state changes seen yet. They appear here as they happen.</p>;
  }
  return (
    <ol className="divide-y divide-slate-100 text-sm" data-testid="event-feed">
      {events.map((e) => (
        <li key={`${e.seq}-${e.offset ?? ""}`} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-2" data-testid="event" data-machine={e.machine} data-subject={e.subject} data-from={e.from} data-to={e.to}>
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
