import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { type ApiError, type ControlContext, type ControllerResult, apiErrorOf, NO_ERROR } from "./controller-result.ts";
import type { MetadataImage, PartitionRegistration, TopicImage } from "./metadata-image.ts";
import type { MetadataRecord } from "./metadata-record-serde.ts";
import { PartitionChangeBuilder } from "./partition-change-builder.ts";
import { isReassigning, reassignmentReplicas, revertedReassignment } from "./partition-reassignment.ts";
import { defaultDir, electionFor, validateManualAssignment } from "./replication-control.ts";

/**
 * Partition reassignment on the controller (KIP-455, Kafka's ReplicationControlManager
 * alterPartitionReassignments / listPartitionReassignments): a reassignment is a partition
 * change whose replica list grows to target + removing; the PartitionChangeBuilder finishes
 * it when every target replica is in the ISR.
 */

export interface AlterPartitionReassignmentsCommand {
  /** Per partition the target replicas in preferred order; null cancels its reassignment. */
  topics: readonly { name: string; partitions: readonly { partitionIndex: number; replicas: readonly number[] | null }[] }[];
}

export interface ReassignablePartitionResult extends ApiError {
  partitionIndex: number;
}

export interface ReassignableTopicResult {
  name: string;
  partitions: ReassignablePartitionResult[];
}

/** One moving partition as ListPartitionReassignments reports it. */
export interface OngoingPartitionReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface OngoingTopicReassignment {
  name: string;
  partitions: OngoingPartitionReassignment[];
}

/** Each partition on its own: one bad plan fails only its partition (Kafka commits the rest atomically). */
export function alterPartitionReassignments(ctx: ControlContext, cmd: AlterPartitionReassignmentsCommand): ControllerResult<ReassignableTopicResult[]> {
  const records: MetadataRecord[] = [];
  const response = cmd.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((target): ReassignablePartitionResult => {
      try {
        const record = alterPartitionReassignment(ctx, topic.name, target.partitionIndex, target.replicas);
        if (record) records.push(record);
        return { partitionIndex: target.partitionIndex, ...NO_ERROR };
      } catch (e) {
        return { partitionIndex: target.partitionIndex, ...apiErrorOf(e) };
      }
    }),
  }));
  return { records, response };
}

function alterPartitionReassignment(ctx: ControlContext, topicName: string, partitionIndex: number, target: readonly number[] | null): MetadataRecord | null {
  const topic = ctx.image.topicsByName.get(topicName);
  if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${topicName}.`);
  const partition = topic.partitions.get(partitionIndex);
  if (!partition) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topicName}:${partitionIndex}.`);
  return target === null ? cancelReassignment(ctx, topic, partitionIndex, partition) : changeReassignment(ctx, topic, partitionIndex, partition, target);
}

function builder(ctx: ControlContext, topic: TopicImage, partitionIndex: number, partition: PartitionRegistration): PartitionChangeBuilder {
  const { image } = ctx;
  return new PartitionChangeBuilder(partition, topic.id, partitionIndex, (r) => image.isActiveBroker(r), image.metadataVersion() ?? 0)
    .setElection(electionFor(ctx, topic.name))
    .setDefaultDirProvider((r) => defaultDir(image, r));
}

/**
 * Kafka's changePartitionReassignment: validate the target like a manual assignment, then
 * move from the current replica list (which, mid-reassignment, still holds the replicas being
 * added and removed) to the target. A target that is already the replica list changes nothing.
 */
function changeReassignment(ctx: ControlContext, topic: TopicImage, partitionIndex: number, partition: PartitionRegistration, target: readonly number[]): MetadataRecord | null {
  validateManualAssignment(ctx.image, target, undefined);
  const sets = reassignmentReplicas(partition.replicas, target);
  return builder(ctx, topic, partitionIndex, partition)
    .setTargetReplicas(sets.replicas)
    .setTargetAdding(sets.adding)
    .setTargetRemoving(sets.removing)
    .build();
}

/**
 * Kafka's cancelPartitionReassignment: back to the replicas it had, less the ones being
 * added; if none of those is in the ISR only a topic allowing unclean elections may revert.
 */
function cancelReassignment(ctx: ControlContext, topic: TopicImage, partitionIndex: number, partition: PartitionRegistration): MetadataRecord | null {
  if (!isReassigning(partition)) throw new KafkaError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
  const revert = revertedReassignment(partition);
  if (revert.unclean && electionFor(ctx, topic.name) !== "unclean") {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `Unable to revert partition assignment for ${topic.name}:${partitionIndex} because it would require an unclean leader election.`,
    );
  }
  return builder(ctx, topic, partitionIndex, partition).setTargetIsr(revert.isr).setTargetReplicas(revert.replicas).setTargetAdding([]).setTargetRemoving([]).build();
}

/**
 * Kafka's listReassigningTopics: every moving partition (topics null), or the moving ones
 * among those asked for; unknown topics and partitions, and ones not moving, are left out.
 */
export function listPartitionReassignments(
  image: MetadataImage,
  topics: readonly { name: string; partitionIndexes: readonly number[] }[] | null,
): OngoingTopicReassignment[] {
  const asked = topics ?? [...image.topicsByName.values()].map((t) => ({ name: t.name, partitionIndexes: [...t.partitions.keys()] }));
  const out: OngoingTopicReassignment[] = [];
  for (const { name, partitionIndexes } of asked) {
    const topic = image.topicsByName.get(name);
    if (!topic) continue;
    const partitions: OngoingPartitionReassignment[] = [];
    for (const i of partitionIndexes) {
      const p = topic.partitions.get(i);
      if (!p || !isReassigning(p)) continue;
      partitions.push({ partitionIndex: i, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] });
    }
    if (partitions.length > 0) out.push({ name, partitions });
  }
  return out;
}
