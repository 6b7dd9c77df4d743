import type { ControllerApi } from "../../controller/controller.ts";
import type { NetworkNode, SimNetwork } from "./sim-network.ts";

/**
 * The controller as a broker-only node reaches it: every command crosses the simulated
 * network to the one in-process QuorumController (node `controllerId`), so registrations,
 * heartbeats and AlterPartition requests can be delayed, lost or cut off like fetches.
 */
export class SimControllerClient implements ControllerApi {
  constructor(
    private readonly from: NetworkNode,
    private readonly network: SimNetwork,
    private readonly controllerId: number,
    private readonly controller: ControllerApi,
    private readonly timeoutMs: number,
  ) {}

  private send<T>(command: (controller: ControllerApi) => Promise<T>): Promise<T> {
    return this.network.call(this.from, this.controllerId, this.timeoutMs, () => command(this.controller));
  }

  createTopics(...a: Parameters<ControllerApi["createTopics"]>) {
    return this.send((c) => c.createTopics(...a));
  }
  deleteTopics(...a: Parameters<ControllerApi["deleteTopics"]>) {
    return this.send((c) => c.deleteTopics(...a));
  }
  createPartitions(...a: Parameters<ControllerApi["createPartitions"]>) {
    return this.send((c) => c.createPartitions(...a));
  }
  alterConfigs(...a: Parameters<ControllerApi["alterConfigs"]>) {
    return this.send((c) => c.alterConfigs(...a));
  }
  incrementalAlterConfigs(...a: Parameters<ControllerApi["incrementalAlterConfigs"]>) {
    return this.send((c) => c.incrementalAlterConfigs(...a));
  }
  allocateProducerIds(...a: Parameters<ControllerApi["allocateProducerIds"]>) {
    return this.send((c) => c.allocateProducerIds(...a));
  }
  registerBroker(...a: Parameters<ControllerApi["registerBroker"]>) {
    return this.send((c) => c.registerBroker(...a));
  }
  brokerHeartbeat(...a: Parameters<ControllerApi["brokerHeartbeat"]>) {
    return this.send((c) => c.brokerHeartbeat(...a));
  }
  alterPartition(...a: Parameters<ControllerApi["alterPartition"]>) {
    return this.send((c) => c.alterPartition(...a));
  }
  electLeaders(...a: Parameters<ControllerApi["electLeaders"]>) {
    return this.send((c) => c.electLeaders(...a));
  }
  alterPartitionReassignments(...a: Parameters<ControllerApi["alterPartitionReassignments"]>) {
    return this.send((c) => c.alterPartitionReassignments(...a));
  }
  listPartitionReassignments(...a: Parameters<ControllerApi["listPartitionReassignments"]>) {
    return this.send((c) => c.listPartitionReassignments(...a));
  }
}
