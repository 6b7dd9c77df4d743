import type { StateChangeSink } from "../../events/state-change.ts";
import type { MetadataDelta } from "../metadata-delta.ts";
import type { MetadataImage, PartitionRegistration } from "../metadata-image.ts";
import { isReassigning } from "../partition-reassignment.ts";
import { StateMachine } from "./state-machine.ts";

/**
 * A partition's reassignment (KIP-455) as the state-change log tells it: Reassigning from
 * the moment its replica list grows to target + removing (again when the target changes
 * midway, and as each adding replica catches up and joins the ISR), then Completed when the
 * removing replicas leave, or Cancelled when the adding ones do. Kafka has no such machine; these names are Samsa's.
 */
export type ReassignmentState = "NoReassignment" | "Reassigning" | "Completed" | "Cancelled";

const VALID_PREVIOUS: Record<ReassignmentState, readonly ReassignmentState[]> = {
  NoReassignment: [],
  Reassigning: ["NoReassignment", "Reassigning", "Completed", "Cancelled"],
  Completed: ["Reassigning"],
  Cancelled: ["Reassigning"],
};

const subjectOf = (topic: string, partition: number) => `${topic}-${partition}`;

/** The replica list a moving partition is headed for: its replicas less the removing ones. */
const targetOf = (p: PartitionRegistration) => p.replicas.filter((r) => !p.removingReplicas.includes(r));

const sameSet = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((r) => b.includes(r));

function detailsOf(p: PartitionRegistration): Record<string, unknown> {
  return { replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas], isr: [...p.isr], leader: p.leader };
}

export class ReassignmentStates {
  private readonly sm: StateMachine<ReassignmentState>;

  constructor(sink: StateChangeSink, epoch: () => number) {
    this.sm = new StateMachine<ReassignmentState>("reassignment", "NoReassignment", VALID_PREVIOUS, sink, epoch);
  }

  state(topic: string, partition: number): ReassignmentState {
    return this.sm.state(subjectOf(topic, partition));
  }

  seed(image: MetadataImage): void {
    for (const t of image.topicsByName.values()) {
      for (const [i, p] of t.partitions) if (isReassigning(p)) this.sm.seed(subjectOf(t.name, i), "Reassigning");
    }
  }

  apply(delta: MetadataDelta, image: MetadataImage): void {
    for (const { topic, before } of delta.topicChanges(image)) {
      for (const [i, now] of topic.partitions) {
        const was = before?.partitions.get(i);
        if (was) this.follow(subjectOf(topic.name, i), was, now);
      }
    }
  }

  private follow(subject: string, was: PartitionRegistration, now: PartitionRegistration): void {
    const moving = isReassigning(now);
    const wasMoving = isReassigning(was);
    const replicasChanged = !sameSet(was.replicas, now.replicas);
    if (moving && (!wasMoving || !sameSet(targetOf(was), targetOf(now)))) {
      this.sm.transition(subject, "Reassigning", wasMoving ? "reassignment target changed" : "reassignment started", {
        from: wasMoving ? targetOf(was) : [...was.replicas],
        to: targetOf(now),
        ...detailsOf(now),
      });
    } else if (moving) {
      // Same target: each adding replica that joined the ISR has caught up.
      for (const r of now.addingReplicas) {
        if (now.isr.includes(r) && !was.isr.includes(r)) {
          this.sm.transition(subject, "Reassigning", `adding replica ${r} caught up and joined the ISR`, { broker: r, ...detailsOf(now) });
        }
      }
    } else if (wasMoving) {
      const completed = sameSet(now.replicas, targetOf(was));
      this.sm.transition(
        subject,
        completed ? "Completed" : "Cancelled",
        completed ? `every target replica is in the ISR; removed ${fmt(was.removingReplicas)}` : `reassignment cancelled; dropped ${fmt(was.addingReplicas)}`,
        detailsOf(now),
      );
    } else if (!moving && replicasChanged) {
      // Started and finished by one change: only replicas left, all in the ISR already.
      this.sm.transition(subject, "Reassigning", "reassignment started", { from: [...was.replicas], to: [...now.replicas], ...detailsOf(now) });
      this.sm.transition(subject, "Completed", `every target replica is in the ISR; removed ${fmt(was.replicas.filter((r) => !now.replicas.includes(r)))}`, detailsOf(now));
    }
  }
}

const fmt = (ids: readonly number[]) => `[${ids.join(", ")}]`;
