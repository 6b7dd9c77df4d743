import { hostname } from "node:os";
import type { BrokerConfig } from "../config/broker-config.ts";
import type { LogLogger } from "../log/log-logger.ts";
import { type Clock, systemClock, type Timer } from "../util/clock.ts";
import { QuorumController } from "./controller.ts";
import { ensureMetaProperties } from "./meta-properties.ts";
import type { Endpoint } from "./metadata-image.ts";
import { MAX_SUPPORTED_METADATA_VERSION, METADATA_VERSION_FEATURE, MIN_SUPPORTED_METADATA_VERSION } from "./metadata-version.ts";
import { LogRaftStore } from "./quorum/log-raft-store.ts";
import { metadataPartitionDir, SingleVoterQuorum } from "./quorum/single-voter-quorum.ts";
import { randomUuid } from "./uuid.ts";
import type { StateChangeSink } from "../events/state-change.ts";
import { clusterStateObserver } from "./state-machines/cluster-state-observer.ts";

/** Kafka's SecurityProtocol ids. */
export const SecurityProtocol = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 } as const;

export interface MetadataLayerOptions {
  config: BrokerConfig;
  clock?: Clock & Timer;
  logger?: LogLogger;
  /** The cluster id to format new directories with (a launcher shares one across nodes). */
  clusterId?: string;
  /** The broker endpoints to register; by default the advertised, non-controller listeners. */
  listeners?: Endpoint[];
  random?: () => number;
  /** Where the broker, partition and replica state machines report their transitions. */
  stateChanges?: StateChangeSink;
}

export interface MetadataLayer {
  clusterId: string;
  /** Log directory → its meta.properties directory.id. */
  directoryIds: Map<string, string>;
  metadataLogDir: string;
  quorum: SingleVoterQuorum;
  controller: QuorumController;
  close(): Promise<void>;
}

/**
 * Starts a node's metadata layer: verifies or formats meta.properties in every log dir,
 * opens `__cluster_metadata-0` under metadata.log.dir (default: the first log dir), starts
 * the single-voter quorum (replaying the log into the image), bootstraps a new cluster and
 * registers this node as a broker.
 */
export async function startMetadataLayer(options: MetadataLayerOptions): Promise<MetadataLayer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const nodeId = config.nodeId;
  if (nodeId < 0) throw new Error("node.id must be set (a non-negative integer)");
  checkSingleVoter(config, nodeId);
  const logDirs = config.logDirs;
  if (logDirs.length === 0) throw new Error("log.dirs (or log.dir) must name at least one directory");
  const metadataLogDir = config.get("metadata.log.dir") ?? logDirs[0]!;
  const formatted = ensureMetaProperties({
    dirs: [...new Set([...logDirs, metadataLogDir])],
    nodeId,
    clusterId: options.clusterId,
  });
  const store = LogRaftStore.open({ dir: metadataPartitionDir(metadataLogDir), clock, timer: clock, logger: options.logger });
  const quorum = new SingleVoterQuorum({ nodeId, dir: metadataPartitionDir(metadataLogDir), store, clock });
  const controller = new QuorumController({
    nodeId,
    clusterId: formatted.clusterId,
    quorum,
    config,
    random: options.random,
    registration: {
      clusterId: formatted.clusterId,
      incarnationId: randomUuid(),
      listeners: options.listeners ?? brokerEndpoints(config),
      rack: config.get("broker.rack"),
      features: [
        { name: METADATA_VERSION_FEATURE, minSupportedVersion: MIN_SUPPORTED_METADATA_VERSION, maxSupportedVersion: MAX_SUPPORTED_METADATA_VERSION },
      ],
      logDirs: logDirs.map((d) => formatted.directoryIds.get(d)!),
    },
  });
  if (options.stateChanges) {
    controller.onImage(clusterStateObserver(options.stateChanges, () => quorum.leaderAndEpoch().epoch, () => controller.isActive()));
  }
  try {
    await controller.start();
  } catch (e) {
    await quorum.close().catch(() => undefined);
    throw e;
  }
  return {
    clusterId: formatted.clusterId,
    directoryIds: formatted.directoryIds,
    metadataLogDir,
    quorum,
    controller,
    close: () => controller.close(),
  };
}

/** Only a quorum of this node alone exists today; refuse configs that name other voters. */
function checkSingleVoter(config: BrokerConfig, nodeId: number): void {
  const voters = config.list("controller.quorum.voters").map((v) => Number(v.split("@")[0]));
  const others = voters.filter((id) => id !== nodeId);
  if (others.length > 0) {
    throw new Error(`controller.quorum.voters names other nodes (${others.join(", ")}); multi-node quorums are not implemented yet`);
  }
}

/** Advertised listeners except the controller's, with their security protocol ids. */
export function brokerEndpoints(config: BrokerConfig): Endpoint[] {
  const protocolOf = new Map(
    config.list("listener.security.protocol.map").map((entry) => {
      const [name, protocol] = entry.split(":");
      return [name!.trim().toUpperCase(), protocol!.trim().toUpperCase()];
    }),
  );
  const controllerNames = new Set(config.list("controller.listener.names").map((n) => n.toUpperCase()));
  return config
    .advertisedListeners()
    .filter((l) => !controllerNames.has(l.name))
    .map((l) => {
      const protocol = protocolOf.get(l.name) ?? l.name;
      const id = (SecurityProtocol as Record<string, number>)[protocol];
      if (id === undefined) throw new Error(`listener ${l.name} has no known security protocol (listener.security.protocol.map)`);
      // An empty host advertises this machine, as Kafka does with its canonical host name.
      return { name: l.name, host: l.host === "" ? hostname() : l.host, port: l.port, securityProtocol: id };
    });
}
