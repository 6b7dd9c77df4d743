import { ElectionType } from "../../controller/leader-election-control.ts";
import { errorCodeOf, KafkaError } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/**
 * ElectLeaders (KIP-183, KIP-460): carried out by the controller (forwarded by a broker-only
 * node). v0 has no election type: its elections are preferred ones. A request-level failure
 * (an unknown election type, no controller) is Kafka's error response: the code at the top
 * (v1+) and on every requested partition.
 */
export function electLeadersHandler(services: BrokerServices): ApiHandler<43> {
  return async (req, ctx): Promise<ApiResponse<43>> => {
    const electionType = ctx.header.apiVersion >= 1 ? req.electionType : ElectionType.PREFERRED;
    try {
      const results = await services.controller.electLeaders({ electionType, topicPartitions: req.topicPartitions });
      return { throttleTimeMs: 0, errorCode: 0, replicaElectionResults: results };
    } catch (err) {
      const errorCode = errorCodeOf(err);
      const errorMessage = err instanceof KafkaError ? err.message : null;
      return {
        throttleTimeMs: 0,
        errorCode,
        replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
          topic: t.topic,
          partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })),
        })),
      };
    }
  };
}
