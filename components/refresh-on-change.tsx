"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import type { ObservedEvent } from "../server/kafka/events.ts";
import { EVENTS_KEY } from "./live-updates.tsx";

/**
 * Re-renders the page's server components (router.refresh: the server reads the cluster again,
 * client state is kept) when the SSE stream brings a transition of the given subject, so
 * server-rendered parts such as a group's members follow the state machine without a reload.
 * Bursts (a rebalance is three transitions) cause one refresh.
 */
export function RefreshOnChange({ machine, subject, delayMs = 250 }: { machine: string; subject: string; delayMs?: number }) {
  const router = useRouter();
  // Reads the cache the SSE stream writes; does not seed it (the pages' feeds do).
  const { data } = useQuery<ObservedEvent[]>({ queryKey: EVENTS_KEY, queryFn: () => [], enabled: false });
  const seen = useRef<number | null>(null);
  const newest = (data ?? []).find((e) => e.machine === machine && e.subject === subject)?.seq ?? 0;
  useEffect(() => {
    if (seen.current === null) {
      seen.current = newest; // what the server already rendered
      return;
    }
    if (newest <= seen.current) return;
    seen.current = newest;
    const timer = setTimeout(() => router.refresh(), delayMs);
    return () => clearTimeout(timer);
  }, [newest, router, delayMs]);
  return null;
}
