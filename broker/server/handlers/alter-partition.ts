import { errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/**
 * AlterPartition (served on the controller node, like Kafka's controller listener): a
 * partition leader proposes a new ISR. Before v3 the ISR is plain broker ids, checked without
 * broker epochs. A stale broker epoch is a top-level error with no topics, as Kafka answers.
 */
export function alterPartitionHandler(services: BrokerServices): ApiHandler<56> {
  return async (req, ctx): Promise<ApiResponse<56>> => {
    const version = ctx.header.apiVersion;
    try {
      const reply = await services.controller.alterPartition({
        version,
        brokerId: req.brokerId,
        brokerEpoch: req.brokerEpoch,
        topics: req.topics.map((t) => ({
          topicName: t.topicName,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            leaderEpoch: p.leaderEpoch,
            newIsrWithEpochs: version >= 3 ? p.newIsrWithEpochs : p.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
            leaderRecoveryState: p.leaderRecoveryState,
            partitionEpoch: p.partitionEpoch,
          })),
        })),
      });
      return { throttleTimeMs: 0, errorCode: 0, topics: reply.topics };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(err), topics: [] };
    }
  };
}
