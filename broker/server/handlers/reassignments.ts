import { apiErrorOf } from "../../controller/controller-result.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/**
 * AlterPartitionReassignments (KIP-455): per partition a target replica list, or null to
 * cancel, carried out by the controller. A failure of the whole request (no controller) is
 * the response's top-level error, as Kafka's getErrorResponse gives it.
 */
export function alterPartitionReassignmentsHandler(services: BrokerServices): ApiHandler<45> {
  return async (req): Promise<ApiResponse<45>> => {
    try {
      const responses = await services.controller.alterPartitionReassignments({ topics: req.topics });
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses };
    } catch (e) {
      return { throttleTimeMs: 0, ...apiErrorOf(e), responses: [] };
    }
  };
}

/** ListPartitionReassignments: the moving partitions (all of them when topics is null). */
export function listPartitionReassignmentsHandler(services: BrokerServices): ApiHandler<46> {
  return async (req): Promise<ApiResponse<46>> => {
    try {
      const topics = await services.controller.listPartitionReassignments(req.topics);
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics };
    } catch (e) {
      return { throttleTimeMs: 0, ...apiErrorOf(e), topics: [] };
    }
  };
}
