import type { ObservedEvent } from "../kafka/events.ts";
import type { StateChangeFilter } from "../kafka/state-change-filter.ts";
import { replicaViews, type ReplicaView } from "../kafka/replica-status.ts";
import type { ClusterSnapshot } from "../kafka/snapshot.ts";
import type { ConsoleRuntime } from "../runtime.ts";
import { storedHistory } from "./state-changes.ts";

/** How many stored transitions (of the scope: a topic, a broker, or all) are searched for ISR shrinks. */
const HISTORY = 500;

type PartitionRef = { topic: string; partition: number };

/**
 * The replicas of the given partitions with their state, log end offsets, lag behind the
 * leader and since when they are out of sync, keyed "topic-partition". Offsets are read only
 * for partitions with a replica out of the ISR (the others lag by nothing worth a request);
 * times come from the state changes of the partitions and their replicas, live and stored
 * (`scope` narrows the stored ones read).
 */
export async function replicaStatus(rt: ConsoleRuntime, snap: ClusterSnapshot, partitions: readonly PartitionRef[], scope: StateChangeFilter = {}): Promise<Map<string, ReplicaView[]>> {
  const live = new Set(snap.brokers.map((b) => b.nodeId));
  const infos = partitions.flatMap(({ topic: t, partition }) => {
    const p = snap.byName.get(t)?.partitions.find((x) => x.partition === partition);
    return p ? [{ topic: t, p }] : [];
  });
  const lagging = infos.filter(({ p }) => p.isr.length < p.replicas.length);
  const [ends, stored] = await Promise.all([
    rt.cluster.replicaLogEndOffsets(lagging.flatMap(({ topic: t, p }) => p.replicas.map((broker) => ({ topic: t, partition: p.partition, broker })))).catch(() => new Map<string, bigint>()),
    lagging.length > 0 ? storedHistory(rt, scope, HISTORY) : Promise.resolve([] as ObservedEvent[]),
  ]);
  // Each partition's events and its replicas' ("orders-3" and "orders-3@2" both under "orders-3").
  const byPartition = new Map<string, ObservedEvent[]>();
  const seen = new Set<string>();
  for (const e of [...stored, ...rt.hub.recent()]) {
    if (e.machine !== "partition" && e.machine !== "replica") continue;
    // The live ring and the stored rows overlap; a record of __state_changes is kept once.
    const id = e.offset !== null ? `o${e.offset}` : `${e.subject} ${e.at} ${e.to}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const key = e.subject.replace(/@\d+$/, "");
    byPartition.set(key, [...(byPartition.get(key) ?? []), e]);
  }
  return new Map(infos.map(({ topic: t, p }) => [`${t}-${p.partition}`, replicaViews(t, p, live, ends, byPartition.get(`${t}-${p.partition}`) ?? [])]));
}
