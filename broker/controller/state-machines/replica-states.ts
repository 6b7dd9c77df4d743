import type { StateChangeSink } from "../../events/state-change.ts";
import type { MetadataDelta } from "../metadata-delta.ts";
import type { MetadataImage, PartitionRegistration, TopicImage } from "../metadata-image.ts";
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
 * The replica state machine over committed metadata: a new replica is Online once its broker
 * is active; any replica goes Offline when its broker is fenced or gone, and back Online once
 * its broker is active and the replica is in the ISR again (it caught up with its leader, or
 * was the last in-sync copy); a replica leaving its partition (topic deletion, reassignment)
 * goes Offline and ReplicaDeletionStarted here, the rest on the broker that deletes it.
 */
function backOnlineCause(broker: number, now: PartitionRegistration, isrBefore: readonly number[] | undefined): string {
  if (isrBefore === undefined || isrBefore.includes(broker)) return `broker ${broker} is active again and the replica is in the ISR`;
  // Outside the ISR until now: the leader added it (caught up), or an unclean election made it leader.
  return now.leader === broker ? `replica ${broker} was elected leader from outside the ISR` : `replica ${broker} rejoined the ISR after catching up`;
}

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
        const previous = before?.partitions.get(i);
        for (const b of p.replicas) this.follow(topic.name, i, b, image, p, previous?.isr, "replica assigned");
        for (const b of previous?.replicas ?? []) {
          if (!p.replicas.includes(b)) this.remove(topic.name, i, b, "replica reassigned away");
        }
      }
    }
    if (delta.changedBrokers.size === 0) return;
    for (const t of image.topicsByName.values()) {
      for (const [i, p] of t.partitions) {
        for (const b of p.replicas) if (delta.changedBrokers.has(b)) this.follow(t.name, i, b, image, p, undefined, "broker state changed");
      }
    }
  }

  /**
   * Brings a replica Offline when its broker is not active, and Online when it is (an Offline
   * one only once it is in the partition's ISR; `isrBefore` tells a rejoin from a last copy kept).
   */
  private follow(
    topic: string,
    partition: number,
    broker: number,
    image: MetadataImage,
    partitionNow: PartitionRegistration,
    isrBefore: readonly number[] | undefined,
    cause: string,
  ): void {
    const subject = subjectOf(topic, partition, broker);
    if (this.sm.state(subject) === "NonExistentReplica") this.sm.transition(subject, "NewReplica", cause, { broker });
    const state = this.sm.state(subject);
    if (!image.isActiveBroker(broker)) {
      if (state !== "OfflineReplica") this.sm.transition(subject, "OfflineReplica", `broker ${broker} is fenced or shutting down`, { broker });
    } else if (state === "NewReplica") {
      this.sm.transition(subject, "OnlineReplica", `broker ${broker} is active`, { broker });
    } else if (state === "OfflineReplica" && partitionNow.isr.includes(broker)) {
      this.sm.transition(subject, "OnlineReplica", backOnlineCause(broker, partitionNow, isrBefore), { broker, leader: partitionNow.leader, isr: [...partitionNow.isr] });
    }
  }

  /**
   * The controller takes the replica out (Offline, then ReplicaDeletionStarted); the broker
   * that deletes its log reports ReplicaDeletionSuccessful and NonExistentReplica
   * (replicaDeletionEvents), so each transition is written once, by the node that made it.
   */
  private remove(topic: string, partition: number, broker: number, cause: string): void {
    const subject = subjectOf(topic, partition, broker);
    if (this.sm.state(subject) === "NonExistentReplica") return;
    if (this.sm.state(subject) !== "OfflineReplica") this.sm.transition(subject, "OfflineReplica", cause, { broker });
    this.sm.transition(subject, "ReplicaDeletionStarted", cause, { broker });
    this.sm.forget(subject);
  }

  private deleteTopic(topic: TopicImage): void {
    for (const [i, p] of topic.partitions) for (const b of p.replicas) this.remove(topic.name, i, b, "topic deleted");
  }
}
