import { randomUuid } from "../../broker/controller/uuid.ts";
import { ApiKey } from "../../broker/protocol/generated/apis.ts";
import { BrokerNode } from "./broker-node.ts";
import { withWire } from "./groups.ts";
import { freePort } from "./ports.ts";

/** What DescribeQuorum says about the metadata quorum. */
export interface QuorumView {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: bigint;
  voters: number[];
  observers: number[];
}

/**
 * Combined nodes that all vote in the metadata quorum (controller.quorum.voters names each),
 * with a PLAINTEXT and a CONTROLLER listener, and broker-only nodes observing it; one process
 * per node, each restartable. The nodes start together: none finishes starting before a
 * quorum elects a leader.
 */
export class RaftTestCluster {
  private constructor(
    readonly nodes: BrokerNode[],
    readonly clusterId: string,
    readonly controllerPorts: number[],
  ) {}

  /** `voters` combined nodes (ids 0..voters-1), then `observers` broker-only nodes that follow the quorum. */
  static async start(voters: number, overrides: Record<string, string> = {}, observers = 0): Promise<RaftTestCluster> {
    const clusterId = randomUuid();
    const controllerPorts = await Promise.all(Array.from({ length: voters }, () => freePort()));
    const quorum = controllerPorts.map((p, id) => `${id}@127.0.0.1:${p}`).join(",");
    const args = ["--cluster-id", clusterId];
    const voterNodes = controllerPorts.map((controllerPort, id) =>
      BrokerNode.start(
        { "node.id": String(id), "process.roles": "broker,controller", "controller.quorum.voters": quorum, ...overrides },
        { args, listeners: (port) => `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}` },
      ),
    );
    const observerNodes = Array.from({ length: observers }, (_, i) =>
      BrokerNode.start({ "node.id": String(voters + i), "process.roles": "broker", "controller.quorum.voters": quorum, ...overrides }, { args }),
    );
    const nodes = await Promise.all([...voterNodes, ...observerNodes]);
    return new RaftTestCluster(nodes, clusterId, controllerPorts);
  }

  node(id: number): BrokerNode {
    const n = this.nodes[id];
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Bootstrap servers of the nodes now running. */
  get bootstrap(): string {
    return this.nodes.filter((n) => n.alive).map((n) => n.bootstrap).join(",");
  }

  /** DescribeQuorum asked of one running node (a non-leader forwards it to the leader). */
  async describeQuorum(via: number): Promise<QuorumView | null> {
    return withWire(this.node(via).bootstrap, async (c) => {
      const res = await c.request(ApiKey.DescribeQuorum, c.version(ApiKey.DescribeQuorum, 0, 2), {
        topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }],
      });
      const p = res.topics[0]?.partitions[0];
      if (res.errorCode !== 0 || !p || p.errorCode !== 0 || p.leaderId < 0) return null;
      return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, highWatermark: p.highWatermark, voters: p.currentVoters.map((v) => v.replicaId).sort(), observers: p.observers.map((o) => o.replicaId).sort() };
    });
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}
