import { ErrorCode, KafkaError, errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** ListOffsets timestamp sentinels (Kafka's ListOffsetsRequest). */
const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;

/** ListOffsets: earliest, latest (HW, or LSO for read_committed), by timestamp, max timestamp. */
export function listOffsetsHandler(services: BrokerServices): ApiHandler<2> {
  return async (req, ctx): Promise<ApiResponse<2>> => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        try {
          const part = services.replicaManager.get(t.name, p.partitionIndex);
          if (!part) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          if (!part.isLeader && req.replicaId < 0) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER);
          part.checkLeaderEpoch(p.currentLeaderEpoch);
          const ts = Number(p.timestamp);
          const found = ts === LATEST ? { offset: part.highWatermark, timestamp: -1, leaderEpoch: part.leaderEpoch }
            : ts === EARLIEST || ts === EARLIEST_LOCAL ? { offset: part.log.logStartOffset, timestamp: -1, leaderEpoch: part.log.epochForOffset(part.log.logStartOffset) }
            : ts === MAX_TIMESTAMP ? part.log.offsetOfMaxTimestamp()
            : part.log.fetchOffsetByTimestamp(ts, part.highWatermark);
          const offset = found?.offset ?? -1;
          return {
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            // v0 answers a list of offsets instead of one.
            oldStyleOffsets: ctx.header.apiVersion === 0 ? (offset >= 0 ? [BigInt(offset)] : []) : [],
            timestamp: BigInt(found?.timestamp ?? -1),
            offset: BigInt(offset),
            leaderEpoch: found?.leaderEpoch ?? -1,
          };
        } catch (err) {
          return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(err), oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
        }
      }),
    })),
  });
}
