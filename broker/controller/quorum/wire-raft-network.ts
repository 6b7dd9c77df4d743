import { NodeChannel } from "../../network/node-channel.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { ApiKey } from "../../protocol/generated/apis.ts";
import type { RaftApi, RaftNetwork, RaftRequests, RaftResponses } from "./raft-messages.ts";
import {
  RAFT_API_VERSIONS,
  RAFT_FETCH_VERSIONS,
  beginQuorumEpochRequestToWire,
  endQuorumEpochRequestToWire,
  fetchRequestToWire,
  fetchResponseFromWire,
  quorumEpochResponseFromWire,
  voteRequestToWire,
  voteResponseFromWire,
  type WireEndpoint,
} from "./raft-wire.ts";

export interface WireRaftNetworkOptions {
  nodeId: number;
  clusterId: string;
  /** Each voter's controller listener, host:port (controller.quorum.voters). */
  voterAddresses: ReadonlyMap<number, string>;
  /** This node's controller listener, sent as LeaderEndpoints when it leads. */
  localEndpoint: WireEndpoint | null;
  requestTimeoutMs: number;
}

/**
 * The Raft client's RaftNetwork over Kafka connections to each voter's controller listener.
 * A fetch long-polls, so it has a channel of its own per voter: a Vote or BeginQuorumEpoch
 * never queues behind it.
 *
 * Pre-vote: Kafka 3.9 speaks Vote v0-1, which has no PreVote field, and a v0-1 Vote with the
 * next epoch is a real vote that bumps the receiver's epoch. So pre-votes never go on the
 * wire: this network grants them itself, and an election between processes is Kafka 3.9's
 * (no pre-vote round; a partitioned voter can disrupt a stable leader when it returns). The
 * simulation keeps the pre-vote round.
 */
export class WireRaftNetwork implements RaftNetwork {
  private readonly channels = new Map<string, NodeChannel>();

  constructor(private readonly options: WireRaftNetworkOptions) {}

  async send<A extends RaftApi>(destination: number, api: A, request: RaftRequests[A]): Promise<RaftResponses[A]> {
    const { clusterId, localEndpoint } = this.options;
    switch (api) {
      case "Vote": {
        const vote = request as RaftRequests["Vote"];
        if (vote.preVote) {
          const granted: RaftResponses["Vote"] = { errorCode: ErrorCode.NONE, leaderId: -1, leaderEpoch: vote.candidateEpoch - 1, voteGranted: true };
          return granted as RaftResponses[A];
        }
        const [min, max] = RAFT_API_VERSIONS.Vote;
        const res = await this.channel(destination, "control").send(ApiKey.Vote, min, max, voteRequestToWire(clusterId, destination, vote));
        return voteResponseFromWire(res) as RaftResponses[A];
      }
      case "BeginQuorumEpoch": {
        const [min, max] = RAFT_API_VERSIONS.BeginQuorumEpoch;
        const body = beginQuorumEpochRequestToWire(clusterId, destination, request as RaftRequests["BeginQuorumEpoch"], localEndpoint);
        return quorumEpochResponseFromWire(await this.channel(destination, "control").send(ApiKey.BeginQuorumEpoch, min, max, body)) as RaftResponses[A];
      }
      case "EndQuorumEpoch": {
        const [min, max] = RAFT_API_VERSIONS.EndQuorumEpoch;
        const body = endQuorumEpochRequestToWire(clusterId, request as RaftRequests["EndQuorumEpoch"], localEndpoint);
        return quorumEpochResponseFromWire(await this.channel(destination, "control").send(ApiKey.EndQuorumEpoch, min, max, body)) as RaftResponses[A];
      }
      case "Fetch": {
        const [min, max] = RAFT_FETCH_VERSIONS;
        const body = fetchRequestToWire(clusterId, request as RaftRequests["Fetch"]);
        return fetchResponseFromWire(await this.channel(destination, "fetch").send(ApiKey.Fetch, min, max, body)) as RaftResponses[A];
      }
    }
    throw new Error(`unknown Raft API ${String(api)}`);
  }

  close(): void {
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
  }

  private channel(destination: number, purpose: "control" | "fetch"): NodeChannel {
    const key = `${destination}/${purpose}`;
    let channel = this.channels.get(key);
    if (!channel) {
      const address = this.options.voterAddresses.get(destination);
      if (address === undefined) throw new Error(`node ${destination} is not a voter of controller.quorum.voters`);
      // A held fetch answers after its max wait: the channel's timeout must outlast it.
      channel = new NodeChannel(() => address, { clientId: `samsa-raft-${this.options.nodeId}`, timeoutMs: this.options.requestTimeoutMs });
      this.channels.set(key, channel);
    }
    return channel;
  }
}
