import { errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** ListOffsets timestamp sentinels (Kafka's ListOffsetsRequest). */
const LATEST = -1;
const EARLIEST = -2;

/** ListOffsets: earliest, latest (HW, or LSO for read_committed), by timestamp, max timestamp. */
export function listOffsetsHandler(services: BrokerServices): ApiHandler<2> {
  return async (req, ctx): Promise<ApiResponse<2>> => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        try {
          const part = services.replicaManager.leaderPartition(t.name, p.partitionIndex);
          part.checkLeaderEpoch(p.currentLeaderEpoch);
          const ts = Number(p.timestamp);
          // Consumers see offsets only up to the high watermark (the LSO equals it without
          // transactions); a replica (replicaId >= 0, a follower's fetcher) sees the whole log,
          // as Kafka answers it without an isolation level.
          const upTo = req.replicaId >= 0 ? part.log.logEndOffset : part.highWatermark;
          const found = ts === LATEST
            ? { offset: upTo, timestamp: -1, leaderEpoch: part.leaderEpoch }
            : part.log.fetchOffsetByTimestamp(ts);
          const visible = found && (ts === LATEST || found.offset < upTo || ts === EARLIEST) ? found : undefined;
          const offset = visible?.offset ?? -1;
          return {
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            // v0 answers a list of offsets instead of one.
            oldStyleOffsets: ctx.header.apiVersion === 0 ? (offset >= 0 ? [BigInt(offset)] : []) : [],
            timestamp: BigInt(visible?.timestamp ?? -1),
            offset: BigInt(offset),
            leaderEpoch: visible?.leaderEpoch ?? -1,
          };
        } catch (err) {
          return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(err), oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
        }
      }),
    })),
  });
}
