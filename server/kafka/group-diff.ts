import type { ObservedEvent } from "./events.ts";
import type { GroupMember } from "./groups.ts";

/** What one poll saw of a group: its state and, unless it was Empty, its members. */
export interface ObservedGroup {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: readonly Pick<GroupMember, "memberId" | "clientId" | "assignment">[];
}

type Derived = Omit<ObservedEvent, "seq">;

/** Why a group is in its new state, in Kafka's terms. */
const STATE_CAUSES: Record<string, string> = {
  PreparingRebalance: "rebalance started",
  CompletingRebalance: "members joined; waiting for the leader's assignment",
  Stable: "rebalance completed",
  Empty: "no members left",
};

/**
 * The group transitions between two observations, for clusters that do not publish
 * `__state_changes`. A poll sees states, not transitions: a rebalance that began and ended
 * between two polls shows as one event (Stable → Stable with the members that joined or
 * left), never as invented intermediate states. A group appearing in any state but Empty
 * came from Empty (Kafka creates groups Empty); a group that disappears went to Dead
 * (deleted or expired).
 */
export function diffGroups(prev: ReadonlyMap<string, ObservedGroup>, next: ReadonlyMap<string, ObservedGroup>, at: number): Derived[] {
  const out: Derived[] = [];
  const ev = (g: ObservedGroup, from: string, to: string, cause: string, details: Record<string, unknown>): Derived => ({
    machine: "group",
    subject: g.groupId,
    from,
    to,
    cause,
    details: { protocolType: g.protocolType, protocol: g.protocol, members: g.members.length, ...details },
    // The coordinator is not part of a group description.
    node: -1,
    epoch: 0,
    at,
    offset: null,
    source: "derived",
  });
  for (const g of next.values()) {
    const before = prev.get(g.groupId);
    if (!before) {
      if (g.state !== "Empty") out.push(ev(g, "Empty", g.state, `group appeared with ${g.members.length} member${g.members.length === 1 ? "" : "s"}`, { joined: g.members.map((m) => m.memberId) }));
      continue;
    }
    const change = membershipChange(before, g);
    if (before.state === g.state && !change.changed) continue;
    const parts = [before.state === g.state ? "rebalanced between observations" : (STATE_CAUSES[g.state] ?? `now ${g.state}`)];
    if (change.joined.length > 0) parts.push(`joined: ${change.joined.join(", ")}`);
    if (change.left.length > 0) parts.push(`left: ${change.left.join(", ")}`);
    if (change.reassigned) parts.push("assignment changed");
    out.push(ev(g, before.state, g.state, parts.join("; "), { joined: change.joined, left: change.left }));
  }
  for (const g of prev.values()) {
    if (!next.has(g.groupId)) out.push(ev({ ...g, members: [] }, g.state, "Dead", "group deleted or expired", { left: g.members.map((m) => m.memberId) }));
  }
  return out;
}

function membershipChange(a: ObservedGroup, b: ObservedGroup): { joined: string[]; left: string[]; reassigned: boolean; changed: boolean } {
  const before = new Map(a.members.map((m) => [m.memberId, m]));
  const after = new Map(b.members.map((m) => [m.memberId, m]));
  const joined = [...after.keys()].filter((id) => !before.has(id)).sort();
  const left = [...before.keys()].filter((id) => !after.has(id)).sort();
  // Kafka describes assignments only in Stable; in the other states they are empty.
  const bothStable = a.state === "Stable" && b.state === "Stable";
  const reassigned = bothStable && [...after].some(([id, m]) => before.has(id) && assignmentKey(before.get(id)!.assignment) !== assignmentKey(m.assignment));
  return { joined, left, reassigned, changed: joined.length > 0 || left.length > 0 || reassigned };
}

function assignmentKey(a: Record<string, number[]> | null): string {
  if (a === null) return "";
  return Object.keys(a)
    .sort()
    .map((t) => `${t}:${[...a[t]!].sort((x, y) => x - y).join(",")}`)
    .join(" ");
}
