import { isInternalTopic } from "../../controller/topic-names.ts";
import type { MetadataImage } from "../../controller/metadata-image.ts";
import { ErrorCode, errorCodeOf, KafkaError } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { DescribeTopicPartitionsRequest } from "../../protocol/generated/message/DescribeTopicPartitionsRequest.ts";
import type { DescribeTopicPartitionsResponseCursor, DescribeTopicPartitionsResponseTopic } from "../../protocol/generated/message/DescribeTopicPartitionsResponse.ts";
import { ZERO_UUID } from "../../protocol/generated/support.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";
import { missingTopicError, offlineReplicas } from "./metadata.ts";

/** Kafka's max.request.partition.size.limit default: the most partitions one reply carries. */
const MAX_PARTITIONS_PER_REPLY = 2000;

/**
 * Without an authorizer Kafka reports every operation a topic supports: READ (3), WRITE (4),
 * CREATE (5), DELETE (6), ALTER (7), DESCRIBE (8), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11).
 */
const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

/**
 * DescribeTopicPartitions (KIP-966; Kafka 3.9's DescribeTopicPartitionsRequestHandler): the
 * requested topics (every topic for an empty list) in name order, from the cursor on, up to
 * responsePartitionLimit partitions (capped at 2000), with a next cursor where the reply
 * stops. Eligible leader replicas are not kept (ELR is off in Kafka 3.9 by default), so
 * those lists are empty. Requested topics that do not exist are UNKNOWN_TOPIC_OR_PARTITION
 * (INVALID_TOPIC_EXCEPTION for an illegal name); listing all topics leaves nothing missing.
 */
export function describeTopicPartitionsHandler(services: BrokerServices): ApiHandler<75> {
  return async (req): Promise<ApiResponse<75>> => {
    try {
      return { throttleTimeMs: 0, ...describe(services.metadata(), req) };
    } catch (err) {
      // Kafka's error response: each requested topic with the error.
      const errorCode = errorCodeOf(err);
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 })),
        nextCursor: null,
      };
    }
  };
}

function describe(image: MetadataImage, req: DescribeTopicPartitionsRequest): Pick<ApiResponse<75>, "topics" | "nextCursor"> {
  const all = req.topics.length === 0;
  const cursor = req.cursor;
  const fromTopic = cursor?.topicName ?? "";
  const names = new Set((all ? [...image.topicsByName.keys()] : req.topics.map((t) => t.name)).filter((n) => n >= fromTopic));
  if (!all && cursor && !names.has(cursor.topicName)) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, `DescribeTopicPartitionsRequest topic list should contain the cursor topic: ${cursor.topicName}`);
  }
  if (cursor && cursor.partitionIndex < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, "DescribeTopicPartitionsRequest cursor partition must be valid");
  let remaining = Math.max(Math.min(MAX_PARTITIONS_PER_REPLY, req.responsePartitionLimit), 1);
  const topics: DescribeTopicPartitionsResponseTopic[] = [];
  let nextCursor: DescribeTopicPartitionsResponseCursor | null = null;
  for (const name of [...names].sort()) {
    if (remaining === 0) {
      // The next reply starts with this topic (whether or not it exists, as in Kafka).
      nextCursor = { topicName: name, partitionIndex: 0 };
      break;
    }
    const topic = image.topicsByName.get(name);
    if (!topic) {
      if (!all) topics.push({ errorCode: missingTopicError(name), name, topicId: ZERO_UUID, isInternal: isInternalTopic(name), partitions: [], topicAuthorizedOperations: TOPIC_OPERATIONS });
      continue;
    }
    const start = name === cursor?.topicName ? cursor.partitionIndex : 0;
    const end = Math.min(topic.partitions.size, start + remaining);
    const partitions = [];
    for (let i = start; i < end; i++) {
      const p = topic.partitions.get(i);
      if (!p) continue;
      partitions.push({
        errorCode: ErrorCode.NONE,
        partitionIndex: i,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: offlineReplicas(image, p),
      });
    }
    topics.push({ errorCode: ErrorCode.NONE, name, topicId: topic.id, isInternal: isInternalTopic(name), partitions, topicAuthorizedOperations: TOPIC_OPERATIONS });
    if (end < topic.partitions.size) {
      nextCursor = { topicName: name, partitionIndex: end };
      break;
    }
    remaining -= partitions.length;
  }
  return { topics, nextCursor };
}
