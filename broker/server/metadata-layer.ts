import { hostname } from "node:os";
import type { BrokerConfig } from "../config/broker-config.ts";
import type { LogLogger } from "../log/log-logger.ts";
import { type Clock, systemClock, type Timer } from "../util/clock.ts";
import { createLogger, type Logger } from "../util/logger.ts";
import { type ControllerApi, QuorumController } from "../controller/controller.ts";
import { ensureMetaProperties } from "../controller/meta-properties.ts";
import type { Endpoint } from "../controller/metadata-image.ts";
import { MAX_SUPPORTED_METADATA_VERSION, METADATA_VERSION_FEATURE, MIN_SUPPORTED_METADATA_VERSION } from "../controller/metadata-version.ts";
import { LogRaftStore } from "../controller/quorum/log-raft-store.ts";
import { metadataPartitionDir, SingleVoterQuorum } from "../controller/quorum/single-voter-quorum.ts";
import { ObserverQuorum } from "../controller/quorum/observer-quorum.ts";
import { remoteMetadataFetch } from "../controller/quorum/remote-metadata-fetch.ts";
import type { MetadataLogRead, MetadataQuorum } from "../controller/quorum/metadata-quorum.ts";
import type { RegisterBrokerCommand } from "../controller/cluster-control.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { RemoteController } from "./remote-controller.ts";
import { BrokerLifecycle } from "./broker-lifecycle.ts";
import { randomUuid } from "../controller/uuid.ts";
import type { StateChangeSink } from "../events/state-change.ts";
import { clusterStateObserver } from "../controller/state-machines/cluster-state-observer.ts";
import type { QuorumDescriber } from "./handlers/describe-quorum.ts";
import { QuorumLeaderChannel } from "./quorum-leader-channel.ts";
import { controllerListenerNames, parseQuorumVoters, startRaftMetadataLayer, type ControllerListenerHandoff } from "./raft-metadata-layer.ts";

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
  /** Structured log for the quorum and broker lifecycle (observers). */
  log?: Logger;
  /** Where the broker, partition and replica state machines report their transitions. */
  stateChanges?: StateChangeSink;
}

export interface MetadataLayer {
  clusterId: string;
  /** Log directory → its meta.properties directory.id. */
  directoryIds: Map<string, string>;
  metadataLogDir: string;
  /** The committed metadata, replayed on every node; on the voter also the active controller. */
  controller: QuorumController;
  /** The metadata quorum: this node leads it (the voter) or follows it (an observer). */
  quorum: MetadataQuorum;
  /** Where this node's controller commands go: the local controller, or the voter over the wire. */
  commands: ControllerApi;
  /** True on the quorum's voter, which serves the controller APIs. */
  isController: boolean;
  /** The voter serves observers' fetches from this; observers refuse with NOT_CONTROLLER. */
  readMetadataLog(offset: bigint, maxBytes: number, maxWaitMs: number): Promise<MetadataLogRead>;
  /** The epoch of this node's broker registration (-1 before it registered). */
  brokerEpoch(): bigint;
  /** Broker-only nodes: asks the controller to move leaderships away before stopping. */
  controlledShutdown(): Promise<void>;
  /** DescribeQuorum's answers: the leader's own, or where to forward the request. */
  describeQuorum: QuorumDescriber;
  /** With several voters: the controller listener, bound before the broker's (raft-metadata-layer.ts). */
  controllerListener?: ControllerListenerHandoff;
  close(): Promise<void>;
}

/**
 * Starts a node's metadata layer: verifies or formats meta.properties in every log dir and
 * opens `__cluster_metadata-0` under metadata.log.dir (default: the first log dir). A node
 * with the controller role is the quorum's single voter: it replays the log, leads it,
 * bootstraps a new cluster and registers its own broker in-process. A broker-only node is
 * an observer: it replays its local copy, follows the voter's log over the wire, registers
 * with BrokerRegistration and is ready once the controller has unfenced it.
 */
export async function startMetadataLayer(options: MetadataLayerOptions): Promise<MetadataLayer> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const nodeId = config.nodeId;
  if (nodeId < 0) throw new Error("node.id must be set (a non-negative integer)");
  const voters = parseQuorumVoters(config);
  const logDirs = config.logDirs;
  if (logDirs.length === 0) throw new Error("log.dirs (or log.dir) must name at least one directory");
  const metadataLogDir = config.get("metadata.log.dir") ?? logDirs[0]!;
  const formatted = ensureMetaProperties({
    dirs: [...new Set([...logDirs, metadataLogDir])],
    nodeId,
    clusterId: options.clusterId,
  });
  const registration: Omit<RegisterBrokerCommand, "brokerId"> = {
    clusterId: formatted.clusterId,
    incarnationId: randomUuid(),
    listeners: options.listeners ?? brokerEndpoints(config),
    rack: config.get("broker.rack"),
    features: [
      { name: METADATA_VERSION_FEATURE, minSupportedVersion: MIN_SUPPORTED_METADATA_VERSION, maxSupportedVersion: MAX_SUPPORTED_METADATA_VERSION },
    ],
    logDirs: logDirs.map((d) => formatted.directoryIds.get(d)!),
  };
  const base = { clusterId: formatted.clusterId, directoryIds: formatted.directoryIds, metadataLogDir };
  const onError = (e: unknown) => options.logger?.error(`controller task failed: ${e instanceof Error ? e.message : String(e)}`);
  if (voters.length > 1) {
    const log = options.log ?? createLogger({ node: nodeId });
    return startRaftMetadataLayer({ options, config, clock, log, nodeId, voters, base, registration, onError, startController: (c, q) => startController(c, q, options) });
  }
  const voter = voters[0] ? { id: voters[0].id, address: `${voters[0].host}:${voters[0].port}` } : { id: nodeId, address: "" };
  const store = LogRaftStore.open({ dir: metadataPartitionDir(metadataLogDir), clock, timer: clock, logger: options.logger });
  const isController = config.list("process.roles").includes("controller");
  if (isController) {
    if (voter.id !== nodeId) throw new Error(`node ${nodeId} has the controller role but controller.quorum.voters names node ${voter.id}`);
    const quorum = new SingleVoterQuorum({ nodeId, dir: metadataPartitionDir(metadataLogDir), store, clock });
    const controller = new QuorumController({
      nodeId,
      clusterId: formatted.clusterId,
      quorum,
      config,
      random: options.random,
      registration,
      clock,
      onError,
    });
    await startController(controller, quorum, options);
    const controllerListener = config.listeners().find((l) => controllerListenerNames(config).has(l.name.toUpperCase()));
    const describer: QuorumDescriber = {
      local: () => (quorum.isLeader() ? quorum.describeQuorum() : null),
      leader: null,
      voterEndpoints: new Map(controllerListener ? [[nodeId, { name: controllerListener.name, host: controllerListener.host, port: controllerListener.port }]] : []),
    };
    return {
      ...base,
      controller,
      quorum,
      commands: controller,
      isController: true,
      describeQuorum: describer,
      readMetadataLog: (offset, maxBytes, maxWaitMs) => quorum.readCommitted(offset, maxBytes, maxWaitMs),
      brokerEpoch: () => controller.brokerEpoch ?? -1n,
      controlledShutdown: async () => undefined,
      close: () => controller.close(),
    };
  }
  if (voter.id === nodeId) throw new Error(`controller.quorum.voters names this node (${nodeId}), but process.roles lacks controller`);
  const requestTimeoutMs = config.int("controller.quorum.request.timeout.ms");
  const retryBackoffMs = Math.max(config.int("controller.quorum.retry.backoff.ms"), 100);
  const log = options.log ?? createLogger({ node: nodeId });
  const remoteFetch = remoteMetadataFetch({ nodeId, clusterId: formatted.clusterId, controllerAddress: voter.address, requestTimeoutMs });
  const quorum = new ObserverQuorum({
    nodeId,
    store,
    fetch: remoteFetch.fetch,
    clock,
    logger: log,
    fetchMaxWaitMs: config.int("controller.quorum.fetch.timeout.ms") / 2,
    retryBackoffMs,
  });
  const controller = new QuorumController({ nodeId, clusterId: formatted.clusterId, quorum, config, random: options.random, clock, onError });
  await startController(controller, quorum, options);
  const commands = new RemoteController({
    nodeId,
    controllerAddress: voter.address,
    requestTimeoutMs: Math.max(requestTimeoutMs, 5000),
    awaitImage: (ready, timeoutMs) => controller.awaitImage(ready, timeoutMs),
  });
  const lifecycle = new BrokerLifecycle({
    nodeId,
    controller: commands,
    registration,
    metadataOffset: () => controller.image.provenance.lastOffset,
    clock,
    logger: log,
    heartbeatIntervalMs: config.int("broker.heartbeat.interval.ms"),
    retryBackoffMs,
  });
  lifecycle.start();
  await lifecycle.waitUntilUnfenced();
  const leader = new QuorumLeaderChannel({ nodeId, voterAddresses: new Map([[voter.id, voter.address]]), leaderId: () => voter.id, timeoutMs: requestTimeoutMs });
  return {
    ...base,
    controller,
    quorum,
    commands,
    isController: false,
    describeQuorum: { local: () => null, leader, voterEndpoints: new Map() },
    readMetadataLog: () => Promise.reject(new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${nodeId} does not lead the metadata log`)),
    brokerEpoch: () => lifecycle.brokerEpoch,
    controlledShutdown: () => lifecycle.controlledShutdown(config.int("controller.quorum.request.timeout.ms") * 5),
    close: async () => {
      lifecycle.stop();
      commands.close();
      remoteFetch.close();
      leader.close();
      await controller.close();
    },
  };
}

async function startController(controller: QuorumController, quorum: MetadataQuorum, options: MetadataLayerOptions): Promise<void> {
  if (options.stateChanges) {
    controller.onImage(
      clusterStateObserver(
        options.stateChanges,
        () => quorum.leaderAndEpoch().epoch,
        () => controller.isActive(),
        (topicId, partitionId) => controller.electionCause(topicId, partitionId),
      ),
    );
  }
  try {
    await controller.start();
  } catch (e) {
    await quorum.close().catch(() => undefined);
    throw e;
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
  const controllerNames = controllerListenerNames(config);
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
