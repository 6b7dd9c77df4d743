import type { ClusterConnection } from "../kafka/cluster.ts";
import { catchUp, listReassignments, type CatchUp, type Reassignment } from "../kafka/reassignments.ts";

/** A reassignment in progress with its leader and each adding replica's catch-up. */
export interface ReassignmentProgress extends Reassignment {
  leader: number;
  catchUp: CatchUp[];
}

/**
 * A stopped (not yet fenced) broker accepts the connection and never answers; the page shows
 * its replica's progress as unknown rather than waiting for the request timeout.
 */
const OFFSETS_WAIT_MS = 2000;

function within<T>(p: Promise<T>, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), OFFSETS_WAIT_MS)));
  return Promise.race([p.catch(() => fallback), late]).finally(() => clearTimeout(timer));
}

/**
 * The reassignments in progress (all, or one topic's) with progress: log end offsets of each
 * moving partition's leader and adding replicas (ListOffsets with the debugging replica id,
 * asked of each broker separately so one that does not answer hides only its own replicas)
 * and the log start offsets of the topics (where a new replica starts copying).
 */
export async function reassignmentProgress(cluster: ClusterConnection, topic?: string): Promise<ReassignmentProgress[]> {
  const all = await listReassignments(cluster);
  const moving = topic === undefined ? all : all.filter((r) => r.topic === topic);
  if (moving.length === 0) return [];
  const snap = await cluster.snapshot();
  const leaderOf = (r: Reassignment) => snap.byName.get(r.topic)?.partitions.find((p) => p.partition === r.partition)?.leader ?? -1;
  const byBroker = new Map<number, { topic: string; partition: number; broker: number }[]>();
  for (const r of moving) {
    for (const broker of new Set([leaderOf(r), ...r.adding])) {
      if (broker < 0) continue;
      byBroker.set(broker, [...(byBroker.get(broker) ?? []), { topic: r.topic, partition: r.partition, broker }]);
    }
  }
  const topics = [...new Set(moving.map((r) => r.topic))];
  const [endMaps, starts] = await Promise.all([
    Promise.all([...byBroker.values()].map((replicas) => within(cluster.replicaLogEndOffsets(replicas), new Map<string, bigint>()))),
    Promise.all(topics.map(async (t) => [t, await within(cluster.offsets(t), new Map<number, { low: string; high: string }>())] as const)),
  ]);
  const ends = new Map(endMaps.flatMap((m) => [...m]));
  const logStarts = new Map(starts);
  return moving.map((r) => {
    const leader = leaderOf(r);
    const low = logStarts.get(r.topic)?.get(r.partition)?.low;
    return { ...r, leader, catchUp: catchUp(r, leader, low === undefined ? null : BigInt(low), ends) };
  });
}
