import { ErrorCode, type KafkaError } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { MetadataResponseTopic } from "../../protocol/generated/message/MetadataResponse.ts";
import { ZERO_UUID } from "../../protocol/generated/support.ts";
import { isInternalTopic, validateTopicName } from "../../controller/topic-names.ts";
import type { MetadataImage, PartitionRegistration, TopicImage } from "../../controller/metadata-image.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";
import { advertisedBrokers, controllerIdForClients } from "./advertised-brokers.ts";

/** Kafka's sentinel for "authorized operations not requested". */
const OPERATIONS_OMITTED = -2147483648;

/**
 * Metadata: brokers, cluster id, controller and the requested topics (all of them for a null
 * list, or an empty list in v0), creating missing topics when the client allows it and
 * auto.create.topics.enable is set.
 */
export function metadataHandler(services: BrokerServices): ApiHandler<3> {
  return async (req, ctx): Promise<ApiResponse<3>> => {
    const version = ctx.header.apiVersion;
    let image = services.metadata();
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    const requested = all ? [] : (req.topics ?? []);
    const createErrors = new Map<string, KafkaError | null>();
    const allowAuto = (version < 4 || req.allowAutoTopicCreation) && services.config.bool("auto.create.topics.enable");
    if (allowAuto) {
      const missing = requested.flatMap((t) => (!byId(t) && t.name !== null && !image.topic(t.name) ? [t.name] : []));
      if (missing.length > 0) {
        for (const [name, err] of await services.autoCreateTopics([...new Set(missing)])) createErrors.set(name, err);
        image = services.metadata();
      }
    }
    const topics: MetadataResponseTopic[] = all
      ? [...image.topicsByName.values()].map((t) => describeTopic(image, t))
      : requested.map((t) => {
          // A topic with an id is looked up by id, whatever its name (Kafka's Java client leaves it "").
          if (byId(t)) {
            const topic = image.topicsById.get(t.topicId);
            if (topic) return describeTopic(image, topic);
            return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: t.topicId, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_OMITTED };
          }
          const topic = t.name !== null ? image.topic(t.name) : undefined;
          if (topic) return describeTopic(image, topic);
          const err = t.name !== null ? createErrors.get(t.name) : undefined;
          return {
            errorCode: err ? err.code : t.name === null ? ErrorCode.UNKNOWN_TOPIC_ID : missingTopicError(t.name),
            name: t.name,
            topicId: t.topicId,
            isInternal: false,
            partitions: [],
            topicAuthorizedOperations: OPERATIONS_OMITTED,
          };
        });
    return {
      throttleTimeMs: 0,
      brokers: advertisedBrokers(image, ctx.connection.listener),
      clusterId: image.clusterId,
      controllerId: controllerIdForClients(image, services.activeControllerId(), services.nodeId),
      topics,
      clusterAuthorizedOperations: OPERATIONS_OMITTED,
    };
  };
}

/** A requested topic given by its id (Metadata v12+): a non-zero topic id, the name then being ignored as Kafka does. */
function byId(t: { topicId: string }): boolean {
  return t.topicId !== ZERO_UUID;
}

function describeTopic(image: MetadataImage, t: TopicImage): MetadataResponseTopic {
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.id ?? ZERO_UUID,
    isInternal: isInternalTopic(t.name),
    partitions: [...t.partitions.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, p]) => ({
        errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
        partitionIndex: index,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        offlineReplicas: offlineReplicas(image, p),
      })),
    topicAuthorizedOperations: OPERATIONS_OMITTED,
  };
}

/** Replicas on brokers that are not registered or are fenced. */
export function offlineReplicas(image: MetadataImage, p: PartitionRegistration): number[] {
  return p.replicas.filter((id) => !image.brokers.get(id) || image.brokers.get(id)!.fenced);
}

/** A missing topic is UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION when its name is illegal (as Kafka's KafkaApis). */
export function missingTopicError(name: string): number {
  try {
    validateTopicName(name);
    return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  } catch {
    return ErrorCode.INVALID_TOPIC_EXCEPTION;
  }
}
