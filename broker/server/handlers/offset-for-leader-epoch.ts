import { errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** OffsetForLeaderEpoch (KIP-101/320): where a leader epoch ends in the leader's log. */
export function offsetForLeaderEpochHandler(services: BrokerServices): ApiHandler<23> {
  return async (req): Promise<ApiResponse<23>> => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        try {
          const r = services.replicaManager
            .leaderPartition(t.topic, p.partition).lastOffsetForLeaderEpoch(p.leaderEpoch, p.currentLeaderEpoch);
          return { errorCode: 0, partition: p.partition, leaderEpoch: r.leaderEpoch, endOffset: BigInt(r.endOffset) };
        } catch (err) {
          return { errorCode: errorCodeOf(err), partition: p.partition, leaderEpoch: -1, endOffset: -1n };
        }
      }),
    })),
  });
}
