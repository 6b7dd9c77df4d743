import { randomUuid } from "../../broker/controller/uuid.ts";
import { BrokerNode } from "./broker-node.ts";
import { freePort } from "./ports.ts";

/**
 * A real multi-node cluster for integration tests, laid out like `samsa cluster`: node 0
 * is the controller (broker + the quorum's voter, with a CONTROLLER listener), the others
 * are broker-only nodes that register with it. One process per node, each restartable.
 */
export class TestCluster {
  private constructor(
    readonly nodes: BrokerNode[],
    readonly clusterId: string,
  ) {}

  static async start(size: number, overrides: Record<string, string> = {}): Promise<TestCluster> {
    const clusterId = randomUuid();
    const controllerPort = await freePort();
    const voters = `0@127.0.0.1:${controllerPort}`;
    const args = ["--cluster-id", clusterId];
    const controller = await BrokerNode.start(
      {
        "node.id": "0",
        "process.roles": "broker,controller",
        "controller.quorum.voters": voters,
        ...overrides,
      },
      { args, listeners: (port) => `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}` },
    );
    const brokers = await Promise.all(
      Array.from({ length: size - 1 }, (_, i) =>
        BrokerNode.start({ "node.id": String(i + 1), "process.roles": "broker", "controller.quorum.voters": voters, ...overrides }, { args }),
      ),
    );
    return new TestCluster([controller, ...brokers], clusterId);
  }

  get bootstrap(): string {
    return this.nodes.map((n) => n.bootstrap).join(",");
  }

  node(id: number): BrokerNode {
    const n = this.nodes[id];
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  async destroy(): Promise<void> {
    // Brokers first: a broker whose controller is gone would wait for it while stopping.
    await Promise.all(this.nodes.slice(1).map((n) => n.destroy()));
    await this.nodes[0]?.destroy();
  }
}
