"use client";

import { useQuery } from "@tanstack/react-query";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useMemo, useState, type FormEvent } from "react";
import type { ObservedEvent } from "../server/kafka/events.ts";
import { EVENTS_KEY } from "./live-updates.tsx";
import { MACHINES, RANGES, matchesFilter, type StateChangeFilter } from "../server/kafka/state-change-filter.ts";
import { Badge, button, buttonSecondary, input } from "./ui.tsx";

const SHOW = 300;

/**
 * The live stream: the events the server had in its ring when the page was rendered (already
 * filtered) merged with those the SSE stream writes into the query cache since, filtered the
 * same way. Pausing freezes the list and counts what arrives meanwhile.
 */
export function LiveStateChanges({ initial, filter }: { initial: ObservedEvent[]; filter: StateChangeFilter }) {
  // Reads the cache the SSE stream writes; does not seed it (the pages' feeds do).
  const { data } = useQuery<ObservedEvent[]>({ queryKey: EVENTS_KEY, queryFn: () => [], enabled: false });
  const merged = useMemo(() => {
    const bySeq = new Map<number, ObservedEvent>();
    for (const e of initial) bySeq.set(e.seq, e);
    for (const e of data ?? []) if (matchesFilter(e, filter)) bySeq.set(e.seq, e);
    return [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, SHOW);
  }, [initial, data, filter]);
  const [frozen, setFrozen] = useState<ObservedEvent[] | null>(null);
  const shown = frozen ?? merged;
  const waiting = frozen ? merged.filter((e) => e.seq > (frozen[0]?.seq ?? 0)).length : 0;
  return (
    <div>
      <div className="mb-3 flex items-center gap-3 text-sm">
        <button type="button" className={buttonSecondary} onClick={() => setFrozen(frozen ? null : merged)} data-testid="pause">
          {frozen ? "Resume" : "Pause"}
        </button>
        <span className="text-slate-500" data-testid="live-count">
          {frozen ? `paused: ${waiting} new event${waiting === 1 ? "" : "s"} waiting` : `${shown.length} event${shown.length === 1 ? "" : "s"}, newest first`}
        </span>
      </div>
      {shown.length === 0 ? (
        <p className="text-sm text-slate-500">No matching state changes yet. They appear here as they happen.</p>
      ) : (
        <ol className="divide-y divide-slate-100 text-sm" data-testid="live-feed">
          {shown.map((e) => (
            <li key={e.seq} className="flex flex-wrap items-baseline gap-x-3 gap-y-1 py-1.5" data-testid="live-event" data-machine={e.machine} data-subject={e.subject} data-from={e.from} data-to={e.to}>
              <time className="w-20 shrink-0 font-mono text-xs text-slate-500" suppressHydrationWarning>
                {new Date(e.at).toLocaleTimeString()}
              </time>
              <Badge tone="info">{e.machine}</Badge>
              <span className="font-mono">{e.subject}</span>
              <span className="text-slate-600">
                {e.from} → <strong className="text-slate-900">{e.to}</strong>
              </span>
              <span className="text-slate-500">{e.cause}</span>
              <Details e={e} />
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** The details worth a glance (leader, ISR, generation, members), compactly. */
export function Details({ e }: { e: ObservedEvent }) {
  const d = e.details;
  const parts: string[] = [];
  if (d.leader !== undefined) parts.push(`leader ${String(d.leader)}`);
  if (Array.isArray(d.isr)) parts.push(`isr [${d.isr.join(", ")}]`);
  if (d.generation !== undefined) parts.push(`gen ${String(d.generation)}`);
  if (d.members !== undefined) parts.push(`${String(d.members)} members`);
  if (e.node >= 0) parts.push(`node ${e.node}`);
  return parts.length > 0 ? <span className="font-mono text-xs text-slate-400">{parts.join(" · ")}</span> : null;
}

/** `YYYY-MM-DDTHH:mm` in the browser's time zone, for a datetime-local input. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

type FilterFields = { machine?: string | undefined; topic?: string | undefined; group?: string | undefined; broker?: string | undefined; q?: string | undefined };
const TEXT_FIELDS = [
  { key: "topic", label: "Topic", placeholder: "its partitions and replicas" },
  { key: "group", label: "Group", placeholder: "a group id" },
  { key: "broker", label: "Broker", placeholder: "an id: the broker and its replicas" },
  { key: "q", label: "Subject contains", placeholder: "any text" },
] as const;

/**
 * Machine, topic, group, broker, subject text and the history's time range. Times are
 * entered in the browser's zone and sent as UTC instants; the page navigates on the client,
 * so the live stream stays open.
 */
export function StateChangeFilters({ filter, from, to, range }: { filter: FilterFields; from?: string | undefined; to?: string | undefined; range?: string | undefined }) {
  const router = useRouter();
  const path = usePathname();
  const fields = (f: FilterFields) => ({ machine: f.machine ?? "", topic: f.topic ?? "", group: f.group ?? "", broker: f.broker ?? "", q: f.q ?? "" });
  const [v, setV] = useState({ ...fields(filter), from: "", to: "" });
  const { machine, topic, group, broker, q } = filter;
  // A navigation (back, a link) brings a new filter: show it.
  useEffect(() => setV({ ...fields({ machine, topic, group, broker, q }), from: toLocalInput(from), to: toLocalInput(to) }), [machine, topic, group, broker, q, from, to]);
  const go = (over: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    const all = { machine: v.machine, topic: v.topic, group: v.group, broker: v.broker, q: v.q, ...over };
    for (const [k, val] of Object.entries(all)) if (val?.trim()) p.set(k, val.trim());
    router.push(`${path}${p.size > 0 ? `?${p}` : ""}`);
  };
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    const iso = (s: string) => (s ? new Date(s).toISOString() : undefined);
    go({ from: iso(v.from), to: iso(v.to), range: !v.from && !v.to ? range : undefined });
  };
  return (
    <form onSubmit={submit} className="mb-6 space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid="state-change-filters">
      <div className="grid grid-cols-1 gap-3 md:grid-cols-5">
        <label className="text-sm">
          <span className="mb-1 block font-medium">Machine</span>
          <select name="machine" value={v.machine} onChange={(e) => setV({ ...v, machine: e.target.value })} className={input} aria-label="Machine">
            <option value="">all</option>
            {MACHINES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        {TEXT_FIELDS.map((f) => (
          <label key={f.key} className="text-sm">
            <span className="mb-1 block font-medium">{f.label}</span>
            <input name={f.key} value={v[f.key]} onChange={(e) => setV({ ...v, [f.key]: e.target.value })} placeholder={f.placeholder} className={`${input} font-mono`} aria-label={f.label} />
          </label>
        ))}
      </div>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-5">
        <label className="text-sm">
          <span className="mb-1 block font-medium">History from</span>
          <input type="datetime-local" name="from" value={v.from} onChange={(e) => setV({ ...v, from: e.target.value })} className={input} aria-label="History from" />
        </label>
        <label className="text-sm">
          <span className="mb-1 block font-medium">History to</span>
          <input type="datetime-local" name="to" value={v.to} onChange={(e) => setV({ ...v, to: e.target.value })} className={input} aria-label="History to" />
        </label>
      </div>
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <button type="submit" className={button}>
          Apply
        </button>
        <span className="ml-2 text-slate-500">History:</span>
        {Object.entries(RANGES).map(([k, r]) => (
          <button key={k} type="button" onClick={() => go({ range: k })} className={`rounded-md px-2 py-1 ${range === k ? "bg-slate-900 text-white" : "text-sky-700 hover:bg-slate-100"}`}>
            {r.label}
          </button>
        ))}
        <button type="button" onClick={() => go({})} className={`rounded-md px-2 py-1 ${!range && !from && !to ? "bg-slate-900 text-white" : "text-sky-700 hover:bg-slate-100"}`}>
          all time
        </button>
      </div>
    </form>
  );
}
