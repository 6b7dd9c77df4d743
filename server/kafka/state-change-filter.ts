import type { ObservedEvent } from "./events.ts";
import { subjectParts } from "./state-change-subject.ts";

/** The state machines whose transitions `__state_changes` carries (DESIGN.md). */
export const MACHINES = ["partition", "replica", "group", "broker", "controller", "reassignment"] as const;

/** Every part given must match. */
export interface StateChangeFilter {
  /** One machine, or undefined for all. */
  machine?: string | undefined;
  /** One topic: its partitions', replicas' and reassignments' transitions. */
  topic?: string | undefined;
  /** One group's transitions. */
  group?: string | undefined;
  /** One broker: its own transitions and those of the replicas it hosts. */
  broker?: number | undefined;
  /** Text anywhere in the subject, case-insensitive. */
  q?: string | undefined;
}

/** Whether an event passes the filter; the same test on the server and in the browser. */
export function matchesFilter(e: Pick<ObservedEvent, "machine" | "subject">, f: StateChangeFilter): boolean {
  if (f.machine && e.machine !== f.machine) return false;
  if (f.group !== undefined && (e.machine !== "group" || e.subject !== f.group)) return false;
  if (f.topic !== undefined || f.broker !== undefined) {
    const parts = subjectParts(e.machine, e.subject);
    if (f.topic !== undefined && parts.topic !== f.topic) return false;
    if (f.broker !== undefined && parts.broker !== f.broker) return false;
  }
  const q = f.q?.trim().toLowerCase();
  return !q || e.subject.toLowerCase().includes(q);
}

/** The filter in a page's search parameters (unknown machines and non-numeric brokers are dropped). */
export function filterFromSearch(sp: { machine?: string | undefined; topic?: string | undefined; group?: string | undefined; broker?: string | undefined; q?: string | undefined }): StateChangeFilter {
  const text = (s: string | undefined) => (s?.trim() ? s.trim() : undefined);
  const broker = text(sp.broker);
  return {
    machine: sp.machine && (MACHINES as readonly string[]).includes(sp.machine) ? sp.machine : undefined,
    topic: text(sp.topic),
    group: text(sp.group),
    broker: broker !== undefined && /^\d+$/.test(broker) ? Number(broker) : undefined,
    q: text(sp.q),
  };
}

/** Quick ranges for the stored history, as `range=` values. */
export const RANGES: Record<string, { label: string; ms: number }> = {
  "15m": { label: "last 15 minutes", ms: 15 * 60_000 },
  "1h": { label: "last hour", ms: 3_600_000 },
  "24h": { label: "last 24 hours", ms: 86_400_000 },
  "7d": { label: "last 7 days", ms: 7 * 86_400_000 },
};
