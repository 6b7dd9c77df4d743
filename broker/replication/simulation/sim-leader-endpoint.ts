import { InProcessLeaderEndpoint } from "../replica-fetcher-endpoints.ts";
import type { LeaderEndpoint } from "../replica-fetcher.ts";
import type { FetchParams, FetchPartitionResult, ReplicaManager, TopicPartition } from "../replica-manager.ts";
import type { NetworkNode, SimNetwork } from "./sim-network.ts";

/**
 * A replica fetcher's leader across the simulated network: each Fetch and ListOffsets is a
 * request the network may delay, drop or cut, served on arrival by the leader's current
 * ReplicaManager (the in-process endpoint does the serving).
 */
export class SimLeaderEndpoint implements LeaderEndpoint {
  private readonly server: InProcessLeaderEndpoint;

  constructor(
    readonly brokerId: number,
    private readonly from: NetworkNode,
    private readonly network: SimNetwork,
    leader: () => ReplicaManager | undefined,
    /** replica.socket.timeout.ms: a lost request or answer fails the fetch after this. */
    private readonly timeoutMs: number,
  ) {
    this.server = new InProcessLeaderEndpoint(brokerId, leader);
  }

  fetch(request: FetchParams): Promise<FetchPartitionResult[]> {
    return this.network.call(this.from, this.brokerId, this.timeoutMs, () => this.server.fetch(request));
  }

  fetchEarliestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number> {
    return this.network.call(this.from, this.brokerId, this.timeoutMs, () => this.server.fetchEarliestOffset(tp, currentLeaderEpoch));
  }

  fetchLatestOffset(tp: TopicPartition, currentLeaderEpoch: number): Promise<number> {
    return this.network.call(this.from, this.brokerId, this.timeoutMs, () => this.server.fetchLatestOffset(tp, currentLeaderEpoch));
  }

  close(): void {}
}
