import type { StateChangeSink } from "../../events/state-change.ts";
import type { ImageListener } from "../controller.ts";
import { BrokerStates } from "./broker-states.ts";
import { PartitionStates, type RequestedElectionCause } from "./partition-states.ts";
import { ReassignmentStates } from "./reassignment-states.ts";
import { ReplicaStates } from "./replica-states.ts";

/**
 * Runs the broker, partition, reassignment and replica state machines over the controller's committed
 * metadata. The first image (the log replayed at start-up) only seeds their states: what
 * happened before this controller started was reported by the one that made it happen.
 * Every node tracks the states; only the active controller reports, so each transition is
 * written once.
 */
export function clusterStateObserver(sink: StateChangeSink, epoch: () => number, isActive: () => boolean, requestedCause?: RequestedElectionCause): ImageListener {
  const report: StateChangeSink = (e) => {
    if (isActive()) sink(e);
  };
  const machines = [new BrokerStates(report, epoch), new PartitionStates(report, epoch, requestedCause), new ReassignmentStates(report, epoch), new ReplicaStates(report, epoch)];
  let seeded = false;
  return (image, delta) => {
    if (!seeded) {
      seeded = true;
      for (const m of machines) m.seed(image);
      return;
    }
    for (const m of machines) m.apply(delta, image);
  };
}
