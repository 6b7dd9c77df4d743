import type { QuorumDescription } from "../../controller/quorum/leader-progress.ts";
import { RAFT_API_VERSIONS, describeQuorumErrorToWire, describeQuorumRequestToWire, describeQuorumResponseToWire, type WireEndpoint } from "../../controller/quorum/raft-wire.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { ApiKey, type ApiResponse } from "../../protocol/generated/apis.ts";
import type { QuorumLeaderChannel } from "../quorum-leader-channel.ts";
import type { ApiHandler } from "../request-dispatcher.ts";

/** What a node knows to answer DescribeQuorum. */
export interface QuorumDescriber {
  /** The description when this node leads the metadata quorum, else null. */
  local(): QuorumDescription | null;
  /** Where a non-leader sends the request (null on the lone voter, which always leads). */
  leader: QuorumLeaderChannel | null;
  /** Every voter's controller endpoint (v2's nodes). */
  voterEndpoints: ReadonlyMap<number, WireEndpoint>;
}

/**
 * DescribeQuorum (55) on every listener: the quorum leader answers from its replica
 * progress; another node forwards the request to the leader's controller listener, as a
 * Kafka broker forwards it to the active controller.
 */
export function describeQuorumHandler(describer: QuorumDescriber): ApiHandler<55> {
  const [min, max] = RAFT_API_VERSIONS.DescribeQuorum;
  return async (): Promise<ApiResponse<55>> => {
    const local = describer.local();
    if (local !== null) return describeQuorumResponseToWire(local, describer.voterEndpoints);
    const channel = describer.leader?.get() ?? null;
    if (channel === null) return describeQuorumErrorToWire(ErrorCode.NOT_LEADER_OR_FOLLOWER, "the metadata quorum has no leader right now");
    try {
      return await channel.send(ApiKey.DescribeQuorum, min, max, describeQuorumRequestToWire());
    } catch (e) {
      return describeQuorumErrorToWire(ErrorCode.REQUEST_TIMED_OUT, `cannot reach the metadata quorum leader: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
