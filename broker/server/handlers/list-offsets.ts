import { errorCodeOf } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** ListOffsets timestamp sentinels (Kafka's ListOffsetsRequest). */
const LATEST = -1;
const EARLIEST = -2;
/** Kafka's ListOffsetsRequest replica ids: a client, and an admin reading any replica (followers too). */
const CONSUMER_REPLICA_ID = -1;
const DEBUGGING_REPLICA_ID = -2;

/** ListOffsets: earliest, latest (HW, or LSO for read_committed), by timestamp, max timestamp. */
export function listOffsetsHandler(services: BrokerServices): ApiHandler<2> {
  return async (req, ctx): Promise<ApiResponse<2>> => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        try {
          // The debugging id reads this node's replica whether it leads or follows (Kafka's
          // fetchOnlyFromLeader = false); everyone else must ask the leader.
          const part = req.replicaId === DEBUGGING_REPLICA_ID
            ? services.replicaManager.partitionOrError(t.name, p.partitionIndex)
            : services.replicaManager.leaderPartition(t.name, p.partitionIndex);
          part.checkLeaderEpoch(p.currentLeaderEpoch);
          const ts = Number(p.timestamp);
          // Consumers see offsets only up to the high watermark (the LSO equals it without
          // transactions); any other replica id (a follower's fetcher, an admin debugging) sees
          // the whole log, as Kafka answers it without an isolation level.
          const upTo = req.replicaId === CONSUMER_REPLICA_ID ? part.highWatermark : part.log.logEndOffset;
          // A new leader whose high watermark lags its epoch start cannot answer the latest
          // offset, nor a timestamp beyond what it can serve (Kafka's fetchOffsetForTimestamp;
          // v0 takes Kafka's legacy path, which never says so).
          const lagging = req.replicaId === CONSUMER_REPLICA_ID && ctx.header.apiVersion >= 1 ? part.laggingHighWatermarkError() : undefined;
          if (lagging && ts === LATEST) throw lagging;
          const found = ts === LATEST
            ? { offset: upTo, timestamp: -1, leaderEpoch: part.leaderEpoch }
            : part.log.fetchOffsetByTimestamp(ts);
          const visible = found && (ts === LATEST || found.offset < upTo || ts === EARLIEST) ? found : undefined;
          if (lagging && !visible && ts !== EARLIEST) throw lagging;
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
