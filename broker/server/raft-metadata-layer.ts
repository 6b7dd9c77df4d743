import type { BrokerConfig } from "../config/broker-config.ts";
import type { RegisterBrokerCommand } from "../controller/cluster-control.ts";
import { QuorumController } from "../controller/controller.ts";
import { LogRaftStore } from "../controller/quorum/log-raft-store.ts";
import type { MetadataQuorum } from "../controller/quorum/metadata-quorum.ts";
import { FileQuorumStateStore } from "../controller/quorum/quorum-state.ts";
import { DEFAULT_RAFT_TIMEOUTS, RaftClient, type RaftTimeouts } from "../controller/quorum/raft-client.ts";
import type { WireEndpoint } from "../controller/quorum/raft-wire.ts";
import { metadataPartitionDir } from "../controller/quorum/single-voter-quorum.ts";
import { quorumStateObserver } from "../controller/state-machines/quorum-states.ts";
import { WireRaftNetwork } from "../controller/quorum/wire-raft-network.ts";
import type { ConnectionInfo, RequestHandler } from "../network/connection.ts";
import { SocketServer } from "../network/socket-server.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import type { Clock, Timer } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";
import { ActiveControllerRouter } from "./active-controller-router.ts";
import { BrokerLifecycle } from "./broker-lifecycle.ts";
import type { QuorumDescriber } from "./handlers/describe-quorum.ts";
import { minimalApiVersionsHandler, raftApis } from "./handlers/raft.ts";
import { QuorumLeaderChannel } from "./quorum-leader-channel.ts";
import type { MetadataLayer, MetadataLayerOptions } from "./metadata-layer.ts";
import { RequestDispatcher, type ServedApis } from "./request-dispatcher.ts";

/** One entry of controller.quorum.voters. */
export interface QuorumVoter {
  id: number;
  host: string;
  port: number;
}

/** Parses controller.quorum.voters (`id@host:port,...`). */
export function parseQuorumVoters(config: BrokerConfig): QuorumVoter[] {
  return config.list("controller.quorum.voters").map((v) => {
    const m = /^(\d+)@(.+):(\d+)$/.exec(v.trim());
    if (!m) throw new Error(`controller.quorum.voters entry "${v}" is not id@host:port`);
    return { id: Number(m[1]), host: m[2]!, port: Number(m[3]) };
  });
}

/** controller.listener.names, upper-cased as listener names are compared. */
export function controllerListenerNames(config: BrokerConfig): Set<string> {
  return new Set(config.list("controller.listener.names").map((n) => n.toUpperCase()));
}

/** Kafka's controller.quorum.* timings (QuorumConfig), from the broker config. */
export function raftTimeouts(config: BrokerConfig): RaftTimeouts {
  const fetchTimeoutMs = config.int("controller.quorum.fetch.timeout.ms");
  return {
    ...DEFAULT_RAFT_TIMEOUTS,
    electionTimeoutMs: config.int("controller.quorum.election.timeout.ms"),
    electionBackoffMaxMs: config.int("controller.quorum.election.backoff.max.ms"),
    fetchTimeoutMs,
    requestTimeoutMs: config.int("controller.quorum.request.timeout.ms"),
    retryBackoffMs: config.int("controller.quorum.retry.backoff.ms"),
    // A held fetch must answer well within the fetcher's request timeout.
    fetchMaxWaitMs: Math.min(DEFAULT_RAFT_TIMEOUTS.fetchMaxWaitMs, Math.floor(fetchTimeoutMs / 2)),
  };
}

/**
 * The controller listener of a node running the Raft client. It must answer Vote and Fetch
 * before the broker's request layer exists (the node waits for the quorum while starting),
 * so the metadata layer binds it first with the Raft APIs only, and the broker hands over
 * its full dispatcher once it listens (Kafka's ControllerServer has its own socket server).
 */
export interface ControllerListenerHandoff {
  /** The controller listeners this layer bound, with their ports. */
  readonly bound: readonly { name: string; host: string; port: number }[];
  /** The broker's APIs with the Raft ones served in their place. */
  withRaftApis(brokerApis: ServedApis): ServedApis;
  /** From now on the controller listener serves `handler`. */
  serve(handler: RequestHandler): void;
}

class SwitchableHandler implements RequestHandler {
  constructor(private current: RequestHandler) {}
  switchTo(next: RequestHandler): void {
    this.current = next;
  }
  handle(frame: Buffer, connection: ConnectionInfo): ReturnType<RequestHandler["handle"]> {
    return this.current.handle(frame, connection);
  }
}

export interface RaftLayerContext {
  options: MetadataLayerOptions;
  config: BrokerConfig;
  clock: Clock & Timer;
  log: Logger;
  nodeId: number;
  voters: QuorumVoter[];
  base: Pick<MetadataLayer, "clusterId" | "directoryIds" | "metadataLogDir">;
  registration: Omit<RegisterBrokerCommand, "brokerId">;
  onError: (e: unknown) => void;
  /** Starts the controller (replaying the log) with the node's state-change observers. */
  startController: (controller: QuorumController, quorum: MetadataQuorum) => Promise<void>;
}

/**
 * A node of a quorum with several voters: every node runs the Raft client (voters vote,
 * broker-only nodes observe), replays the committed log into its QuorumController, which
 * is active while this node leads the quorum, and registers its broker with whichever
 * controller is active (BrokerLifecycle through the ActiveControllerRouter), combined
 * nodes included.
 */
export async function startRaftMetadataLayer(ctx: RaftLayerContext): Promise<MetadataLayer & { controllerListener: ControllerListenerHandoff }> {
  const { config, clock, nodeId, voters, log } = ctx;
  const isVoter = voters.some((v) => v.id === nodeId);
  const isController = config.list("process.roles").includes("controller");
  if (isController !== isVoter) {
    throw new Error(
      isController
        ? `node ${nodeId} has the controller role but controller.quorum.voters does not name it`
        : `controller.quorum.voters names this node (${nodeId}), but process.roles lacks controller`,
    );
  }
  const timeouts = raftTimeouts(config);
  const voterAddresses = new Map(voters.map((v) => [v.id, `${v.host}:${v.port}`]));
  const controllerNames = controllerListenerNames(config);
  const controllerListeners = isVoter ? config.listeners().filter((l) => controllerNames.has(l.name.toUpperCase())) : [];
  if (isVoter && controllerListeners.length === 0) throw new Error(`node ${nodeId} is a voter but has no controller listener (controller.listener.names)`);
  const self = voters.find((v) => v.id === nodeId);
  const localEndpoint: WireEndpoint | null = self ? { name: controllerListeners[0]!.name, host: self.host, port: self.port } : null;
  const dir = metadataPartitionDir(ctx.base.metadataLogDir);
  const store = LogRaftStore.open({ dir, clock, timer: clock, logger: ctx.options.logger, commitOnFlush: false });
  const network = new WireRaftNetwork({ nodeId, clusterId: ctx.base.clusterId, voterAddresses, localEndpoint, requestTimeoutMs: timeouts.requestTimeoutMs });
  const publishQuorumState = ctx.options.stateChanges ? quorumStateObserver(ctx.options.stateChanges) : null;
  const client = new RaftClient({
    nodeId,
    voters: voters.map((v) => v.id),
    log: store,
    stateStore: new FileQuorumStateStore(dir),
    network,
    clock,
    random: ctx.options.random ?? Math.random,
    timeouts,
    onTransition: (t) => {
      log.info({ from: t.from?.role ?? null, to: t.to.role, epoch: t.to.epoch }, "metadata quorum state");
      publishQuorumState?.(t);
    },
  });
  const controller = new QuorumController({ nodeId, clusterId: ctx.base.clusterId, quorum: client, config, random: ctx.options.random, clock, onError: ctx.onError });

  const raftApiOptions = { client, clusterId: ctx.base.clusterId, controllerListeners: controllerNames };
  const leaderChannel = new QuorumLeaderChannel({ nodeId, voterAddresses, leaderId: () => client.leaderAndEpoch().leaderId, timeoutMs: timeouts.requestTimeoutMs });
  const describer: QuorumDescriber = {
    local: () => (client.isLeader() ? client.describeQuorum() : null),
    leader: leaderChannel,
    voterEndpoints: new Map(voters.map((v) => [v.id, { name: localEndpoint?.name ?? [...controllerNames][0]!, host: v.host, port: v.port }])),
  };
  const early = raftApis(raftApiOptions);
  const earlyDispatcher: RequestDispatcher = new RequestDispatcher({
    ...early,
    [ApiKey.ApiVersions]: { minVersion: 0, maxVersion: 4, handle: minimalApiVersionsHandler(() => earlyDispatcher.advertised) },
  });
  const handler = new SwitchableHandler(earlyDispatcher);
  const servers: SocketServer[] = [];
  const bound: { name: string; host: string; port: number }[] = [];
  for (const listener of controllerListeners) {
    const server = new SocketServer(
      listener.name,
      handler,
      { maxRequestBytes: config.int("socket.request.max.bytes"), maxConnections: config.int("max.connections"), idleTimeoutMs: config.int("connections.max.idle.ms") },
      log,
    );
    bound.push({ name: listener.name, host: listener.host, port: await server.listen(listener.host, listener.port) });
    servers.push(server);
  }

  const router = new ActiveControllerRouter({
    nodeId,
    local: controller,
    quorum: client,
    voterAddresses,
    requestTimeoutMs: Math.max(timeouts.requestTimeoutMs, 5000),
    retryTimeoutMs: Math.max(timeouts.requestTimeoutMs, 5000) * 3,
    retryBackoffMs: Math.max(timeouts.retryBackoffMs, 50),
    clock,
  });
  const lifecycle = new BrokerLifecycle({
    nodeId,
    controller: router,
    registration: ctx.registration,
    metadataOffset: () => controller.image.provenance.lastOffset,
    clock,
    logger: log,
    heartbeatIntervalMs: config.int("broker.heartbeat.interval.ms"),
    retryBackoffMs: Math.max(timeouts.retryBackoffMs, 100),
  });
  const stopListeners = async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers.length = 0;
  };
  try {
    await ctx.startController(controller, client);
  } catch (e) {
    await stopListeners();
    network.close();
    throw e;
  }
  lifecycle.start();
  await lifecycle.waitUntilUnfenced();

  return {
    ...ctx.base,
    controller,
    quorum: client,
    commands: router,
    isController,
    readMetadataLog: () => Promise.reject(new KafkaError(ErrorCode.NOT_CONTROLLER, `node ${nodeId} serves __cluster_metadata through its Raft client`)),
    brokerEpoch: () => lifecycle.brokerEpoch,
    controlledShutdown: () => lifecycle.controlledShutdown(timeouts.requestTimeoutMs * 5),
    close: async () => {
      lifecycle.stop();
      // The leader resigns first (EndQuorumEpoch), so a successor starts at once.
      await client.resignLeadership().catch(() => undefined);
      router.close();
      leaderChannel.close();
      await controller.close();
      await stopListeners();
      network.close();
    },
    describeQuorum: describer,
    controllerListener: {
      bound,
      withRaftApis: (brokerApis) => ({ ...brokerApis, ...raftApis({ ...raftApiOptions, fetch: brokerApis[ApiKey.Fetch]?.handle }) }),
      serve: (next) => handler.switchTo(next),
    },
  };
}

