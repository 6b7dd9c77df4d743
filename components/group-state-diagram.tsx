"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { ObservedEvent } from "../server/kafka/events.ts";
import { EVENTS_KEY } from "./live-updates.tsx";

type Box = { x: number; y: number; label: string };
const W = 180;
const H = 40;
const BOXES: Record<string, Box> = {
  Empty: { x: 20, y: 40, label: "Empty" },
  PreparingRebalance: { x: 290, y: 40, label: "PreparingRebalance" },
  CompletingRebalance: { x: 560, y: 40, label: "CompletingRebalance" },
  Stable: { x: 560, y: 200, label: "Stable" },
  Dead: { x: 20, y: 200, label: "Dead" },
};

/** Kafka's classic group transitions (GroupMetadata.validPreviousStates), with why. */
const EDGES: { from: string; to: string; d: string; label: string; lx: number; ly: number; dashed?: boolean }[] = [
  { from: "Empty", to: "PreparingRebalance", d: "M200,52 L290,52", label: "member joins", lx: 245, ly: 46 },
  { from: "PreparingRebalance", to: "Empty", d: "M290,70 L200,70", label: "all left", lx: 245, ly: 86 },
  { from: "PreparingRebalance", to: "CompletingRebalance", d: "M470,52 L560,52", label: "all joined", lx: 515, ly: 46 },
  { from: "CompletingRebalance", to: "PreparingRebalance", d: "M560,70 L470,70", label: "member change", lx: 515, ly: 86 },
  { from: "CompletingRebalance", to: "Stable", d: "M650,80 L650,200", label: "leader's assignment synced", lx: 655, ly: 145 },
  { from: "Stable", to: "PreparingRebalance", d: "M560,210 L390,80", label: "member joins, leaves or times out", lx: 360, ly: 160 },
  { from: "Empty", to: "Dead", d: "M110,80 L110,200", label: "deleted, offsets expired", lx: 116, ly: 145 },
  { from: "Stable", to: "Dead", d: "M560,228 L200,228", label: "any state: coordinator moved or group removed", lx: 380, ly: 222, dashed: true },
];

/**
 * The group state machine with the current state lit. It starts from the state the server
 * read and follows the group's transitions as they arrive over the SSE stream; `data-path`
 * lists the transitions it has followed since the page was opened (a refresh of the server
 * parts keeps it).
 */
export function GroupStateDiagram({ groupId, state, renderedAt, initial }: { groupId: string; state: string; renderedAt: number; initial: ObservedEvent[] }) {
  const { data } = useQuery<ObservedEvent[]>({ queryKey: EVENTS_KEY, queryFn: () => initial, initialData: initial });
  const [since] = useState(renderedAt);
  const followed = (data ?? []).filter((e) => e.machine === "group" && e.subject === groupId && e.at >= since);
  const latest = followed[0];
  const current = latest?.to ?? state;
  const lastEdge = latest ? `${latest.from}->${latest.to}` : null;
  const path = followed
    .slice()
    .reverse()
    .map((e) => `${e.from}>${e.to}`)
    .join(" ");
  return (
    <svg viewBox="0 0 760 260" className="w-full max-w-3xl" role="img" aria-label={`group state: ${current}`} data-testid="group-state-diagram" data-state={current} data-path={path}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="#64748b" />
        </marker>
        <marker id="arrow-hot" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="#0369a1" />
        </marker>
      </defs>
      {EDGES.map((e) => {
        const hot = lastEdge === `${e.from}->${e.to}`;
        return (
          <g key={`${e.from}-${e.to}`}>
            <path d={e.d} stroke={hot ? "#0369a1" : "#94a3b8"} strokeWidth={hot ? 2.5 : 1.5} fill="none" strokeDasharray={e.dashed ? "5 4" : undefined} markerEnd={`url(#${hot ? "arrow-hot" : "arrow"})`} />
            <text x={e.lx} y={e.ly} fontSize="11" fill="#64748b" textAnchor="middle">
              {e.label}
            </text>
          </g>
        );
      })}
      {Object.entries(BOXES).map(([name, b]) => {
        const lit = name === current;
        return (
          <g key={name} data-testid={`state-${name}`} data-lit={lit ? "true" : "false"}>
            <rect x={b.x} y={b.y} width={W} height={H} rx="8" fill={lit ? "#0369a1" : "#ffffff"} stroke={lit ? "#0369a1" : "#cbd5e1"} strokeWidth="1.5" />
            <text x={b.x + W / 2} y={b.y + H / 2 + 5} fontSize="14" textAnchor="middle" fill={lit ? "#ffffff" : "#334155"} fontWeight={lit ? 600 : 400}>
              {b.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
