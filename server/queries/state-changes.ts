import type { ObservedEvent } from "../kafka/events.ts";
import type { StateChangeFilter } from "../kafka/state-change-filter.ts";
import type { ConsoleRuntime } from "../runtime.ts";

/**
 * The latest stored state changes that pass the filter, newest first, for the feeds that
 * show what happened before this console process started watching. Empty while the
 * cluster's id is unknown or the database cannot answer: the live part still shows.
 */
export async function storedHistory(rt: ConsoleRuntime, filter: StateChangeFilter, limit = 50): Promise<ObservedEvent[]> {
  const clusterId = rt.cluster.last?.clusterId ?? (await rt.cluster.snapshot().catch(() => null))?.clusterId;
  if (!clusterId) return [];
  const page = await rt.stateChanges.history(clusterId, { ...filter, pageSize: limit }).catch(() => null);
  return page?.rows ?? [];
}
