import type { StateChangeSink } from "./state-change.ts";

type Event = Parameters<StateChangeSink>[0];

/**
 * The end of a removed replica's life (machine "replica"), reported by the broker that deleted
 * its log once it is gone: ReplicaDeletionStarted → ReplicaDeletionSuccessful →
 * NonExistentReplica. The controller reported the steps before (it took the replica out).
 */
export function replicaDeletionEvents(topic: string, partition: number, broker: number, cause: string, details: Record<string, unknown>, epoch: number): Event[] {
  const subject = `${topic}-${partition}@${broker}`;
  return [
    { machine: "replica", subject, from: "ReplicaDeletionStarted", to: "ReplicaDeletionSuccessful", cause: `log deleted on broker ${broker}: ${cause}`, details: { broker, ...details }, epoch },
    { machine: "replica", subject, from: "ReplicaDeletionSuccessful", to: "NonExistentReplica", cause, details: { broker }, epoch },
  ];
}
