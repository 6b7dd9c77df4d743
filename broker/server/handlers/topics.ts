import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import { ZERO_UUID } from "../../protocol/generated/support.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** CreateTopics: validated and committed by the controller; v5+ replies carry the configs. */
export function createTopicsHandler(services: BrokerServices): ApiHandler<19> {
  return async (req): Promise<ApiResponse<19>> => {
    const results = await services.controller.createTopics({ topics: req.topics, validateOnly: req.validateOnly });
    return {
      throttleTimeMs: 0,
      topics: results.map((r) => ({
        name: r.name,
        topicId: r.topicId,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        topicConfigErrorCode: r.topicConfigErrorCode,
        numPartitions: r.numPartitions,
        replicationFactor: r.replicationFactor,
        // Kafka's failed results carry an empty config list, not null.
        configs: r.errorCode === 0 ? r.configs : [],
      })),
    };
  };
}

/** DeleteTopics: by name (v0-5 `topicNames`, v6 `topics`) or by topic id (v6). */
export function deleteTopicsHandler(services: BrokerServices): ApiHandler<20> {
  return async (req, ctx): Promise<ApiResponse<20>> => {
    const topics = ctx.header.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const results = await services.controller.deleteTopics({ topics });
    // TOPIC_DELETION_DISABLED arrived with v3; older clients get INVALID_REQUEST, as from Kafka.
    const code = (c: number) => (c === ErrorCode.TOPIC_DELETION_DISABLED && ctx.header.apiVersion < 3 ? ErrorCode.INVALID_REQUEST : c);
    return { throttleTimeMs: 0, responses: results.map((r) => ({ name: r.name, topicId: r.topicId, errorCode: code(r.errorCode), errorMessage: r.errorMessage })) };
  };
}

/** CreatePartitions: grows topics to `count` partitions, optionally with explicit replicas. */
export function createPartitionsHandler(services: BrokerServices): ApiHandler<37> {
  return async (req): Promise<ApiResponse<37>> => {
    const results = await services.controller.createPartitions({ topics: req.topics, validateOnly: req.validateOnly });
    return { throttleTimeMs: 0, results: results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage })) };
  };
}
