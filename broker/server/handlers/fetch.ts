import { ErrorCode } from "../../protocol/errors.ts";
import type { ApiResponse } from "../../protocol/generated/apis.ts";
import type { FetchResponsePartitionData } from "../../protocol/generated/message/FetchResponse.ts";
import { defaultFetchResponsePartitionData } from "../../protocol/generated/message/FetchResponse.ts";
import type { BrokerServices } from "../broker-services.ts";
import type { ApiHandler, RequestContext } from "../request-dispatcher.ts";
import type { FetchRequest, FetchRequestFetchTopic } from "../../protocol/generated/message/FetchRequest.ts";
import { apiErrorOf } from "../../controller/controller-result.ts";
import { CLUSTER_METADATA_TOPIC } from "../../controller/topic-names.ts";
import { METADATA_TOPIC_ID } from "../../controller/uuid.ts";

const EMPTY = Buffer.alloc(0);
const READ_COMMITTED = 1;
/** Topic ids replace names in Fetch v13+. */
const TOPIC_IDS_FROM = 13;

/**
 * Fetch: reads each partition from the leader, waiting up to maxWaitMs for minBytes. Fetch
 * sessions (KIP-227) are not kept: every response carries session id 0, which clients treat
 * as "no session" and so send full fetch requests.
 */
export function fetchHandler(services: BrokerServices): ApiHandler<1> {
  return async (req, ctx: RequestContext): Promise<ApiResponse<1>> => {
    const version = ctx.header.apiVersion;
    if (req.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
    }
    const image = services.metadata();
    // KRaft's own fetches carry the cluster id; a client's never do, and for a client the
    // metadata log is no topic (Kafka: UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION).
    const metadataTopic = req.clusterId === null ? undefined : req.topics.find((t) => t.topicId === METADATA_TOPIC_ID || t.topic === CLUSTER_METADATA_TOPIC);
    if (metadataTopic) return fetchMetadataLog(services, req, metadataTopic);
    const useIds = version >= TOPIC_IDS_FROM;
    const topics = req.topics.map((t) => ({ req: t, name: useIds ? (image.topicsById.get(t.topicId)?.name ?? null) : t.topic }));
    const wanted = topics.flatMap(({ req: t, name }) =>
      name === null
        ? []
        : t.partitions.map((p) => ({
            topic: name,
            partition: p.partition,
            fetchOffset: Number(p.fetchOffset),
            maxBytes: p.partitionMaxBytes,
            currentLeaderEpoch: p.currentLeaderEpoch,
            // A follower's log start (v5+) and the epoch of its last fetched batch (v12+, for
            // divergence); the codec leaves both -1 at older versions.
            logStartOffset: Number(p.logStartOffset),
            lastFetchedEpoch: p.lastFetchedEpoch,
          })),
    );
    const replicaId = version >= 15 ? req.replicaState.replicaId : req.replicaId;
    const results = await services.replicaManager.fetchMessages({
      replicaId,
      replicaEpoch: version >= 15 ? Number(req.replicaState.replicaEpoch) : -1,
      maxWaitMs: req.maxWaitMs,
      minBytes: req.minBytes,
      maxBytes: version >= 3 ? req.maxBytes : Number.MAX_SAFE_INTEGER,
      partitions: wanted,
    });
    const byKey = new Map(results.map((r) => [`${r.topic}-${r.partition}`, r]));
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: topics.map(({ req: t, name }) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p): FetchResponsePartitionData => {
          const out = defaultFetchResponsePartitionData();
          out.partitionIndex = p.partition;
          out.records = EMPTY;
          out.abortedTransactions = req.isolationLevel === READ_COMMITTED ? [] : null;
          const r = name === null ? undefined : byKey.get(`${name}-${p.partition}`);
          if (!r) {
            // As Kafka's FetchResponse.partitionResponse(tp, error): no offsets, an empty (not null) aborted-transaction list.
            out.errorCode = name === null ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
            out.highWatermark = -1n;
            out.abortedTransactions = [];
            return out;
          }
          out.errorCode = r.errorCode;
          out.records = r.records ?? EMPTY;
          if (r.errorCode !== 0) {
            // Unknown partitions are refused before any read, with an empty aborted-transaction list.
            if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) out.abortedTransactions = [];
            // Kafka answers a failed read (OFFSET_OUT_OF_RANGE, NOT_LEADER_OR_FOLLOWER, ...) with
            // unknown offsets (-1), and names the current leader only when the leader is the problem.
            out.highWatermark = -1n;
            out.lastStableOffset = -1n;
            out.logStartOffset = -1n;
            if (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || r.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
              const part = services.replicaManager.get(r.topic, r.partition);
              out.currentLeader = { leaderId: part?.leaderId ?? -1, leaderEpoch: part?.leaderEpoch ?? -1 };
            }
            return out;
          }
          out.highWatermark = BigInt(r.highWatermark);
          out.lastStableOffset = BigInt(r.lastStableOffset);
          out.logStartOffset = BigInt(r.logStartOffset);
          // Only a v12+ request carries lastFetchedEpoch, so only a v12+ answer diverges.
          if (r.divergingEpoch) out.divergingEpoch = { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) };
          return out;
        }),
      })),
      nodeEndpoints: [],
    };
  };
}

/**
 * A broker-only node following `__cluster_metadata` (KRaft's Fetch to the controller): the
 * quorum leader answers with committed batches, its high watermark and itself as leader.
 * The cluster id must match, so a broker formatted for another cluster cannot join.
 */
async function fetchMetadataLog(services: BrokerServices, req: FetchRequest, topic: FetchRequestFetchTopic): Promise<ApiResponse<1>> {
  const base = { throttleTimeMs: 0, sessionId: 0, nodeEndpoints: [] };
  if (req.clusterId !== null && req.clusterId !== services.metadata().clusterId) {
    return { ...base, errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, responses: [] };
  }
  const out = defaultFetchResponsePartitionData();
  const p = topic.partitions[0];
  if (req.topics.length !== 1 || topic.partitions.length !== 1 || !p || p.partition !== 0) {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, responses: [] };
  }
  out.records = EMPTY;
  try {
    const read = await services.readMetadataLog(p.fetchOffset, p.partitionMaxBytes, req.maxWaitMs);
    out.records = read.records;
    out.highWatermark = read.highWatermark;
    out.currentLeader = { leaderId: read.leaderId, leaderEpoch: read.epoch };
  } catch (e) {
    out.errorCode = apiErrorOf(e).errorCode;
  }
  return { ...base, errorCode: 0, responses: [{ topic: topic.topic, topicId: topic.topicId, partitions: [out] }] };
}
