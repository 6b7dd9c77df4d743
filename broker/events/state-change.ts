/**
 * One transition of one of the cluster's state machines, as written to `__state_changes`
 * (record key = subject, value = this object as JSON). States use Kafka's names.
 */
export type StateMachineName = "partition" | "replica" | "group" | "broker" | "controller" | "reassignment";

export interface StateChangeEvent {
  machine: StateMachineName;
  /** What changed: "orders-3", "orders-3@2", a group id, a broker id. */
  subject: string;
  from: string;
  to: string;
  /** Why, in words an operator reads ("member m-1 left", "broker 2 fenced: missed heartbeats"). */
  cause: string;
  details: Record<string, unknown>;
  /** The node that made the transition, its epoch (controller epoch, generation...), and when. */
  node: number;
  epoch: number;
  at: number;
}

export const STATE_CHANGES_TOPIC = "__state_changes";

/** Anything that reports transitions; the publisher is one, tests use arrays. */
export type StateChangeSink = (event: Omit<StateChangeEvent, "node" | "at"> & { at?: number }) => void;
