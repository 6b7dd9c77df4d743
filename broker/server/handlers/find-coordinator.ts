import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { FindCoordinatorResponseCoordinator } from "../../protocol/generated/message/FindCoordinatorResponse.ts";
import { partitionFor } from "../../coordinator/partition-for.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler, RequestContext } from "../request-dispatcher.ts";
import { advertisedBrokers } from "./advertised-brokers.ts";

/** FindCoordinator key types (Kafka's CoordinatorType). */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1, SHARE: 2 } as const;

const CONSUMER_OFFSETS = "__consumer_offsets";
const TRANSACTION_STATE = "__transaction_state";

/** Kafka's Errors.message() for the errors FindCoordinator answers. */
const MESSAGES: Record<number, string> = {
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: "The coordinator is not available.",
  [ErrorCode.INVALID_REQUEST]:
    "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",
};

interface Answer {
  key: string;
  error: number;
  nodeId: number;
  host: string;
  port: number;
}

/**
 * FindCoordinator: the leader of the key's `__consumer_offsets` (group) or
 * `__transaction_state` (transactional id) partition, on the listener the client used.
 * The internal topic is created on first use; without a live leader the answer is
 * COORDINATOR_NOT_AVAILABLE and the client retries. v4+ batches keys.
 */
export function findCoordinatorHandler(services: BrokerServices): ApiHandler<10> {
  return async (req, ctx): Promise<ApiResponse<10>> => {
    const version = ctx.header.apiVersion;
    const keys = version >= 4 ? req.coordinatorKeys : [req.key];
    let answers: Answer[];
    if (req.keyType === CoordinatorType.GROUP || req.keyType === CoordinatorType.TRANSACTION) {
      answers = await locate(services, ctx, req.keyType, keys);
    } else if (req.keyType === CoordinatorType.SHARE) {
      // Share groups (KIP-932) need v6; Kafka 3.9 has no share coordinator to point at.
      answers = keys.map((key) => noNode(key, version < 6 ? ErrorCode.INVALID_REQUEST : ErrorCode.COORDINATOR_NOT_AVAILABLE));
    } else {
      // Kafka fails the whole request on an unknown key type.
      return errorResponse(version, keys, ErrorCode.INVALID_REQUEST);
    }
    if (version >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: -1,
        host: "",
        port: -1,
        coordinators: answers.map((a) => ({ key: a.key, nodeId: a.nodeId, host: a.host, port: a.port, errorCode: a.error, errorMessage: null })),
      };
    }
    const a = answers[0]!;
    if (a.error !== ErrorCode.NONE) return errorResponse(version, keys, a.error);
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: "NONE", nodeId: a.nodeId, host: a.host, port: a.port, coordinators: [] };
  };
}

async function locate(services: BrokerServices, ctx: RequestContext, keyType: number, keys: readonly string[]): Promise<Answer[]> {
  const topic = keyType === CoordinatorType.GROUP ? CONSUMER_OFFSETS : TRANSACTION_STATE;
  if (!services.metadata().topic(topic)) {
    try {
      await services.ensureInternalTopic(topic);
    } catch (err) {
      // E.g. fewer live brokers than offsets.topic.replication.factor: Kafka answers
      // COORDINATOR_NOT_AVAILABLE and the client keeps asking.
      services.log.warn({ topic, err: err instanceof KafkaError ? err.message : String(err) }, "cannot create internal topic");
      return keys.map((key) => noNode(key, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }
  const image = services.metadata();
  const partitions = image.topic(topic)?.partitions;
  const brokers = advertisedBrokers(image, ctx.connection.listener);
  const txnPartitions = Number(services.config.get("transaction.state.log.num.partitions") ?? "50");
  return keys.map((key) => {
    const partition = keyType === CoordinatorType.GROUP ? services.groupCoordinator.partitionFor(key) : partitionFor(key, txnPartitions);
    const leader = partitions?.get(partition)?.leader ?? -1;
    const broker = leader >= 0 ? brokers.find((b) => b.nodeId === leader) : undefined;
    if (!broker) return noNode(key, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    return { key, error: ErrorCode.NONE, nodeId: broker.nodeId, host: broker.host, port: broker.port };
  });
}

function noNode(key: string, error: number): Answer {
  return { key, error, nodeId: -1, host: "", port: -1 };
}

/** Kafka's getErrorResponse: Node.noNode() with the error and its message. */
function errorResponse(version: number, keys: readonly string[], error: number): ApiResponse<10> {
  const message = MESSAGES[error] ?? null;
  if (version >= 4) {
    const coordinators: FindCoordinatorResponseCoordinator[] = keys.map((key) => ({ key, nodeId: -1, host: "", port: -1, errorCode: error, errorMessage: message }));
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: "", port: -1, coordinators };
  }
  return { throttleTimeMs: 0, errorCode: error, errorMessage: message, nodeId: -1, host: "", port: -1, coordinators: [] };
}
