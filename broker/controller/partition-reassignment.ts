import type { PartitionRegistration } from "./metadata-image.ts";

/**
 * A partition's replica sets while it moves (Kafka's PartitionReassignmentReplicas): the
 * replica list is the target followed by the replicas being removed, so the partition keeps
 * every old copy until the new ones have caught up.
 */
export interface ReassignmentReplicas {
  replicas: number[];
  adding: number[];
  removing: number[];
}

/** The replica sets that move a partition from `current` to `target` (both in preferred order). */
export function reassignmentReplicas(current: readonly number[], target: readonly number[]): ReassignmentReplicas {
  const removing = current.filter((r) => !target.includes(r));
  const adding = target.filter((r) => !current.includes(r));
  return { replicas: [...target, ...removing], adding, removing };
}

/** Whether a partition is moving (Kafka's isReassignmentInProgress). */
export function isReassigning(p: Pick<PartitionRegistration, "addingReplicas" | "removingReplicas">): boolean {
  return p.addingReplicas.length > 0 || p.removingReplicas.length > 0;
}

/**
 * The replicas and ISR a finished reassignment leaves (Kafka's maybeCompleteReassignment), or
 * null while it is not finished: it is when, without the removing replicas, the ISR is not
 * empty and holds every remaining replica.
 */
export function completedReassignment(
  sets: ReassignmentReplicas,
  targetIsr: readonly number[],
): { replicas: number[]; isr: number[] } | null {
  if (sets.adding.length === 0 && sets.removing.length === 0) return null;
  const isr = targetIsr.filter((r) => !sets.removing.includes(r));
  const replicas = sets.replicas.filter((r) => !sets.removing.includes(r));
  if (isr.length === 0) return null;
  if (!replicas.every((r) => isr.includes(r))) return null;
  return { replicas, isr };
}

/**
 * What cancelling a reassignment goes back to (Kafka's PartitionReassignmentRevert): every
 * replica but the ones being added, in the current order, and the ISR without them. An empty
 * ISR means only an unclean election could lead the reverted partition.
 */
export function revertedReassignment(p: PartitionRegistration): { replicas: number[]; isr: number[]; unclean: boolean } {
  const replicas = p.replicas.filter((r) => !p.addingReplicas.includes(r));
  const isr = p.isr.filter((r) => !p.addingReplicas.includes(r));
  return { replicas, isr, unclean: isr.length === 0 };
}
