import pino from "pino";
import type { ControllerApi } from "../../controller/controller.ts";
import type { MetadataDelta } from "../../controller/metadata-delta.ts";
import type { MetadataImage } from "../../controller/metadata-image.ts";
import type { RegisterBrokerCommand } from "../../controller/cluster-control.ts";
import { LogManager, type ConfigLayer } from "../../log/log-manager.ts";
import { BrokerLifecycle } from "../../server/broker-lifecycle.ts";
import { AlterPartitionManager } from "../alter-partition-manager.ts";
import type { PartitionSettings } from "../partition.ts";
import type { ReplicaFetchConfig } from "../replica-fetcher.ts";
import { ReplicaManager } from "../replica-manager.ts";
import { SimControllerClient } from "./sim-controller-client.ts";
import { SimLeaderEndpoint } from "./sim-leader-endpoint.ts";
import type { NetworkNode, SimNetwork } from "./sim-network.ts";
import type { SimRandom } from "./sim-random.ts";
import type { SimScheduler, TimerScope } from "../../simulation/sim-scheduler.ts";
import { losePowerOn } from "./power-loss.ts";

/** The timing and topic settings every broker of a simulated cluster runs with. */
export interface SimBrokerSettings {
  heartbeatIntervalMs: number;
  replicaLagTimeMaxMs: number;
  fetch: ReplicaFetchConfig;
  /** replica.socket.timeout.ms, and the timeout of requests to the controller. */
  socketTimeoutMs: number;
  /** How long a committed metadata change takes to reach a broker (it replays the metadata log). */
  metadataDelayMs: readonly [number, number];
  partitionSettings: PartitionSettings;
  /** Log configs of every partition (segment.bytes, flush.messages). */
  logConfig: ConfigLayer;
}

export interface BrokerProcessOptions {
  id: number;
  logDir: string;
  scope: TimerScope;
  scheduler: SimScheduler;
  network: SimNetwork;
  random: SimRandom;
  controllerId: number;
  controller: ControllerApi;
  registration: Omit<RegisterBrokerCommand, "brokerId">;
  settings: SimBrokerSettings;
  /** The ReplicaManager of broker `id`'s running incarnation, for fetch requests to land on. */
  replicaManagerOf: (id: number) => ReplicaManager | undefined;
}

const SILENT = pino({ level: "silent" });

/**
 * One incarnation of a broker-only node: its LogManager (recovering the log dir at start),
 * ReplicaManager with replica fetchers and ISR changes, AlterPartitionManager and
 * BrokerLifecycle, all on this incarnation's timers and talking over the simulated network.
 * Metadata reaches it as a broker replaying the metadata log would: in commit order, each
 * change after a delay. A crash kills its timers and network identity at once; its logs
 * keep what a kill -9 keeps, or lose their unflushed tails on a power loss.
 */
export class BrokerProcess implements NetworkNode {
  readonly id: number;
  readonly scope: TimerScope;
  readonly logs: LogManager;
  readonly replicaManager: ReplicaManager;
  readonly lifecycle: BrokerLifecycle;
  private readonly alterPartitions: AlterPartitionManager;
  /** The latest metadata this process has replayed, and whether its partitions follow it yet. */
  private replayed: MetadataImage;
  private following = false;
  private deliverAt = 0;

  constructor(private readonly options: BrokerProcessOptions, image: MetadataImage) {
    const { id, scope, network, settings } = options;
    this.replayed = image;
    this.id = id;
    this.scope = scope;
    const controller = new SimControllerClient(this, network, options.controllerId, options.controller, settings.socketTimeoutMs);
    this.logs = new LogManager({ config: { "log.dirs": [options.logDir] }, defaultLogConfig: settings.logConfig, clock: scope, timer: scope });
    this.logs.startup();
    this.lifecycle = new BrokerLifecycle({
      nodeId: id,
      controller,
      registration: options.registration,
      metadataOffset: () => this.replayed.provenance.lastOffset,
      clock: scope,
      logger: SILENT,
      heartbeatIntervalMs: settings.heartbeatIntervalMs,
      retryBackoffMs: 100,
    });
    this.alterPartitions = new AlterPartitionManager({ brokerId: id, brokerEpoch: () => this.lifecycle.brokerEpoch, send: (cmd) => controller.alterPartition(cmd), timer: scope });
    this.replicaManager = new ReplicaManager({
      localId: id,
      clock: scope,
      logs: this.logs,
      topicSettings: () => ({ overrides: {}, settings: settings.partitionSettings }),
      isrChanges: { submitter: this.alterPartitions, replicaLagTimeMaxMs: settings.replicaLagTimeMaxMs, localBrokerEpoch: () => this.lifecycle.brokerEpoch },
      fetchers: {
        numFetchers: 1,
        config: settings.fetch,
        brokerEpoch: () => Number(this.lifecycle.brokerEpoch),
        endpoint: (leader) => new SimLeaderEndpoint(leader, this, network, () => options.replicaManagerOf(leader), settings.socketTimeoutMs),
      },
    });
    // Like a broker-only node's start (metadata-layer.ts): its partitions follow the metadata
    // only once the controller has unfenced this incarnation, from the image replayed by then.
    this.lifecycle.start();
    void this.lifecycle.waitUntilUnfenced().then(() => {
      if (!scope.alive) return;
      this.following = true;
      this.replicaManager.applyDelta(this.replayed);
    });
  }

  /** A committed metadata change: applied after a delay, never before an earlier one. */
  enqueueMetadata(image: MetadataImage, delta: MetadataDelta): void {
    const [lo, hi] = this.options.settings.metadataDelayMs;
    const now = this.scope.now();
    this.deliverAt = Math.max(this.deliverAt, now + this.options.random.int(lo, hi));
    this.scope.schedule(this.deliverAt - now, () => {
      this.replayed = image;
      if (this.following) this.replicaManager.applyDelta(image, delta);
    });
  }

  /**
   * The process dies: nothing of it runs again. With `powerLoss` each log also loses what
   * was not fsynced (see losePowerOn); otherwise the page cache kept everything, as after
   * kill -9. Returns the offsets lost.
   */
  crash(powerLoss: boolean): number {
    this.scope.kill();
    let lost = 0;
    for (const log of this.logs.allLogs()) {
      if (powerLoss) lost += losePowerOn(log, this.options.random);
      else log.close();
    }
    this.logs.filePool.closeAll();
    return lost;
  }
}
