import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { type ApiError, apiError, type ControlContext, type ControllerResult, NO_ERROR } from "./controller-result.ts";
import { NO_LEADER, type PartitionRegistration, type TopicImage } from "./metadata-image.ts";
import type { MetadataRecord } from "./metadata-record-serde.ts";
import { type Election, PartitionChangeBuilder } from "./partition-change-builder.ts";

/**
 * Leader elections an operator asks for (ElectLeaders, KIP-460) and the active controller's
 * automatic preferred-leader rebalance (auto.leader.rebalance.enable), as Kafka 3.9's
 * ReplicationControlManager.electLeaders and maybeBalancePartitionLeaders do them: each is a
 * PartitionChangeBuilder election; nothing here writes.
 */

/** ElectLeaders' electionType (Kafka's ElectionType): v0 requests are preferred elections. */
export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

export interface ElectLeadersCommand {
  electionType: number;
  /** null: every partition of every topic. */
  topicPartitions: readonly { topic: string; partitions: readonly number[] }[] | null;
}

export interface ElectLeadersPartitionResult extends ApiError {
  partitionId: number;
}

export interface ElectLeadersTopicResult {
  topic: string;
  partitionResult: ElectLeadersPartitionResult[];
}

/** Kafka's maxElectionsPerImbalance: elections per run of the automatic rebalance. */
export const MAX_BALANCE_ELECTIONS_PER_RUN = 1000;

/** Kafka's PartitionRegistration.hasPreferredLeader: the first replica leads. */
export function hasPreferredLeader(p: PartitionRegistration): boolean {
  return p.replicas.length > 0 && p.leader === p.replicas[0];
}

/**
 * ElectLeaders (Kafka's electLeaders): a preferred election moves each partition's lead to
 * its first replica when that one is in the ISR and live; an unclean one elects a leader for
 * a leaderless partition even outside the ISR, whatever the topic's
 * unclean.leader.election.enable. Per partition: ELECTION_NOT_NEEDED when nothing is to be
 * done, PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE when no one can lead,
 * UNKNOWN_TOPIC_OR_PARTITION. With every partition asked for (null), partitions that need no
 * election are left out of the reply. An unknown election type is an INVALID_REQUEST (thrown).
 */
export function electLeaders(ctx: ControlContext, cmd: ElectLeadersCommand): ControllerResult<ElectLeadersTopicResult[]> {
  const election = electionOf(cmd.electionType);
  const records: MetadataRecord[] = [];
  const response: ElectLeadersTopicResult[] = [];
  if (cmd.topicPartitions === null) {
    for (const topic of ctx.image.topicsByName.values()) {
      const partitionResult: ElectLeadersPartitionResult[] = [];
      for (const partitionId of topic.partitions.keys()) {
        const error = electLeader(ctx, topic.name, partitionId, election, records);
        if (error.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) partitionResult.push({ partitionId, ...error });
      }
      response.push({ topic: topic.name, partitionResult });
    }
  } else {
    for (const t of cmd.topicPartitions) {
      response.push({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, ...electLeader(ctx, t.topic, partitionId, election, records) })) });
    }
  }
  return { records, response };
}

function electionOf(electionType: number): Election {
  if (electionType === ElectionType.PREFERRED) return "preferred";
  if (electionType === ElectionType.UNCLEAN) return "unclean";
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown election type ${electionType}`);
}

/** Kafka's electLeader: one partition's election, its record added to `records`. */
function electLeader(ctx: ControlContext, topicName: string, partitionId: number, election: Election, records: MetadataRecord[]): ApiError {
  const topic = ctx.image.topicsByName.get(topicName);
  if (!topic) return apiError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such topic as ${topicName}`);
  const partition = topic.partitions.get(partitionId);
  if (!partition) return apiError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topicName}-${partitionId}`);
  if ((election === "preferred" && hasPreferredLeader(partition)) || (election === "unclean" && partition.leader !== NO_LEADER)) {
    return apiError(ErrorCode.ELECTION_NOT_NEEDED, "Leader election not needed for topic partition.");
  }
  const record = changeFor(ctx, topic, partitionId, partition, election);
  if (!record) {
    return election === "preferred"
      ? apiError(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, "The preferred leader was not available.")
      : apiError(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, "Eligible topic partition leaders are not available.");
  }
  records.push(record);
  return NO_ERROR;
}

function changeFor(ctx: ControlContext, topic: TopicImage, partitionId: number, partition: PartitionRegistration, election: Election): MetadataRecord | null {
  const level = ctx.image.metadataVersion() ?? 0;
  return new PartitionChangeBuilder(partition, topic.id, partitionId, (r) => ctx.image.isActiveBroker(r), level).setElection(election).build();
}

/**
 * One run of the automatic rebalance (Kafka's maybeBalancePartitionLeaders): a preferred
 * election for each partition whose first replica does not lead, up to
 * MAX_BALANCE_ELECTIONS_PER_RUN; it changes only those whose first replica is in the ISR and
 * live (or that have no leader and an ISR member that can lead). `more`: the run hit the cap.
 */
export function balancePartitionLeaders(ctx: ControlContext): ControllerResult<{ more: boolean }> {
  const records: MetadataRecord[] = [];
  for (const topic of ctx.image.topicsById.values()) {
    for (const [partitionId, p] of topic.partitions) {
      if (records.length >= MAX_BALANCE_ELECTIONS_PER_RUN) return { records, response: { more: true } };
      if (hasPreferredLeader(p)) continue;
      const record = changeFor(ctx, topic, partitionId, p, "preferred");
      if (record) records.push(record);
    }
  }
  return { records, response: { more: records.length >= MAX_BALANCE_ELECTIONS_PER_RUN } };
}

/** Whether any of `topics` has a partition its first replica does not lead (Kafka's imbalancedPartitions is not empty). */
export function hasImbalancedPartitions(topics: Iterable<TopicImage>): boolean {
  for (const topic of topics) for (const p of topic.partitions.values()) if (!hasPreferredLeader(p)) return true;
  return false;
}

