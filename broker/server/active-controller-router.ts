import type { ControllerApi, QuorumController } from "../controller/controller.ts";
import type { MetadataQuorum } from "../controller/quorum/metadata-quorum.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { RemoteController } from "./remote-controller.ts";

export interface ActiveControllerRouterOptions {
  nodeId: number;
  /** This node's controller: the active one while this node leads the quorum. */
  local: QuorumController;
  quorum: MetadataQuorum;
  /** Each voter's controller listener (host:port). */
  voterAddresses: ReadonlyMap<number, string>;
  /** Per attempt over the wire. */
  requestTimeoutMs: number;
  /** How long one command keeps looking for the active controller. */
  retryTimeoutMs: number;
  retryBackoffMs: number;
  clock: Clock & Timer;
}

/** Errors that mean "not the active controller (any more), or not reachable": ask the leader again. */
function isRetriable(errorCode: number): boolean {
  return errorCode === ErrorCode.NOT_CONTROLLER || errorCode === ErrorCode.REQUEST_TIMED_OUT;
}

function everyItemRetriable(items: readonly { errorCode: number }[]): boolean {
  return items.length > 0 && items.every((i) => isRetriable(i.errorCode));
}

/**
 * Where a node's controller commands go when the quorum has several voters (Kafka's
 * NodeToControllerChannelManager): to the local controller while this node leads the
 * metadata quorum, else over the wire to the leader's controller listener. A command
 * refused with NOT_CONTROLLER, or one that cannot reach the leader, waits for the quorum to
 * name a leader and is sent again, as Kafka's channel re-queues a NOT_CONTROLLER answer.
 * A NOT_CONTROLLER that came from a deposed leader's failed append is an unknown outcome:
 * its records may still be committed by the next leader, so a retried CreateTopics can
 * answer TOPIC_ALREADY_EXISTS for a topic the first attempt created.
 */
export class ActiveControllerRouter implements ControllerApi {
  private readonly remotes = new Map<number, RemoteController>();

  constructor(private readonly options: ActiveControllerRouterOptions) {}

  createTopics: ControllerApi["createTopics"] = (cmd) => this.route((c) => c.createTopics(cmd), everyItemRetriable);
  deleteTopics: ControllerApi["deleteTopics"] = (cmd) => this.route((c) => c.deleteTopics(cmd), everyItemRetriable);
  createPartitions: ControllerApi["createPartitions"] = (cmd) => this.route((c) => c.createPartitions(cmd), everyItemRetriable);
  alterConfigs: ControllerApi["alterConfigs"] = (cmd) => this.route((c) => c.alterConfigs(cmd), everyItemRetriable);
  incrementalAlterConfigs: ControllerApi["incrementalAlterConfigs"] = (cmd) => this.route((c) => c.incrementalAlterConfigs(cmd), everyItemRetriable);
  allocateProducerIds: ControllerApi["allocateProducerIds"] = (brokerId, brokerEpoch) => this.route((c) => c.allocateProducerIds(brokerId, brokerEpoch));
  registerBroker: ControllerApi["registerBroker"] = (cmd) => this.route((c) => c.registerBroker(cmd));
  brokerHeartbeat: ControllerApi["brokerHeartbeat"] = (cmd) => this.route((c) => c.brokerHeartbeat(cmd));
  alterPartition: ControllerApi["alterPartition"] = (cmd) => this.route((c) => c.alterPartition(cmd));
  electLeaders: ControllerApi["electLeaders"] = (cmd) => this.route((c) => c.electLeaders(cmd));
  alterPartitionReassignments: ControllerApi["alterPartitionReassignments"] = (cmd) =>
    this.route(
      (c) => c.alterPartitionReassignments(cmd),
      (topics) => everyItemRetriable(topics.flatMap((t) => t.partitions)),
    );
  listPartitionReassignments: ControllerApi["listPartitionReassignments"] = (topics) => this.route((c) => c.listPartitionReassignments(topics));

  close(): void {
    for (const r of this.remotes.values()) r.close();
    this.remotes.clear();
  }

  /** The active controller as this node knows it: itself, the quorum leader over the wire, or none yet. */
  private target(): ControllerApi | null {
    const { local, quorum, nodeId } = this.options;
    if (local.isActive()) return local;
    const leaderId = quorum.leaderAndEpoch().leaderId;
    if (leaderId === null || leaderId === nodeId) return null;
    let remote = this.remotes.get(leaderId);
    if (!remote) {
      const address = this.options.voterAddresses.get(leaderId);
      if (address === undefined) return null;
      remote = new RemoteController({
        nodeId,
        controllerAddress: address,
        requestTimeoutMs: this.options.requestTimeoutMs,
        awaitImage: (ready, timeoutMs) => local.awaitImage(ready, timeoutMs),
      });
      this.remotes.set(leaderId, remote);
    }
    return remote;
  }

  private async route<T>(send: (controller: ControllerApi) => Promise<T>, refused: (result: T) => boolean = () => false): Promise<T> {
    const { clock, retryTimeoutMs, retryBackoffMs } = this.options;
    const deadline = clock.now() + retryTimeoutMs;
    for (;;) {
      const controller = this.target();
      let outcome: { result: T } | { error: unknown } | null = null;
      if (controller !== null) {
        try {
          outcome = { result: await send(controller) };
        } catch (e) {
          outcome = { error: e };
        }
        const retry = "result" in outcome ? refused(outcome.result) : outcome.error instanceof KafkaError && isRetriable(outcome.error.code);
        if (!retry || clock.now() >= deadline) {
          if ("result" in outcome) return outcome.result;
          throw outcome.error;
        }
      } else if (clock.now() >= deadline) {
        throw new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${this.options.nodeId} knows no active controller`);
      }
      await new Promise<void>((resolve) => clock.schedule(retryBackoffMs, resolve));
    }
  }
}
