import type { ObservedEvent } from "../server/kafka/events.ts";

/** The state machines whose transitions `__state_changes` carries (DESIGN.md). */
export const MACHINES = ["partition", "replica", "group", "broker", "controller", "reassignment"] as const;

export interface StateChangeFilter {
  /** One machine, or undefined for all. */
  machine?: string | undefined;
  /** Text in the subject: a topic ("orders" matches orders-3 and orders-3@2), a group, a broker id. */
  q?: string | undefined;
}

/** Whether an event passes the filter; the same test on the server and in the browser. */
export function matchesFilter(e: Pick<ObservedEvent, "machine" | "subject">, f: StateChangeFilter): boolean {
  if (f.machine && e.machine !== f.machine) return false;
  const q = f.q?.trim().toLowerCase();
  return !q || e.subject.toLowerCase().includes(q);
}

/** Quick ranges for the stored history, as `range=` values. */
export const RANGES: Record<string, { label: string; ms: number }> = {
  "15m": { label: "last 15 minutes", ms: 15 * 60_000 },
  "1h": { label: "last hour", ms: 3_600_000 },
  "24h": { label: "last 24 hours", ms: 86_400_000 },
  "7d": { label: "last 7 days", ms: 7 * 86_400_000 },
};
