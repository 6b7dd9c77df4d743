import type { StateChangeSink } from "../../events/state-change.ts";
import type { MetadataDelta } from "../metadata-delta.ts";
import type { MetadataImage, PartitionRegistration, TopicImage } from "../metadata-image.ts";
import { StateMachine } from "./state-machine.ts";

/** Who asked for a partition's leader change being committed (an admin's ElectLeaders, the rebalance), if anyone did. */
export type RequestedElectionCause = (topicId: string, partitionId: number) => string | undefined;

/** Kafka's PartitionState names and PartitionStateMachine's legal transitions. */
export type PartitionState = "NonExistentPartition" | "NewPartition" | "OnlinePartition" | "OfflinePartition";

const VALID_PREVIOUS: Record<PartitionState, readonly PartitionState[]> = {
  NonExistentPartition: ["OfflinePartition"],
  NewPartition: ["NonExistentPartition"],
  OnlinePartition: ["NewPartition", "OnlinePartition", "OfflinePartition"],
  OfflinePartition: ["NewPartition", "OnlinePartition", "OfflinePartition"],
};

const subjectOf = (topic: string, partition: number) => `${topic}-${partition}`;

function detailsOf(p: PartitionRegistration): Record<string, unknown> {
  return { leader: p.leader, isr: [...p.isr], replicas: [...p.replicas], leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch };
}

/**
 * How `now.leader` was chosen: clean when it was in the ISR the partition had before (or the
 * partition is new), unclean otherwise (unclean.leader.election.enable: the controller took a
 * live replica outside the ISR, which makes it the whole ISR and RECOVERING).
 */
function election(before: PartitionRegistration | undefined, now: PartitionRegistration, previousLeader: number): { cause: string; details: Record<string, unknown> } {
  const unclean = before !== undefined && !before.isr.includes(now.leader);
  const isrBefore = `[${(before?.isr ?? now.isr).join(", ")}]`;
  const cause = unclean
    ? `unclean election: broker ${now.leader} was not in the ISR ${isrBefore} (unclean.leader.election.enable), records only the ISR had are lost`
    : `clean election from the ISR ${isrBefore}`;
  return { cause, details: { election: unclean ? "unclean" : "clean", previousLeader, leaderRecoveryState: now.leaderRecoveryState } };
}

/**
 * The partition state machine, driven by committed metadata: a new partition is
 * NewPartition, then OnlinePartition once it has a leader (OfflinePartition without one);
 * leader changes are Online -> Online; a deleted topic's partitions go Offline, then cease
 * to exist.
 */
export class PartitionStates {
  private readonly sm: StateMachine<PartitionState>;
  /** Each partition's last leader (-1: none known), so an election names it even after an offline spell. */
  private readonly lastLeader = new Map<string, number>();

  constructor(
    sink: StateChangeSink,
    epoch: () => number,
    private readonly requestedCause: RequestedElectionCause = () => undefined,
  ) {
    this.sm = new StateMachine<PartitionState>("partition", "NonExistentPartition", VALID_PREVIOUS, sink, epoch);
  }

  state(topic: string, partition: number): PartitionState {
    return this.sm.state(subjectOf(topic, partition));
  }

  seed(image: MetadataImage): void {
    for (const t of image.topicsByName.values()) {
      for (const [i, p] of t.partitions) {
        this.sm.seed(subjectOf(t.name, i), p.leader >= 0 ? "OnlinePartition" : "OfflinePartition");
        if (p.leader >= 0) this.lastLeader.set(subjectOf(t.name, i), p.leader);
      }
    }
  }

  apply(delta: MetadataDelta, image: MetadataImage): void {
    for (const gone of delta.deletedTopics.values()) this.deleteTopic(gone);
    for (const { topic, before } of delta.topicChanges(image)) {
      for (const [i, p] of topic.partitions) this.update(topic, i, before !== undefined, before?.partitions.get(i), p);
    }
  }

  private update(topic: TopicImage, index: number, topicExisted: boolean, before: PartitionRegistration | undefined, now: PartitionRegistration): void {
    const subject = subjectOf(topic.name, index);
    const requested = this.requestedCause(topic.id, index);
    const by = requested ? ` by ${requested}` : "";
    const details = detailsOf(now);
    if (this.sm.state(subject) === "NonExistentPartition") {
      this.sm.transition(subject, "NewPartition", topicExisted ? "partition added" : "topic created", details);
    }
    const state = this.sm.state(subject);
    const previousLeader = this.lastLeader.get(subject) ?? -1;
    if (now.leader >= 0) this.lastLeader.set(subject, now.leader);
    if (now.leader < 0) {
      if (state !== "OfflinePartition") {
        const cause = `no leader can be chosen: no live replica in the ISR [${now.isr.join(", ")}]`;
        this.sm.transition(subject, "OfflinePartition", cause, { ...details, previousLeader });
      }
    } else if (state !== "OnlinePartition") {
      const e = election(state === "NewPartition" ? undefined : before, now, previousLeader);
      this.sm.transition(subject, "OnlinePartition", `leader elected${by}: broker ${now.leader}, ${e.cause}`, { ...details, ...e.details });
    } else if (before && (before.leader !== now.leader || before.leaderEpoch !== now.leaderEpoch)) {
      const e = election(before, now, previousLeader);
      this.sm.transition(subject, "OnlinePartition", `leader changed from broker ${before.leader} to ${now.leader}${by}, ${e.cause}`, { ...details, ...e.details });
    }
  }

  private deleteTopic(topic: TopicImage): void {
    for (const [i, p] of topic.partitions) {
      const subject = subjectOf(topic.name, i);
      this.lastLeader.delete(subject);
      if (this.sm.state(subject) !== "OfflinePartition") this.sm.transition(subject, "OfflinePartition", "topic deletion started", detailsOf(p));
      this.sm.transition(subject, "NonExistentPartition", "topic deleted", { topicId: topic.id });
    }
  }
}
