"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import type { ObservedEvent } from "../server/kafka/events.ts";
import { matchesFilter, type StateChangeFilter } from "../server/kafka/state-change-filter.ts";
import type { ClusterSummary } from "../server/kafka/summary.ts";
import { EVENTS_KEY, SUMMARY_KEY } from "./live-updates.tsx";

/**
 * Re-renders the page's server components (router.refresh: the server reads the cluster again,
 * client state is kept) when the SSE stream brings a transition that passes the filter (a
 * group, a topic's partitions and replicas), so server-rendered parts such as a group's
 * members or a topic's ISR follow the state machines without a reload. Bursts (a rebalance is
 * three transitions) cause one refresh; the delay also lets the brokers apply the metadata
 * the transition describes.
 */
export function RefreshOnChange({ filter, onHealthChange = false, delayMs = 250 }: { filter: StateChangeFilter; onHealthChange?: boolean; delayMs?: number }) {
  const router = useRouter();
  // Reads the caches the SSE stream writes; does not seed them (the pages' feeds do).
  const { data } = useQuery<ObservedEvent[]>({ queryKey: EVENTS_KEY, queryFn: () => [], enabled: false });
  const { data: summary } = useQuery<ClusterSummary>({ queryKey: SUMMARY_KEY, enabled: false });
  const seenEvent = useRef<number | null>(null);
  const seenHealth = useRef<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const newest = (data ?? []).find((e) => matchesFilter(e, filter))?.seq ?? 0;
  // The partition counts change when the metadata does, even where no event says so
  // (a metadata read that lagged behind the event, a cluster without __state_changes).
  const health = onHealthChange && summary ? `${summary.underReplicated}/${summary.underMinIsr}/${summary.offline}` : null;
  useEffect(() => {
    // The first event and the first summary seen are what the server already rendered.
    const eventChanged = seenEvent.current !== null && newest > seenEvent.current;
    const healthChanged = seenHealth.current !== null && health !== null && health !== seenHealth.current;
    seenEvent.current = Math.max(seenEvent.current ?? 0, newest);
    if (health !== null) seenHealth.current = health;
    if ((!eventChanged && !healthChanged) || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      router.refresh();
    }, delayMs);
  }, [newest, health, router, delayMs]);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  return null;
}
