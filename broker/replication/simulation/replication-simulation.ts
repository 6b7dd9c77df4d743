import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BrokerConfig } from "../../config/broker-config.ts";
import { QuorumController } from "../../controller/controller.ts";
import type { MetadataImage } from "../../controller/metadata-image.ts";
import { MemoryRaftLogStore } from "../../controller/quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "../../controller/quorum/single-voter-quorum.ts";
import { randomUuid } from "../../controller/uuid.ts";
import { TEST_PARTITION_SETTINGS } from "../test-support.ts";
import type { SimBrokerSettings } from "./broker-process.ts";
import { logBatches } from "./log-batches.ts";
import { ReplicationInvariants } from "./replication-invariants.ts";
import { SimBroker } from "./sim-broker.ts";
import { CALM_NETWORK, SimNetwork } from "./sim-network.ts";
import { SimProducer } from "./sim-producer.ts";
import { SimRandom } from "./sim-random.ts";
import { SimScheduler } from "../../simulation/sim-scheduler.ts";
import { FaultInjector } from "./fault-injector.ts";

export interface SimulationOptions {
  /** 3 or 5 brokers; default: 5 for one seed in four. */
  brokers?: number;
  /** Simulated milliseconds of faults and traffic before the cluster is healed. */
  durationMs?: number;
  /** Without faults the run only replicates (a baseline). */
  faults?: boolean;
  /** Power losses (unflushed tails lost) besides kill -9 crashes. */
  powerLoss?: boolean;
  /** Told faults and partition changes as they happen (replaying a failing seed). */
  trace?: (line: string) => void;
}

export interface SimulationResult {
  seed: number;
  brokers: number;
  partitions: number;
  events: number;
  simulatedMs: number;
  crashes: number;
  powerLosses: number;
  lostUnflushedOffsets: number;
  /** Cut links, lossy network periods and slow brokers. */
  networkFaults: number;
  /** Requests and responses the network lost. */
  messagesDropped: number;
  elections: number;
  produced: number;
  ackedAll: number;
  ackedOne: number;
  /** acks=all acknowledgements missing from the healed cluster: must be 0. */
  lostAckedAll: number;
  /** acks=1 acknowledgements missing (allowed by Kafka's semantics, only counted). */
  lostAckedOne: number;
  invariantChecks: number;
  violations: string[];
}

const CONTROLLER_ID = 0;
const PRODUCER_ID = 1000;
const TOPIC = "sim";
const HEAL_MS = 20_000;

/**
 * One deterministic run of replication under faults: a real QuorumController (elections,
 * fencing, AlterPartition), 3 or 5 broker-only nodes, each a ReplicaManager over real logs
 * in a temp dir with replica fetchers, a producer, and a fault injector, all on one seeded
 * scheduler and a simulated network. Invariants are checked after every event; at the end
 * the faults stop, every broker comes back, and the healed cluster must hold every acks=all
 * acknowledged record, with identical logs on all replicas.
 */
export async function runReplicationSimulation(seed: number, options: SimulationOptions = {}): Promise<SimulationResult> {
  const random = new SimRandom(seed);
  const scheduler = new SimScheduler(1_000_000);
  const network = new SimNetwork(scheduler, random);
  const brokerCount = options.brokers ?? (random.chance(0.25) ? 5 : 3);
  const partitions = random.int(1, 2);
  const durationMs = options.durationMs ?? 20_000;
  const root = fs.mkdtempSync(join(simulationTmpDir(), `samsa-repl-sim-${seed}-`));
  const newUuid = () => randomUuid((n) => Buffer.from(Array.from({ length: n }, () => random.int(0, 255))));
  const controllerScope = scheduler.scope();
  const settings: SimBrokerSettings = {
    heartbeatIntervalMs: 200,
    replicaLagTimeMaxMs: 1000,
    fetch: { maxWaitMs: 100, minBytes: 1, partitionMaxBytes: random.pick([200, 1 << 20]), responseMaxBytes: 1 << 20, backoffMs: 50 },
    socketTimeoutMs: 600,
    metadataDelayMs: [1, random.pick([5, 50, 300])],
    partitionSettings: { ...TEST_PARTITION_SETTINGS, minInsyncReplicas: 2 },
    logConfig: { "segment.bytes": random.pick([1024, 4096, 1 << 20]), "flush.messages": random.pick([1, 5, 50, Number.MAX_SAFE_INTEGER]) },
  };
  const controller = new QuorumController({
    nodeId: CONTROLLER_ID,
    clusterId: newUuid(),
    quorum: new SingleVoterQuorum({ nodeId: CONTROLLER_ID, dir: join(root, "controller"), store: new MemoryRaftLogStore(), clock: controllerScope }),
    config: new BrokerConfig(new Map([["node.id", String(CONTROLLER_ID)], ["broker.session.timeout.ms", "1500"]])),
    random: random.source,
    newUuid,
    clock: controllerScope,
  });
  network.attach({ id: CONTROLLER_ID, scope: controllerScope });
  const brokers: SimBroker[] = [];
  const replicaManagerOf = (id: number) => brokers.find((b) => b.id === id)?.replicaManager;
  for (let id = 1; id <= brokerCount; id++) {
    const logDir = join(root, `broker-${id}`);
    const b = new SimBroker(id, scheduler, { logDir, network, random, controllerId: CONTROLLER_ID, controller, settings, replicaManagerOf }, newUuid);
    brokers.push(b);
    network.attach({
      id,
      get scope() {
        return b.process?.scope ?? null;
      },
    });
  }
  const invariants = new ReplicationInvariants(TOPIC, partitions);
  const maxEpoch = new Map<number, number>();
  let elections = 0;
  controller.onImage((image, delta) => {
    for (const b of brokers) b.process?.enqueueMetadata(image, delta);
    for (let i = 0; i < partitions; i++) {
      const reg = image.partition(TOPIC, i);
      if (options.trace && reg && delta.changedTopics.size > 0) options.trace(`t=${scheduler.now()} ${TOPIC}-${i}: leader ${reg.leader} epoch ${reg.leaderEpoch} isr [${reg.isr.join(",")}] partition epoch ${reg.partitionEpoch}`);
      const epoch = image.partition(TOPIC, i)?.leaderEpoch ?? -1;
      if (epoch > (maxEpoch.get(i) ?? 0)) elections += epoch - (maxEpoch.get(i) ?? 0);
      maxEpoch.set(i, Math.max(epoch, maxEpoch.get(i) ?? 0));
    }
  });
  let events = 0;
  const checkAll = () => {
    const image = controller.image;
    for (let i = 0; i < partitions; i++) {
      const replicas = brokers.flatMap((b) => {
        const p = b.replicaManager?.get(TOPIC, i);
        return p ? [{ brokerId: b.id, incarnation: b.incarnation, registered: b.isRegistered(image), partition: p }] : [];
      });
      invariants.check(i, replicas, image, scheduler.now());
    }
  };
  const runUntil = async (done: () => boolean, untilMs: number) => {
    while (!done() && scheduler.now() < untilMs && invariants.violations.length === 0) {
      if (!(await scheduler.runNext())) break;
      events++;
      checkAll();
    }
  };
  const producer = new SimProducer({ id: PRODUCER_ID, scope: scheduler.scope() }, network, TOPIC, () => controller.image, replicaManagerOf, (ack) => invariants.onAck(ack, scheduler.now()), 1000);
  network.attach(producer.node);
  const faults = new FaultInjector({ random, scheduler, network, controllerId: CONTROLLER_ID, brokers, controller: () => controller.image, topic: TOPIC, partitions, powerLoss: options.powerLoss ?? true, trace: options.trace });

  try {
    await controller.start();
    for (const b of brokers) b.start(controller.image);
    const allActive = (image: MetadataImage) => brokers.every((b) => image.isActiveBroker(b.id));
    await runUntil(() => allActive(controller.image), scheduler.now() + 10_000);
    const replicationFactor = Math.min(3, brokerCount);
    const created = await controller.createTopics({
      topics: [
        {
          name: TOPIC,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, brokerIds: Array.from({ length: replicationFactor }, (_, k) => ((i + k) % brokerCount) + 1) })),
          configs: [{ name: "min.insync.replicas", value: "2" }],
        },
      ],
      validateOnly: false,
    });
    if (created[0]!.errorCode !== 0) throw new Error(`cannot create the topic: ${created[0]!.errorMessage}`);
    const start = scheduler.now();
    const end = start + durationMs;
    // Traffic: a batch every few milliseconds, mostly acks=all.
    const produceLoop = () => {
      if (scheduler.now() >= end) return;
      producer.send(random.int(0, partitions - 1), random.chance(0.8) ? -1 : 1);
      scheduler.schedule(random.int(5, 60), produceLoop);
    };
    produceLoop();
    if (options.faults ?? true) faults.start(end);
    await runUntil(() => false, end);

    // Heal: no more faults, every broker back, until every replica holds its leader's log.
    faults.stop();
    network.healAll();
    network.conditions = CALM_NETWORK;
    for (const b of brokers) if (!b.isUp) b.start(controller.image);
    const converged = () => {
      const image = controller.image;
      if (!allActive(image)) return false;
      for (let i = 0; i < partitions; i++) {
        const reg = image.partition(TOPIC, i);
        if (!reg || reg.leader < 0 || reg.isr.length !== reg.replicas.length) return false;
        const leader = replicaManagerOf(reg.leader)?.get(TOPIC, i);
        if (!leader?.isLeader || leader.highWatermark !== leader.log.logEndOffset) return false;
        for (const id of reg.replicas) {
          const p = replicaManagerOf(id)?.get(TOPIC, i);
          if (!p || p.log.logEndOffset !== leader.log.logEndOffset || p.highWatermark !== leader.highWatermark) return false;
        }
      }
      return true;
    };
    await runUntil(converged, scheduler.now() + HEAL_MS);
    if (invariants.violations.length === 0 && !converged()) invariants.fail(scheduler.now(), `the cluster did not converge within ${HEAL_MS} ms after healing`);

    // The healed cluster: identical logs, and every acknowledged record where it was acknowledged.
    let lostAckedAll = 0;
    let lostAckedOne = 0;
    for (let i = 0; i < partitions; i++) {
      const reg = controller.image.partition(TOPIC, i)!;
      const leaderLog = replicaManagerOf(reg.leader)?.get(TOPIC, i)?.log;
      const leaderBatches = leaderLog ? logBatches(leaderLog) : [];
      const byOffset = new Map(leaderBatches.map((b) => [b.baseOffset, b.crc]));
      for (const id of reg.replicas) {
        const log = replicaManagerOf(id)?.get(TOPIC, i)?.log;
        if (!log || log === leaderLog) continue;
        const same = JSON.stringify(logBatches(log)) === JSON.stringify(leaderBatches);
        if (!same) invariants.fail(scheduler.now(), `${TOPIC}-${i}: broker ${id}'s log differs from leader ${reg.leader}'s after healing`);
      }
      for (const ack of producer.acks) {
        if (ack.partition !== i || byOffset.get(ack.offset) === ack.crc) continue;
        if (ack.acks === -1) {
          lostAckedAll++;
          invariants.fail(scheduler.now(), `${TOPIC}-${i}: acks=all acknowledged offset ${ack.offset} is lost`);
        } else lostAckedOne++;
      }
    }
    return {
      seed,
      brokers: brokerCount,
      partitions,
      events,
      simulatedMs: scheduler.now() - start,
      crashes: faults.stats.crashes,
      powerLosses: faults.stats.powerLosses,
      lostUnflushedOffsets: faults.stats.lostUnflushedOffsets,
      networkFaults: faults.stats.cuts + faults.stats.lossyPeriods + faults.stats.slowPeriods,
      messagesDropped: network.dropped,
      elections,
      produced: producer.stats.sent,
      ackedAll: producer.stats.ackedAll,
      ackedOne: producer.stats.ackedOne,
      lostAckedAll,
      lostAckedOne,
      invariantChecks: invariants.checks,
      violations: invariants.violations,
    };
  } finally {
    faults.stop();
    for (const b of brokers) b.crash(false);
    controllerScope.kill();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** Logs live in memory when the machine has a tmpfs: fsyncs (flush.messages=1) then cost nothing. */
function simulationTmpDir(): string {
  return fs.existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}
