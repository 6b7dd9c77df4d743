import { readBatchHeader } from "../../protocol/records/batch-header.ts";
import { iterateBatches } from "../../protocol/records/record-batch.ts";
import { metadataRecord } from "../metadata-record-serde.ts";
import type { CommittedBatch } from "./metadata-quorum.ts";
import { MemoryQuorumStateStore } from "./quorum-state.ts";
import { RaftClient, type RaftTimeouts } from "./raft-client.ts";
import { MemoryRaftLogStore, type RaftLogStore } from "./raft-log-store.ts";
import { RaftRole } from "./raft-quorum-state.ts";
import { SimRaftNetwork } from "./sim-raft-network.ts";
import { SimScheduler, settle } from "../../simulation/sim-scheduler.ts";
import { seededRandom } from "../../util/seeded-random.ts";

/**
 * A deterministic simulation of the metadata quorum in the spirit of Kafka's
 * RaftEventSimulationTest: voters and observers (RaftClients) in one process on a seeded
 * scheduler, a network that drops, delays, reorders and partitions, and a fault driver that
 * crashes and restarts nodes, stops them gracefully, makes leaders resign and wipes
 * observers' disks. Invariants are checked after every event; the run ends with a calm
 * period in which the quorum must elect a leader, commit, and bring every node up to date.
 *
 * What is modelled: a crashed node keeps its log and quorum-state (the client flushes and
 * persists before it acts, and a crash here falls between two events, so nothing unflushed
 * exists to lose); an observer may lose its whole disk and rejoin empty. A voter never loses
 * its disk: with a static voter set Raft has no safe way back for it (it could vote twice
 * in an epoch or complete a majority without a committed entry; Kafka needs KIP-853's
 * directory ids and a voter change for that).
 */

export interface SimulationOptions {
  seed: number;
  voters: number;
  observers: number;
  /** Simulated time with faults, before the calm period. */
  faultyMs: number;
  calmMs: number;
  timeouts?: Partial<RaftTimeouts>;
  /**
   * Let crashed voters come back with an empty disk too: unsafe in Raft, so the invariants
   * must catch it (this shows the checks can fail).
   */
  unsafeVoterDiskLoss?: boolean;
  /** Receives a line per quorum transition and fault, to debug a failing seed. */
  trace?: (line: string) => void;
}

export interface SimulationReport {
  seed: number;
  violations: string[];
  events: number;
  committedBatches: number;
  ackedAppends: number;
  maxEpoch: number;
  crashes: number;
  partitions: number;
  resignations: number;
}

interface DiskBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  epoch: number;
  crc: number;
}

/** A node's log: a MemoryRaftLogStore that also lists its batches for the invariant checks. */
class SimDisk implements RaftLogStore {
  readonly store = new MemoryRaftLogStore();
  readonly batches: DiskBatch[] = [];
  /** The lowest batch index changed by a truncation since the checker last looked. */
  lowestChanged = Number.POSITIVE_INFINITY;

  logEndOffset(): bigint {
    return this.store.logEndOffset();
  }
  append(batch: Buffer): void {
    this.store.append(batch);
    for (const e of iterateBatches(batch)) {
      const h = readBatchHeader(batch, e.position);
      this.batches.push({ baseOffset: h.baseOffset, lastOffset: h.baseOffset + BigInt(h.lastOffsetDelta), epoch: h.partitionLeaderEpoch, crc: h.crc });
    }
  }
  flush(): void {}
  read(offset: bigint, maxBytes: number): Buffer {
    return this.store.read(offset, maxBytes);
  }
  truncateTo(offset: bigint): void {
    this.store.truncateTo(offset);
    let keep = this.batches.length;
    while (keep > 0 && this.batches[keep - 1]!.baseOffset >= offset) keep--;
    this.batches.length = keep;
    this.lowestChanged = Math.min(this.lowestChanged, keep);
  }
  close(): void {}
}

interface SimNode {
  id: number;
  voter: boolean;
  disk: SimDisk;
  state: MemoryQuorumStateStore;
  client: RaftClient | null;
  /** True while a graceful stop runs: the old client still owns the disk. */
  stopping: boolean;
  incarnation: number;
  /** High watermark of the current incarnation (hw is not persisted, as in Kafka). */
  lastHw: bigint;
  lastEpoch: number;
  delivered: CommittedBatch[];
  /** How many leading batches of the disk equal the committed log. */
  matched: number;
}

/** How many leading batches end below `offset` (binary search; batches are in offset order). */
function batchesBelow(batches: readonly DiskBatch[], offset: bigint): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (batches[mid]!.lastOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const sameBatch = (a: DiskBatch, b: DiskBatch) => a.baseOffset === b.baseOffset && a.lastOffset === b.lastOffset && a.epoch === b.epoch && a.crc === b.crc;

export async function runRaftSimulation(o: SimulationOptions): Promise<SimulationReport> {
  const random = seededRandom(o.seed);
  const chance = (p: number) => random() < p;
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const scheduler = new SimScheduler(0);
  const network = new SimRaftNetwork(scheduler, seededRandom(o.seed * 7919 + 1), { dropRate: 0.02, minDelayMs: 1, maxDelayMs: 20, slowRate: 0.02 });
  const voterIds = Array.from({ length: o.voters }, (_, i) => i);
  const observerIds = Array.from({ length: o.observers }, (_, i) => 100 + i);
  const majority = Math.floor(o.voters / 2) + 1;
  const oneBatchPerFetch = chance(0.5);
  const report: SimulationReport = { seed: o.seed, violations: [], events: 0, committedBatches: 0, ackedAppends: 0, maxEpoch: 0, crashes: 0, partitions: 0, resignations: 0 };
  const trace = (line: string) => o.trace?.(`t=${scheduler.now()} ${line}`);
  const fail = (msg: string) => {
    if (report.violations.length < 20) report.violations.push(`seed ${o.seed} t=${scheduler.now()}: ${msg}`);
  };

  const nodes: SimNode[] = [...voterIds, ...observerIds].map((id) => ({
    id,
    voter: id < 100,
    disk: new SimDisk(),
    state: new MemoryQuorumStateStore(),
    client: null,
    stopping: false,
    incarnation: 0,
    lastHw: 0n,
    lastEpoch: -1,
    delivered: [],
    matched: 0,
  }));
  const live = () => nodes.filter((n) => n.client !== null);

  const start = (n: SimNode): void => {
    if (n.client !== null || n.stopping) return;
    n.incarnation++;
    n.lastHw = 0n;
    n.delivered = [];
    const delivered = n.delivered;
    const client = new RaftClient({
      nodeId: n.id,
      voters: voterIds,
      log: n.disk,
      stateStore: n.state,
      network: network.endpoint(n.id),
      clock: scheduler,
      random: seededRandom(o.seed * 31 + n.id * 1009 + n.incarnation),
      // Half the runs replicate one batch per fetch, which widens the windows between steps.
      timeouts: { fetchMaxBytes: oneBatchPerFetch ? 1 : 8 << 20, ...o.timeouts },
      onTransition: (t) => trace(`node ${t.nodeId}: ${t.from ? `${t.from.role}@${t.from.epoch}` : "start"} -> ${t.to.role}@${t.to.epoch} ${JSON.stringify(t.to, (_k, v: unknown) => (v instanceof Set ? [...v] : v))}`),
    });
    client.register({ handleCommit: (b) => delivered.push(b), handleLeaderChange: () => {} });
    n.client = client;
    network.attach(n.id, client);
    client.start().catch((e: unknown) => fail(`node ${n.id} failed to start: ${String(e)}`));
  };
  const crash = (n: SimNode): void => {
    n.client?.halt();
    n.client = null;
    network.detach(n.id);
  };

  // ---- invariants, after every event
  const leaders = new Map<number, number>();
  const committed: DiskBatch[] = [];
  const committedIndex = new Map<bigint, number>();
  const acked: { baseOffset: bigint; epoch: number }[] = [];

  const refreshMatch = (n: SimNode): void => {
    let m = Math.min(n.matched, n.disk.lowestChanged);
    n.disk.lowestChanged = Number.POSITIVE_INFINITY;
    const limit = Math.min(n.disk.batches.length, committed.length);
    while (m < limit && sameBatch(n.disk.batches[m]!, committed[m]!)) m++;
    n.matched = m;
  };

  const check = (): void => {
    for (const n of nodes) {
      const c = n.client;
      if (c === null) continue;
      if (c.failure !== null) fail(`node ${n.id} failed: ${c.failure instanceof Error ? c.failure.stack : String(c.failure)}`);
      const epoch = c.quorum.epoch;
      if (epoch < n.lastEpoch) fail(`node ${n.id}'s epoch went from ${n.lastEpoch} to ${epoch}`);
      n.lastEpoch = epoch;
      report.maxEpoch = Math.max(report.maxEpoch, epoch);
      const role = c.quorum.role;
      if (role === RaftRole.Leader || role === RaftRole.Resigned) {
        const known = leaders.get(epoch);
        if (known !== undefined && known !== n.id) fail(`two leaders in epoch ${epoch}: ${known} and ${n.id}`);
        leaders.set(epoch, n.id);
      }
      const hw = c.highWatermark();
      if (hw < n.lastHw) fail(`node ${n.id}'s high watermark went from ${n.lastHw} to ${hw}`);
      n.lastHw = hw;
      // Its committed prefix must be the committed log, extending it if it knows more.
      refreshMatch(n);
      const k = batchesBelow(n.disk.batches, hw);
      if (k > 0 && n.disk.batches[k - 1]!.lastOffset !== hw - 1n) fail(`node ${n.id}'s high watermark ${hw} is inside a batch`);
      if (n.matched < Math.min(k, committed.length)) fail(`node ${n.id} holds a different entry at committed batch ${n.matched} (hw ${hw})`);
      while (committed.length < k) {
        const b = n.disk.batches[committed.length]!;
        committedIndex.set(b.baseOffset, committed.length);
        committed.push(b);
      }
      refreshMatch(n);
      for (const d of n.delivered.splice(0)) {
        const i = committedIndex.get(d.baseOffset);
        const b = i === undefined ? undefined : committed[i];
        if (!b || b.lastOffset !== d.lastOffset || b.epoch !== d.epoch) fail(`node ${n.id} delivered batch ${d.baseOffset}-${d.lastOffset} (epoch ${d.epoch}) that is not committed`);
      }
    }
    // The committed log is on a majority of voters (crashed ones keep their disks).
    let holding = 0;
    for (const n of nodes) {
      if (!n.voter) continue;
      refreshMatch(n);
      if (n.matched >= committed.length) holding++;
    }
    if (holding < majority) fail(`committed log of ${committed.length} batches is on ${holding} voters, fewer than a majority (${majority})`);
    for (const a of acked.splice(0)) {
      const i = committedIndex.get(a.baseOffset);
      if (i === undefined || committed[i]!.epoch !== a.epoch) fail(`acknowledged append at ${a.baseOffset} (epoch ${a.epoch}) is not in the committed log`);
    }
  };

  // ---- workload: the current leader appends now and then
  let recordNo = 0;
  let lastAckAt = -1;
  const appendOnLeader = (): void => {
    const leader = live().find((n) => n.client!.isLeader());
    if (!leader) return;
    const epoch = leader.client!.quorum.epoch;
    const records = Array.from({ length: between(1, 3) }, () => metadataRecord("TopicRecord", { name: `t${o.seed}-${recordNo++}`, topicId: "AAAAAAAAAAAAAAAAAAAAAA" }));
    leader.client!.append(epoch, records).then(
      (r) => {
        report.ackedAppends++;
        lastAckAt = scheduler.now();
        acked.push({ baseOffset: r.baseOffset, epoch });
      },
      () => {},
    );
  };
  // The last two seconds are quiet, so at the end every node must hold exactly the leader's log.
  const workloadUntil = o.faultyMs + o.calmMs - 2000;
  const workload = (): void => {
    if (scheduler.now() >= workloadUntil) return;
    appendOnLeader();
    scheduler.schedule(between(20, 120), workload);
  };

  // ---- faults
  const faultsUntil = o.faultyMs;
  const chaos = (): void => {
    if (scheduler.now() >= faultsUntil) return;
    const action = random();
    if (action < 0.25) {
      const victim = pick(live());
      if (victim) {
        report.crashes++;
        trace(`crash node ${victim.id}`);
        crash(victim);
        const wipe = (!victim.voter || o.unsafeVoterDiskLoss === true) && chance(0.5);
        scheduler.schedule(between(50, 3000), () => {
          if (victim.client !== null || victim.stopping) return;
          if (wipe) {
            victim.disk = new SimDisk();
            victim.state = new MemoryQuorumStateStore();
            victim.matched = 0;
            victim.lastEpoch = -1;
          }
          trace(`restart node ${victim.id}${wipe ? " with an empty disk" : ""}`);
          start(victim);
        });
      }
    } else if (action < 0.45 && !network.isPartitioned()) {
      report.partitions++;
      const all = nodes.map((n) => n.id);
      if (o.voters === 5 && chance(0.5)) {
        const shuffled = [...voterIds].sort(() => random() - 0.5);
        network.partition([shuffled.slice(0, 2), [...shuffled.slice(2), ...observerIds]]);
        trace(`partition ${shuffled.slice(0, 2).join(",")} from the rest`);
      } else {
        const isolated = pick(all);
        network.partition([[isolated], all.filter((id) => id !== isolated)]);
        trace(`isolate node ${isolated}`);
      }
      scheduler.schedule(between(200, 4000), () => {
        trace("heal the network");
        network.heal();
      });
    } else if (action < 0.6) {
      const leader = live().find((n) => n.client!.quorum.role === RaftRole.Leader);
      if (leader) {
        report.resignations++;
        trace(`leader ${leader.id} resigns`);
        if (chance(0.5)) void leader.client!.resignLeadership();
        else {
          // A graceful stop (SIGTERM): resign, stop, come back later.
          const client = leader.client!;
          leader.client = null; // still attached to the network while it resigns
          leader.stopping = true;
          trace(`stop node ${leader.id} gracefully`);
          void client.close().then(() => {
            network.detach(leader.id);
            leader.stopping = false;
            scheduler.schedule(between(50, 2000), () => start(leader));
          });
        }
      }
    } else if (action < 0.8) {
      network.faults = { ...network.faults, dropRate: pick([0, 0.01, 0.05, 0.15]), maxDelayMs: pick([5, 20, 80]) };
    }
    scheduler.schedule(between(100, 1500), chaos);
  };

  for (const n of nodes) start(n);
  scheduler.schedule(between(0, 200), workload);
  scheduler.schedule(between(200, 1000), chaos);

  const runUntil = async (until: number) => {
    while (scheduler.step(until)) {
      report.events++;
      await settle();
      check();
    }
  };

  await settle();
  check();
  await runUntil(o.faultyMs);

  // ---- calm: heal everything, restart everyone, and demand progress
  network.heal();
  network.faults = { dropRate: 0, minDelayMs: 1, maxDelayMs: 10, slowRate: 0 };
  for (const n of nodes) start(n);
  await runUntil(o.faultyMs + o.calmMs);
  if (lastAckAt < o.faultyMs) fail(`no append was acknowledged in ${o.calmMs} ms of calm`);
  const leader = live().find((n) => n.client!.isLeader());
  if (!leader) fail(`no leader after ${o.calmMs} ms of calm (roles: ${live().map((n) => `${n.id}:${n.client!.quorum.role}@${n.client!.quorum.epoch}`).join(" ")})`);
  else {
    const hw = leader.client!.highWatermark();
    const behind = live().filter((n) => n.client!.highWatermark() !== hw || n.disk.logEndOffset() !== hw);
    const show = (n: SimNode) => `${n.id}:${n.client!.quorum.role}@${n.client!.quorum.epoch} leo=${n.disk.logEndOffset()} hw=${n.client!.highWatermark()}`;
    if (behind.length > 0) fail(`nodes ${behind.map(show).join(", ")} did not catch up to the leader ${show(leader)}`);
  }
  report.committedBatches = committed.length;
  for (const n of nodes) n.client?.halt();
  return report;
}
