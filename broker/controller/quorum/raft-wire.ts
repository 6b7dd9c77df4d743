import { ErrorCode, KafkaError, type ErrorCodeValue } from "../../protocol/errors.ts";
import type { ApiRequest, ApiResponse } from "../../protocol/generated/apis.ts";
import { defaultFetchResponsePartitionData } from "../../protocol/generated/message/FetchResponse.ts";
import { CLUSTER_METADATA_TOPIC } from "../topic-names.ts";
import { METADATA_TOPIC_ID } from "../uuid.ts";
import type { QuorumDescription, ReplicaProgress } from "./leader-progress.ts";
import type {
  BeginQuorumEpochRequestData,
  EndQuorumEpochRequestData,
  FetchRequestData,
  FetchResponseData,
  QuorumEpochResponseData,
  VoteRequestData,
  VoteResponseData,
} from "./raft-messages.ts";

/**
 * The Raft RPCs of raft-messages.ts on Kafka 3.9's wire (the generated codec): each
 * flattened message is nested under the one `__cluster_metadata` partition, with the
 * cluster id every KRaft request carries. Kafka 3.9 speaks Vote v0-1, which has no PreVote
 * field (that is Vote v2, Kafka 4.0): a pre-vote never goes on the wire (wire-raft-network.ts).
 */

const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";
/** Vote v0-1, BeginQuorumEpoch v0-1, EndQuorumEpoch v0-1, DescribeQuorum v0-2: Kafka 3.9's ranges. */
export const RAFT_API_VERSIONS = { Vote: [0, 1], BeginQuorumEpoch: [0, 1], EndQuorumEpoch: [0, 1], DescribeQuorum: [0, 2] } as const;
/** KRaft fetches need topic ids (v13) and ReplicaState (v15). */
export const RAFT_FETCH_VERSIONS = [15, 16] as const;

function partitionOf<P extends { partitionIndex?: number; partition?: number }>(topics: readonly { partitions: readonly P[] }[]): P {
  const p = topics[0]?.partitions[0];
  if (topics.length !== 1 || topics[0]!.partitions.length !== 1 || !p) throw new KafkaError(ErrorCode.INVALID_REQUEST, "a Raft request names exactly one partition");
  return p;
}

/** A top-level or partition error on an answer becomes the flattened answer's error code. */
function errorOf(top: number, partition: number): ErrorCodeValue {
  return (top !== ErrorCode.NONE ? top : partition) as ErrorCodeValue;
}

// ---- Vote

export function voteRequestToWire(clusterId: string, destination: number, r: VoteRequestData): Partial<ApiRequest<52>> {
  return {
    clusterId,
    voterId: destination,
    topics: [
      {
        topicName: CLUSTER_METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: 0,
            candidateEpoch: r.candidateEpoch,
            candidateId: r.candidateId,
            candidateDirectoryId: ZERO_UUID,
            voterDirectoryId: ZERO_UUID,
            lastOffsetEpoch: r.lastOffsetEpoch,
            lastOffset: r.lastOffset,
          },
        ],
      },
    ],
  };
}

export function voteRequestFromWire(req: ApiRequest<52>): VoteRequestData {
  const p = partitionOf(req.topics);
  return { candidateEpoch: p.candidateEpoch, candidateId: p.candidateId, lastOffsetEpoch: p.lastOffsetEpoch, lastOffset: p.lastOffset, preVote: false };
}

export function voteResponseToWire(r: VoteResponseData): ApiResponse<52> {
  return {
    errorCode: ErrorCode.NONE,
    topics: [{ topicName: CLUSTER_METADATA_TOPIC, partitions: [{ partitionIndex: 0, errorCode: r.errorCode, leaderId: r.leaderId, leaderEpoch: r.leaderEpoch, voteGranted: r.voteGranted }] }],
    nodeEndpoints: [],
  };
}

export function voteResponseFromWire(res: ApiResponse<52>): VoteResponseData {
  const p = res.topics[0]?.partitions[0];
  if (!p) return { errorCode: res.errorCode as ErrorCodeValue, leaderId: -1, leaderEpoch: -1, voteGranted: false };
  return { errorCode: errorOf(res.errorCode, p.errorCode), leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, voteGranted: p.voteGranted };
}

// ---- BeginQuorumEpoch and EndQuorumEpoch

export function beginQuorumEpochRequestToWire(clusterId: string, destination: number, r: BeginQuorumEpochRequestData, leaderEndpoint: WireEndpoint | null): Partial<ApiRequest<53>> {
  return {
    clusterId,
    voterId: destination,
    topics: [{ topicName: CLUSTER_METADATA_TOPIC, partitions: [{ partitionIndex: 0, voterDirectoryId: ZERO_UUID, leaderId: r.leaderId, leaderEpoch: r.leaderEpoch }] }],
    leaderEndpoints: leaderEndpoint ? [{ ...leaderEndpoint }] : [],
  };
}

export function beginQuorumEpochRequestFromWire(req: ApiRequest<53>): BeginQuorumEpochRequestData {
  const p = partitionOf(req.topics);
  return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch };
}

export function endQuorumEpochRequestToWire(clusterId: string, r: EndQuorumEpochRequestData, leaderEndpoint: WireEndpoint | null): Partial<ApiRequest<54>> {
  return {
    clusterId,
    topics: [
      {
        topicName: CLUSTER_METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: 0,
            leaderId: r.leaderId,
            leaderEpoch: r.leaderEpoch,
            // v0 carries the ids, v1 the candidates with directory ids: the codec writes the one its version has.
            preferredSuccessors: [...r.preferredSuccessors],
            preferredCandidates: r.preferredSuccessors.map((candidateId) => ({ candidateId, candidateDirectoryId: ZERO_UUID })),
          },
        ],
      },
    ],
    leaderEndpoints: leaderEndpoint ? [{ ...leaderEndpoint }] : [],
  };
}

export function endQuorumEpochRequestFromWire(req: ApiRequest<54>): EndQuorumEpochRequestData {
  const p = partitionOf(req.topics);
  const successors = p.preferredCandidates.length > 0 ? p.preferredCandidates.map((c) => c.candidateId) : p.preferredSuccessors;
  return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, preferredSuccessors: [...successors] };
}

/** BeginQuorumEpoch's and EndQuorumEpoch's answers share one shape. */
export function quorumEpochResponseToWire(r: QuorumEpochResponseData): ApiResponse<53> & ApiResponse<54> {
  return {
    errorCode: ErrorCode.NONE,
    topics: [{ topicName: CLUSTER_METADATA_TOPIC, partitions: [{ partitionIndex: 0, errorCode: r.errorCode, leaderId: r.leaderId, leaderEpoch: r.leaderEpoch }] }],
    nodeEndpoints: [],
  };
}

export function quorumEpochResponseFromWire(res: ApiResponse<53> | ApiResponse<54>): QuorumEpochResponseData {
  const p = res.topics[0]?.partitions[0];
  if (!p) return { errorCode: res.errorCode as ErrorCodeValue, leaderId: -1, leaderEpoch: -1 };
  return { errorCode: errorOf(res.errorCode, p.errorCode), leaderId: p.leaderId, leaderEpoch: p.leaderEpoch };
}

// ---- Fetch of __cluster_metadata-0

export function fetchRequestToWire(clusterId: string, r: FetchRequestData): Partial<ApiRequest<1>> {
  return {
    clusterId,
    replicaState: { replicaId: r.replicaId, replicaEpoch: -1n },
    maxWaitMs: r.maxWaitMs,
    minBytes: 1,
    maxBytes: r.maxBytes,
    topics: [
      {
        topic: CLUSTER_METADATA_TOPIC,
        topicId: METADATA_TOPIC_ID,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: r.currentLeaderEpoch,
            fetchOffset: r.fetchOffset,
            lastFetchedEpoch: r.lastFetchedEpoch,
            logStartOffset: -1n,
            partitionMaxBytes: r.maxBytes,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
  };
}

/** The replica id: ReplicaState from v15, the top-level field before. */
export function fetchRequestFromWire(req: ApiRequest<1>): FetchRequestData {
  const topic = req.topics[0];
  const p = topic?.partitions[0];
  if (req.topics.length !== 1 || !topic || topic.partitions.length !== 1 || !p || p.partition !== 0) {
    throw new KafkaError(ErrorCode.INVALID_REQUEST, "a metadata fetch names exactly __cluster_metadata-0");
  }
  return {
    replicaId: req.replicaState.replicaId >= 0 ? req.replicaState.replicaId : req.replicaId,
    currentLeaderEpoch: p.currentLeaderEpoch,
    fetchOffset: p.fetchOffset,
    lastFetchedEpoch: p.lastFetchedEpoch,
    maxWaitMs: req.maxWaitMs,
    maxBytes: Math.min(req.maxBytes, p.partitionMaxBytes),
  };
}

export function fetchResponseToWire(topic: { topic: string; topicId: string }, r: FetchResponseData): ApiResponse<1> {
  const p = defaultFetchResponsePartitionData();
  p.errorCode = r.errorCode;
  p.highWatermark = r.highWatermark;
  p.currentLeader = { leaderId: r.leaderId, leaderEpoch: r.leaderEpoch };
  if (r.divergingEpoch) p.divergingEpoch = { epoch: r.divergingEpoch.epoch, endOffset: r.divergingEpoch.endOffset };
  p.records = r.records;
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: [{ topic: topic.topic, topicId: topic.topicId, partitions: [p] }], nodeEndpoints: [] };
}

/** A whole-request refusal (INCONSISTENT_CLUSTER_ID, INVALID_REQUEST). */
export function fetchErrorToWire(errorCode: ErrorCodeValue): ApiResponse<1> {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
}

export function fetchResponseFromWire(res: ApiResponse<1>): FetchResponseData {
  const p = res.responses[0]?.partitions[0];
  if (res.errorCode !== ErrorCode.NONE || !p) {
    throw new KafkaError((res.errorCode || ErrorCode.UNKNOWN_SERVER_ERROR) as ErrorCodeValue, "metadata fetch refused");
  }
  const diverging = p.divergingEpoch.epoch >= 0 || p.divergingEpoch.endOffset >= 0n ? { epoch: p.divergingEpoch.epoch, endOffset: p.divergingEpoch.endOffset } : null;
  return {
    errorCode: p.errorCode as ErrorCodeValue,
    leaderId: p.currentLeader.leaderId,
    leaderEpoch: p.currentLeader.leaderEpoch,
    highWatermark: p.highWatermark,
    divergingEpoch: diverging,
    records: p.records ?? Buffer.alloc(0),
  };
}

// ---- DescribeQuorum

export interface WireEndpoint {
  name: string;
  host: string;
  port: number;
}

function replicaStateToWire(r: ReplicaProgress): ApiResponse<55>["topics"][number]["partitions"][number]["currentVoters"][number] {
  return {
    replicaId: r.nodeId,
    replicaDirectoryId: ZERO_UUID,
    logEndOffset: r.logEndOffset,
    lastFetchTimestamp: BigInt(r.lastFetchTimestamp),
    lastCaughtUpTimestamp: BigInt(r.lastCaughtUpTimestamp),
  };
}

/** DescribeQuorum v0-2 from the leader's description; `nodes` (v2) lists the voters' controller endpoints. */
export function describeQuorumResponseToWire(d: QuorumDescription, voterEndpoints: ReadonlyMap<number, WireEndpoint>): ApiResponse<55> {
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: [
      {
        topicName: CLUSTER_METADATA_TOPIC,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            leaderId: d.leaderId,
            leaderEpoch: d.leaderEpoch,
            highWatermark: d.highWatermark,
            currentVoters: d.voters.map(replicaStateToWire),
            observers: d.observers.map(replicaStateToWire),
          },
        ],
      },
    ],
    nodes: [...voterEndpoints].map(([nodeId, e]) => ({ nodeId, listeners: [{ ...e }] })),
  };
}

export function describeQuorumErrorToWire(errorCode: ErrorCodeValue, errorMessage: string): ApiResponse<55> {
  return { errorCode, errorMessage, topics: [], nodes: [] };
}

export function describeQuorumRequestToWire(): Partial<ApiRequest<55>> {
  return { topics: [{ topicName: CLUSTER_METADATA_TOPIC, partitions: [{ partitionIndex: 0 }] }] };
}
