/**
 * The replication throttles kafka-reassign-partitions --throttle sets: the rate on every
 * broker a move touches, and per topic the replicas it applies to — "partition:broker" for
 * each source (leader side) and each destination that is not already a source (follower side).
 */
import type { PartitionReplicas } from "./reassignment-json.ts";

export const BROKER_THROTTLE_RATES = ["leader.replication.throttled.rate", "follower.replication.throttled.rate"] as const;
/** Cleared too (Kafka's tool clears it with the rates), though Samsa has no log-dir moves. */
export const BROKER_THROTTLES = [...BROKER_THROTTLE_RATES, "replica.alter.log.dirs.io.max.bytes.per.second"] as const;
export const TOPIC_THROTTLES = { leader: "leader.replication.throttled.replicas", follower: "follower.replication.throttled.replicas" } as const;

/** Where a partition's data comes from and goes to. */
export interface PartitionMove {
  topic: string;
  partition: number;
  sources: number[];
  destinations: number[];
}

/**
 * The moves of the plan, plus the reassignments already under way (--additional): a partition
 * already moving keeps its sources (its replicas less the ones being added).
 */
export function partitionMoves(
  ongoing: readonly { topic: string; partition: number; replicas: number[]; adding: number[] }[],
  plan: readonly PartitionReplicas[],
  current: ReadonlyMap<string, number[]>,
): PartitionMove[] {
  const key = (p: { topic: string; partition: number }) => `${p.topic}\u0000${p.partition}`;
  const moves = new Map<string, PartitionMove>();
  for (const o of ongoing) {
    moves.set(key(o), { topic: o.topic, partition: o.partition, sources: o.replicas.filter((r) => !o.adding.includes(r)), destinations: o.adding });
  }
  for (const p of plan) {
    const sources = moves.get(key(p))?.sources ?? current.get(`${p.topic}-${p.partition}`) ?? [];
    moves.set(key(p), { topic: p.topic, partition: p.partition, sources, destinations: p.replicas.filter((r) => !sources.includes(r)) });
  }
  return [...moves.values()];
}

/** Per topic, the leader and follower throttled-replicas values (sorted as Kafka's text). */
export function topicThrottles(moves: readonly PartitionMove[]): Map<string, { leader: string; follower: string }> {
  const out = new Map<string, { leader: Set<string>; follower: Set<string> }>();
  for (const m of moves) {
    let t = out.get(m.topic);
    if (!t) out.set(m.topic, (t = { leader: new Set(), follower: new Set() }));
    for (const s of m.sources) t.leader.add(`${m.partition}:${s}`);
    for (const d of m.destinations) t.follower.add(`${m.partition}:${d}`);
  }
  return new Map([...out].map(([topic, t]) => [topic, { leader: [...t.leader].sort().join(","), follower: [...t.follower].sort().join(",") }]));
}

/** Every broker a move reads from or writes to. */
export function movingBrokers(moves: readonly PartitionMove[]): number[] {
  return [...new Set(moves.flatMap((m) => [...m.sources, ...m.destinations]))].sort((a, b) => a - b);
}
