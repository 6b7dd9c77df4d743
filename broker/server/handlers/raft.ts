import { CLUSTER_METADATA_TOPIC } from "../../controller/topic-names.ts";
import { METADATA_TOPIC_ID } from "../../controller/uuid.ts";
import type { RaftClient } from "../../controller/quorum/raft-client.ts";
import {
  RAFT_API_VERSIONS,
  beginQuorumEpochRequestFromWire,
  endQuorumEpochRequestFromWire,
  fetchErrorToWire,
  fetchRequestFromWire,
  fetchResponseToWire,
  quorumEpochResponseToWire,
  voteRequestFromWire,
  voteResponseToWire,
} from "../../controller/quorum/raft-wire.ts";
import { CloseConnection } from "../../network/connection.ts";
import { ErrorCode, type ErrorCodeValue } from "../../protocol/errors.ts";
import { ApiKey, type ApiRequest, type ApiResponse } from "../../protocol/generated/apis.ts";
import { defaultApiVersionsResponse } from "../../protocol/generated/message/ApiVersionsResponse.ts";
import type { ApiVersionRange } from "../../protocol/headers.ts";
import { apiErrorOf } from "../../controller/controller-result.ts";
import type { ApiHandler, RequestContext, ServedApi, ServedApis } from "../request-dispatcher.ts";
import type { RaftRequests, RaftResponses } from "../../controller/quorum/raft-messages.ts";

export interface RaftApisOptions {
  client: RaftClient;
  clusterId: string;
  /** controller.listener.names: the Raft RPCs are served there only, as in Kafka. */
  controllerListeners: ReadonlySet<string>;
  /** Fetches of anything but `__cluster_metadata` (the broker's Fetch). */
  fetch?: ApiHandler<1>;
}

function onControllerListener(options: RaftApisOptions, ctx: RequestContext, api: string): void {
  if (!options.controllerListeners.has(ctx.connection.listener.toUpperCase())) {
    throw new CloseConnection(`${api} is served on the controller listener only`);
  }
}

function clusterIdMismatch(options: RaftApisOptions, clusterId: string | null): boolean {
  return clusterId !== null && clusterId !== options.clusterId;
}

/** A handler error the Raft client signals with a Kafka error code. */
function errorCode(e: unknown): ErrorCodeValue {
  return apiErrorOf(e).errorCode as ErrorCodeValue;
}

type QuorumRpcKey = typeof ApiKey.Vote | typeof ApiKey.BeginQuorumEpoch | typeof ApiKey.EndQuorumEpoch;
type QuorumRpcApi = "Vote" | "BeginQuorumEpoch" | "EndQuorumEpoch";

/** Vote, BeginQuorumEpoch, EndQuorumEpoch: the controller listener only, the cluster id checked, then RaftClient.handle. */
function quorumRpc<K extends QuorumRpcKey, A extends QuorumRpcApi>(
  options: RaftApisOptions,
  api: A,
  minVersion: number,
  maxVersion: number,
  decode: (req: ApiRequest<K>) => RaftRequests[A],
  sourceOf: (req: RaftRequests[A]) => number,
  encode: (res: RaftResponses[A]) => ApiResponse<K>,
): ServedApi<K> {
  const failed = (errorCode: ErrorCodeValue) => ({ errorCode, topics: [], nodeEndpoints: [] }) as unknown as ApiResponse<K>;
  return {
    minVersion,
    maxVersion,
    handle: async (req, ctx) => {
      onControllerListener(options, ctx, api);
      if (clusterIdMismatch(options, req.clusterId)) return failed(ErrorCode.INCONSISTENT_CLUSTER_ID);
      const request = decode(req);
      try {
        return encode(await options.client.handle(sourceOf(request), api, request));
      } catch (e) {
        return failed(errorCode(e));
      }
    },
  };
}

/**
 * The KRaft RPCs a node serves when it runs the Raft client (more than one voter): Vote,
 * BeginQuorumEpoch, EndQuorumEpoch and Fetch of `__cluster_metadata-0` on the controller
 * listener, each handed to RaftClient.handle (DescribeQuorum is every node's: describe-quorum.ts).
 */
export function raftApis(options: RaftApisOptions): ServedApis {
  const { client } = options;
  const [voteMin, voteMax] = RAFT_API_VERSIONS.Vote;
  const [beginMin, beginMax] = RAFT_API_VERSIONS.BeginQuorumEpoch;
  const [endMin, endMax] = RAFT_API_VERSIONS.EndQuorumEpoch;
  const fallbackFetch = options.fetch;
  return {
    [ApiKey.Vote]: quorumRpc(options, "Vote", voteMin, voteMax, voteRequestFromWire, (r) => r.candidateId, voteResponseToWire),
    [ApiKey.BeginQuorumEpoch]: quorumRpc(options, "BeginQuorumEpoch", beginMin, beginMax, beginQuorumEpochRequestFromWire, (r) => r.leaderId, quorumEpochResponseToWire),
    [ApiKey.EndQuorumEpoch]: quorumRpc(options, "EndQuorumEpoch", endMin, endMax, endQuorumEpochRequestFromWire, (r) => r.leaderId, quorumEpochResponseToWire),
    [ApiKey.Fetch]: {
      minVersion: 4,
      maxVersion: 17,
      handle: async (req: ApiRequest<1>, ctx: RequestContext): Promise<ApiResponse<1> | null> => {
        const topic = req.topics.find((t) => t.topicId === METADATA_TOPIC_ID || t.topic === CLUSTER_METADATA_TOPIC);
        if (!topic || req.clusterId === null || !options.controllerListeners.has(ctx.connection.listener.toUpperCase())) {
          if (!fallbackFetch) throw new CloseConnection("Fetch is served on the controller listener for __cluster_metadata only");
          return fallbackFetch(req, ctx);
        }
        if (clusterIdMismatch(options, req.clusterId)) return fetchErrorToWire(ErrorCode.INCONSISTENT_CLUSTER_ID);
        let fetch;
        try {
          fetch = fetchRequestFromWire(req);
        } catch (e) {
          return fetchErrorToWire(errorCode(e));
        }
        try {
          return fetchResponseToWire(topic, await client.handle(fetch.replicaId, "Fetch", fetch));
        } catch (e) {
          return fetchErrorToWire(errorCode(e));
        }
      },
    },
  };
}

/** ApiVersions for a controller listener that serves only `served` (before the broker's APIs are up). */
export function minimalApiVersionsHandler(advertised: () => readonly ApiVersionRange[]): ApiHandler<18> {
  return async () => ({ ...defaultApiVersionsResponse(), errorCode: ErrorCode.NONE, apiKeys: advertised().map((a) => ({ ...a })) });
}
