import type { StateChangeSink } from "../../events/state-change.ts";
import type { MetadataDelta } from "../metadata-delta.ts";
import type { MetadataImage, PartitionRegistration, TopicImage } from "../metadata-image.ts";
import { StateMachine } from "./state-machine.ts";

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
 * The partition state machine, driven by committed metadata: a new partition is
 * NewPartition, then OnlinePartition once it has a leader (OfflinePartition without one);
 * leader changes are Online -> Online; a deleted topic's partitions go Offline, then cease
 * to exist.
 */
export class PartitionStates {
  private readonly sm: StateMachine<PartitionState>;

  constructor(sink: StateChangeSink, epoch: () => number) {
    this.sm = new StateMachine<PartitionState>("partition", "NonExistentPartition", VALID_PREVIOUS, sink, epoch);
  }

  state(topic: string, partition: number): PartitionState {
    return this.sm.state(subjectOf(topic, partition));
  }

  seed(image: MetadataImage): void {
    for (const t of image.topicsByName.values()) {
      for (const [i, p] of t.partitions) this.sm.seed(subjectOf(t.name, i), p.leader >= 0 ? "OnlinePartition" : "OfflinePartition");
    }
  }

  apply(delta: MetadataDelta, image: MetadataImage): void {
    for (const gone of delta.deletedTopics.values()) this.deleteTopic(gone);
    for (const { topic, before } of delta.topicChanges(image)) {
      for (const [i, p] of topic.partitions) this.update(topic.name, i, before !== undefined, before?.partitions.get(i), p);
    }
  }

  private update(topic: string, index: number, topicExisted: boolean, before: PartitionRegistration | undefined, now: PartitionRegistration): void {
    const subject = subjectOf(topic, index);
    const details = detailsOf(now);
    if (this.sm.state(subject) === "NonExistentPartition") {
      this.sm.transition(subject, "NewPartition", topicExisted ? "partition added" : "topic created", details);
    }
    const state = this.sm.state(subject);
    if (now.leader < 0) {
      if (state !== "OfflinePartition") this.sm.transition(subject, "OfflinePartition", "no leader: no live replica in the ISR", details);
    } else if (state !== "OnlinePartition") {
      this.sm.transition(subject, "OnlinePartition", `leader elected: broker ${now.leader}`, details);
    } else if (before && (before.leader !== now.leader || before.leaderEpoch !== now.leaderEpoch)) {
      this.sm.transition(subject, "OnlinePartition", `leader changed from broker ${before.leader} to ${now.leader}`, details);
    }
  }

  private deleteTopic(topic: TopicImage): void {
    for (const [i, p] of topic.partitions) {
      const subject = subjectOf(topic.name, i);
      if (this.sm.state(subject) !== "OfflinePartition") this.sm.transition(subject, "OfflinePartition", "topic deletion started", detailsOf(p));
      this.sm.transition(subject, "NonExistentPartition", "topic deleted", { topicId: topic.id });
    }
  }
}
