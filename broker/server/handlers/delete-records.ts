import { errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** DeleteRecords: raises each partition's log start offset (offset -1 means the high watermark). */
export function deleteRecordsHandler(services: BrokerServices): ApiHandler<21> {
  return async (req): Promise<ApiResponse<21>> => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        try {
          const lowWatermark = services.replicaManager.leaderPartition(t.name, p.partitionIndex).deleteRecordsBefore(Number(p.offset));
          return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(lowWatermark), errorCode: 0 };
        } catch (err) {
          return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: errorCodeOf(err) };
        }
      }),
    })),
  });
}
