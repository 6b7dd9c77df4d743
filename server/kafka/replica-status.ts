import type { ObservedEvent } from "./events.ts";
import type { PartitionInfo } from "./snapshot.ts";

/**
 * One replica of a partition as the console shows it: the leader, a follower in the ISR, one
 * out of it, or offline (its broker is fenced or gone, or the metadata lists it offline).
 */
export type ReplicaState = "leader" | "in-sync" | "out-of-sync" | "offline";

export interface ReplicaView {
  broker: number;
  state: ReplicaState;
  /** The replica's log end offset (ListOffsets with Kafka's debugging replica id), null when unknown. */
  logEndOffset: string | null;
  /** Messages behind the leader's log end offset; null when either end is unknown. */
  lag: string | null;
  /** When it left the ISR (the ISR-shrink state change), null when in sync or unknown. */
  outOfSyncSince: number | null;
}

/** A state change of a partition or of one of its replicas. */
export type PartitionEvent = Pick<ObservedEvent, "machine" | "subject" | "to" | "at" | "details">;

/** The key of one replica's log end offset: "topic:partition@broker". */
export const replicaKey = (topic: string, partition: number, broker: number) => `${topic}:${partition}@${broker}`;

/**
 * The replicas of one partition in replica order. `ends` holds log end offsets by replica
 * key; `events` are the state changes of the partition and its replicas (any order), which
 * tell when a replica left the ISR.
 */
export function replicaViews(
  topic: string,
  p: Pick<PartitionInfo, "partition" | "leader" | "replicas" | "isr" | "offlineReplicas">,
  liveBrokers: ReadonlySet<number>,
  ends: ReadonlyMap<string, bigint>,
  events: readonly PartitionEvent[],
): ReplicaView[] {
  const leaderEnd = p.leader >= 0 ? ends.get(replicaKey(topic, p.partition, p.leader)) : undefined;
  return p.replicas.map((broker) => {
    const end = ends.get(replicaKey(topic, p.partition, broker));
    const offline = !liveBrokers.has(broker) || p.offlineReplicas.includes(broker);
    const state: ReplicaState = offline ? "offline" : broker === p.leader ? "leader" : p.isr.includes(broker) ? "in-sync" : "out-of-sync";
    const lag = end !== undefined && leaderEnd !== undefined && broker !== p.leader ? (leaderEnd > end ? leaderEnd - end : 0n).toString() : null;
    const inIsr = p.isr.includes(broker);
    return { broker, state, logEndOffset: end?.toString() ?? null, lag, outOfSyncSince: inIsr ? null : leftIsrAt(events, broker) };
  });
}

/** Replica transitions that take a replica out of the ISR or bring it back (Samsa's __state_changes). */
const LEAVES = new Set(["OutOfSync", "OfflineReplica"]);
const JOINS = new Set(["InSync", "OnlineReplica"]);

/**
 * Whether an event of the partition says `broker` is in its ISR: by the ISR it carries (a
 * partition's election or a derived ISR change, a replica's ISR change), else by a transition
 * of that broker's replica (fenced: out of the ISR; back online: in it); null when it says nothing.
 */
function inIsrAfter(e: Pick<ObservedEvent, "machine" | "subject" | "to" | "details">, broker: number): boolean | null {
  if (Array.isArray(e.details.isr)) return (e.details.isr as unknown[]).includes(broker);
  if (e.machine !== "replica" || !e.subject.endsWith(`@${broker}`)) return null;
  return LEAVES.has(e.to) ? false : JOINS.has(e.to) ? true : null;
}

/**
 * When `broker` last left the partition's ISR: the time of the first event without it after
 * one with it. Null when the events never show it in the ISR (the shrink is older than what
 * is kept) or show it back in.
 */
export function leftIsrAt(events: readonly PartitionEvent[], broker: number): number | null {
  let seenIn = false;
  let since: number | null = null;
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    const inIsr = inIsrAfter(e, broker);
    if (inIsr === true) {
      seenIn = true;
      since = null;
    } else if (inIsr === false && seenIn && since === null) {
      since = e.at;
    }
  }
  return since;
}
