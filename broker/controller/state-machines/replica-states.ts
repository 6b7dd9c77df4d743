import type { StateChangeSink } from "../../events/state-change.ts";
import type { MetadataDelta } from "../metadata-delta.ts";
import type { MetadataImage, TopicImage } from "../metadata-image.ts";
import { StateMachine } from "./state-machine.ts";

/** Kafka's ReplicaState names and ReplicaStateMachine's legal transitions. */
export type ReplicaState =
  | "NewReplica"
  | "OnlineReplica"
  | "OfflineReplica"
  | "ReplicaDeletionStarted"
  | "ReplicaDeletionSuccessful"
  | "ReplicaDeletionIneligible"
  | "NonExistentReplica";

const VALID_PREVIOUS: Record<ReplicaState, readonly ReplicaState[]> = {
  NewReplica: ["NonExistentReplica"],
  OnlineReplica: ["NewReplica", "OnlineReplica", "OfflineReplica", "ReplicaDeletionIneligible"],
  OfflineReplica: ["NewReplica", "OnlineReplica", "OfflineReplica", "ReplicaDeletionIneligible"],
  ReplicaDeletionStarted: ["OfflineReplica"],
  ReplicaDeletionSuccessful: ["ReplicaDeletionStarted"],
  ReplicaDeletionIneligible: ["OfflineReplica", "ReplicaDeletionStarted"],
  NonExistentReplica: ["ReplicaDeletionSuccessful"],
};

const subjectOf = (topic: string, partition: number, broker: number) => `${topic}-${partition}@${broker}`;

/**
 * The replica state machine over committed metadata: a replica is Online while its broker
 * is active and Offline while it is fenced or gone; a replica leaving its partition (topic
 * deletion, reassignment) walks Kafka's deletion states to NonExistentReplica.
 */
export class ReplicaStates {
  private readonly sm: StateMachine<ReplicaState>;

  constructor(sink: StateChangeSink, epoch: () => number) {
    this.sm = new StateMachine<ReplicaState>("replica", "NonExistentReplica", VALID_PREVIOUS, sink, epoch);
  }

  state(topic: string, partition: number, broker: number): ReplicaState {
    return this.sm.state(subjectOf(topic, partition, broker));
  }

  seed(image: MetadataImage): void {
    for (const t of image.topicsByName.values()) {
      for (const [i, p] of t.partitions) {
        for (const b of p.replicas) this.sm.seed(subjectOf(t.name, i, b), image.isActiveBroker(b) ? "OnlineReplica" : "OfflineReplica");
      }
    }
  }

  apply(delta: MetadataDelta, image: MetadataImage): void {
    for (const gone of delta.deletedTopics.values()) this.deleteTopic(gone);
    for (const { topic, before } of delta.topicChanges(image)) {
      for (const [i, p] of topic.partitions) {
        for (const b of p.replicas) this.follow(topic.name, i, b, image, "replica assigned");
        for (const b of before?.partitions.get(i)?.replicas ?? []) {
          if (!p.replicas.includes(b)) this.remove(topic.name, i, b, "replica reassigned away");
        }
      }
    }
    if (delta.changedBrokers.size === 0) return;
    for (const t of image.topicsByName.values()) {
      for (const [i, p] of t.partitions) {
        for (const b of p.replicas) if (delta.changedBrokers.has(b)) this.follow(t.name, i, b, image, "broker state changed");
      }
    }
  }

  /** Brings a replica to Online or Offline according to its broker. */
  private follow(topic: string, partition: number, broker: number, image: MetadataImage, cause: string): void {
    const subject = subjectOf(topic, partition, broker);
    if (this.sm.state(subject) === "NonExistentReplica") this.sm.transition(subject, "NewReplica", cause, { broker });
    const target: ReplicaState = image.isActiveBroker(broker) ? "OnlineReplica" : "OfflineReplica";
    if (this.sm.state(subject) !== target) {
      this.sm.transition(subject, target, target === "OnlineReplica" ? `broker ${broker} is active` : `broker ${broker} is fenced or shutting down`, { broker });
    }
  }

  private remove(topic: string, partition: number, broker: number, cause: string): void {
    const subject = subjectOf(topic, partition, broker);
    if (this.sm.state(subject) === "NonExistentReplica") return;
    if (this.sm.state(subject) !== "OfflineReplica") this.sm.transition(subject, "OfflineReplica", cause, { broker });
    this.sm.transition(subject, "ReplicaDeletionStarted", cause, { broker });
    this.sm.transition(subject, "ReplicaDeletionSuccessful", "replica log deleted", { broker });
    this.sm.transition(subject, "NonExistentReplica", cause, { broker });
  }

  private deleteTopic(topic: TopicImage): void {
    for (const [i, p] of topic.partitions) for (const b of p.replicas) this.remove(topic.name, i, b, "topic deleted");
  }
}
