import type { ErrorCodeValue } from "../../protocol/errors.ts";

/**
 * The KRaft RPCs for the one partition of `__cluster_metadata`, flattened: the fields are
 * those of Kafka's Vote, BeginQuorumEpoch, EndQuorumEpoch and Fetch schemas for that
 * partition, named as in the schemas, so the wire layer (the generated codec) only has to
 * nest them under topics/partitions. `preVote` is Vote v2's field (KIP-996, Kafka 4.0).
 */

export interface VoteRequestData {
  candidateEpoch: number;
  candidateId: number;
  lastOffsetEpoch: number;
  lastOffset: bigint;
  preVote: boolean;
}

export interface VoteResponseData {
  errorCode: ErrorCodeValue;
  /** The responder's current leader (-1 when unknown) and epoch. */
  leaderId: number;
  leaderEpoch: number;
  voteGranted: boolean;
}

export interface BeginQuorumEpochRequestData {
  leaderId: number;
  leaderEpoch: number;
}

export interface EndQuorumEpochRequestData {
  leaderId: number;
  leaderEpoch: number;
  /** Voters in the order the resigning leader prefers them as its successor. */
  preferredSuccessors: number[];
}

/** The answer to BeginQuorumEpoch and EndQuorumEpoch: the responder's view of the quorum. */
export interface QuorumEpochResponseData {
  errorCode: ErrorCodeValue;
  leaderId: number;
  leaderEpoch: number;
}

export interface FetchRequestData {
  replicaId: number;
  /** The fetcher's epoch; the leader fences an older one and learns of a newer one. */
  currentLeaderEpoch: number;
  fetchOffset: bigint;
  /** The epoch of the fetcher's last batch (-1 for an empty log). */
  lastFetchedEpoch: number;
  maxWaitMs: number;
  maxBytes: number;
}

export interface FetchResponseData {
  errorCode: ErrorCodeValue;
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  /** Set when the fetcher's log diverges: truncate to endOffset, which ends `epoch` on the leader. */
  divergingEpoch: { epoch: number; endOffset: bigint } | null;
  records: Buffer;
}

export interface RaftRequests {
  Vote: VoteRequestData;
  BeginQuorumEpoch: BeginQuorumEpochRequestData;
  EndQuorumEpoch: EndQuorumEpochRequestData;
  Fetch: FetchRequestData;
}

export interface RaftResponses {
  Vote: VoteResponseData;
  BeginQuorumEpoch: QuorumEpochResponseData;
  EndQuorumEpoch: QuorumEpochResponseData;
  Fetch: FetchResponseData;
}

export type RaftApi = keyof RaftRequests;

/**
 * How a Raft client reaches other quorum members. `send` resolves with the destination's
 * answer or rejects (unreachable, disconnected); it may also never settle when a message is
 * lost, so the client bounds every request with its own timeout. Inbound requests are
 * handed to the client's `handle` by whoever owns the transport.
 */
export interface RaftNetwork {
  send<A extends RaftApi>(destination: number, api: A, request: RaftRequests[A]): Promise<RaftResponses[A]>;
}

/** The receiving side: one entry point for every Raft RPC. */
export interface RaftRequestHandler {
  handle<A extends RaftApi>(source: number, api: A, request: RaftRequests[A]): Promise<RaftResponses[A]>;
}
