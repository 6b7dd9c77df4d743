import { NodeChannel } from "../../network/node-channel.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { METADATA_TOPIC_ID } from "../uuid.ts";
import type { MetadataLogFetch } from "./observer-quorum.ts";

/** KRaft fetches need topic ids (v13) and ReplicaState (v15). */
const MIN_FETCH_VERSION = 15;
const MAX_FETCH_VERSION = 16;

/**
 * An observer's fetch of `__cluster_metadata-0` over the wire: Kafka's Fetch API as KRaft
 * uses it (cluster id, ReplicaState with this node's id, the metadata topic id), sent to the
 * controller listener of the quorum's voter.
 */
export function remoteMetadataFetch(options: { nodeId: number; clusterId: string; controllerAddress: string; requestTimeoutMs: number }): {
  fetch: MetadataLogFetch;
  close: () => void;
} {
  const channel = new NodeChannel(() => options.controllerAddress, { clientId: `samsa-observer-${options.nodeId}`, timeoutMs: options.requestTimeoutMs });
  const fetch: MetadataLogFetch = async (req) => {
    const res = await channel.send(ApiKey.Fetch, MIN_FETCH_VERSION, MAX_FETCH_VERSION, {
      clusterId: options.clusterId,
      replicaState: { replicaId: options.nodeId, replicaEpoch: -1n },
      maxWaitMs: req.maxWaitMs,
      minBytes: 1,
      maxBytes: req.maxBytes,
      topics: [
        {
          topic: "",
          topicId: METADATA_TOPIC_ID,
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: req.fetchOffset,
              lastFetchedEpoch: req.lastFetchedEpoch,
              logStartOffset: -1n,
              partitionMaxBytes: req.maxBytes,
              replicaDirectoryId: "AAAAAAAAAAAAAAAAAAAAAA",
            },
          ],
        },
      ],
    });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode as never, "metadata fetch refused by the controller");
    const p = res.responses[0]?.partitions[0];
    if (!p) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "metadata fetch response has no partition");
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode as never, "metadata fetch refused by the controller");
    return { records: p.records ?? Buffer.alloc(0), highWatermark: p.highWatermark, leaderId: p.currentLeader.leaderId, epoch: p.currentLeader.leaderEpoch };
  };
  return { fetch, close: () => channel.close() };
}
