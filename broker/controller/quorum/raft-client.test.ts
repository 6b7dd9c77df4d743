import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogRaftStore } from "./log-raft-store.ts";
import { metadataRecord, type MetadataRecord } from "../metadata-record-serde.ts";
import type { CommittedBatch, LeaderAndEpoch } from "./metadata-quorum.ts";
import { FileQuorumStateStore, MemoryQuorumStateStore, readQuorumState } from "./quorum-state.ts";
import { DEFAULT_RAFT_TIMEOUTS, RaftClient } from "./raft-client.ts";
import { MemoryRaftLogStore } from "./raft-log-store.ts";
import { RaftRole } from "./raft-quorum-state.ts";
import { SimRaftNetwork } from "./sim-raft-network.ts";
import { SimScheduler, settle } from "../../simulation/sim-scheduler.ts";
import { seededRandom } from "../../util/seeded-random.ts";

/** A few RaftClients on a fault-free simulated network, driven step by step. */
class Quorum {
  readonly scheduler = new SimScheduler(0);
  readonly network: SimRaftNetwork;
  readonly clients = new Map<number, RaftClient>();
  readonly logs = new Map<number, MemoryRaftLogStore>();
  readonly committed = new Map<number, CommittedBatch[]>();
  readonly leaderChanges = new Map<number, LeaderAndEpoch[]>();
  readonly roles = new Map<number, string[]>();

  constructor(
    readonly voters: number[],
    observers: number[] = [],
    seed = 1,
  ) {
    this.network = new SimRaftNetwork(this.scheduler, seededRandom(seed), { dropRate: 0, minDelayMs: 1, maxDelayMs: 5, slowRate: 0 });
    for (const id of [...voters, ...observers]) {
      const log = new MemoryRaftLogStore();
      this.logs.set(id, log);
      const client = new RaftClient({
        nodeId: id,
        voters,
        log,
        stateStore: new MemoryQuorumStateStore(),
        network: this.network.endpoint(id),
        clock: this.scheduler,
        random: seededRandom(seed * 1000 + id),
        onTransition: (t) => this.roles.set(id, [...(this.roles.get(id) ?? []), `${t.to.role}@${t.to.epoch}`]),
      });
      this.committed.set(id, []);
      this.leaderChanges.set(id, []);
      client.register({ handleCommit: (b) => this.committed.get(id)!.push(b), handleLeaderChange: (l) => this.leaderChanges.get(id)!.push(l) });
      this.clients.set(id, client);
      this.network.attach(id, client);
    }
  }

  async start(): Promise<void> {
    for (const c of this.clients.values()) void c.start();
    await settle();
  }

  async runFor(ms: number): Promise<void> {
    const until = this.scheduler.now() + ms;
    while (this.scheduler.step(until)) await settle();
    for (const c of this.clients.values()) if (c.failure !== null) throw c.failure;
  }

  async runUntil(done: () => boolean, limitMs = 30_000): Promise<number> {
    const start = this.scheduler.now();
    while (!done()) {
      if (this.scheduler.now() - start > limitMs) throw new Error("condition not reached in time");
      if (!this.scheduler.step(start + limitMs)) break;
      await settle();
    }
    return this.scheduler.now() - start;
  }

  /** Steps the simulation until `p` settles; returns it. */
  async complete<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    await this.runUntil(() => settled);
    return p;
  }

  /** The leader of the latest epoch (a cut-off leader of an older one may not know it was replaced yet). */
  leader(): RaftClient | undefined {
    const leaders = [...this.clients.values()].filter((c) => c.isLeader()).sort((a, b) => b.quorum.epoch - a.quorum.epoch);
    if (leaders.length > 1 && leaders[0]!.quorum.epoch === leaders[1]!.quorum.epoch) throw new Error("two leaders in one epoch");
    return leaders[0];
  }

  client(id: number): RaftClient {
    return this.clients.get(id)!;
  }
}

const topic = (name: string): MetadataRecord => metadataRecord("TopicRecord", { name, topicId: "AAAAAAAAAAAAAAAAAAAAAA" });
const names = (batches: CommittedBatch[]) => batches.flatMap((b) => b.records.map((r) => (r.data as { name: string }).name));

describe("RaftClient", () => {
  it("elects one leader among three voters; commits reach every voter and observer, in order, once", async () => {
    const q = new Quorum([1, 2, 3], [100]);
    await q.start();
    await q.runUntil(() => q.leader() !== undefined);
    const leader = q.leader()!;
    const epoch = leader.quorum.epoch;
    const appended = await q.complete(leader.append(epoch, [topic("a"), topic("b")]));
    await q.runUntil(() => [1, 2, 3, 100].every((id) => q.committed.get(id)!.length === 1));
    expect(appended.lastOffset).toBe(leader.endOffset() - 1n);
    for (const id of [1, 2, 3, 100]) {
      expect(names(q.committed.get(id)!)).toEqual(["a", "b"]);
      expect(q.leaderChanges.get(id)!.at(-1)).toEqual({ leaderId: leader.nodeId, epoch });
    }
    // The observer never took part in an election.
    expect(q.roles.get(100)!.every((r) => r.startsWith(RaftRole.Unattached) || r.startsWith(RaftRole.Follower))).toBe(true);
    const described = leader.describeQuorum();
    expect(described.voters.map((v) => v.nodeId)).toEqual([1, 2, 3]);
    expect(described.observers.map((v) => v.nodeId)).toEqual([100]);
    expect(described.highWatermark).toBe(leader.highWatermark());
    // Followers refuse appends.
    const follower = [1, 2, 3].map((id) => q.client(id)).find((c) => c !== leader)!;
    await expect(follower.append(epoch, [topic("c")])).rejects.toMatchObject({ code: 41 });
  });

  it("hands leadership over on resignation faster than an election timeout, whatever the timing", async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const q = new Quorum([1, 2, 3], [], seed);
      await q.start();
      await q.runUntil(() => q.leader() !== undefined);
      const old = q.leader()!;
      const epoch = old.quorum.epoch;
      await q.complete(old.append(epoch, [topic("x")]));
      await q.runFor(seed * 37); // resign at a different point of the fetch cycle each time
      void old.resignLeadership();
      const took = await q.runUntil(() => q.leader() !== undefined && q.leader() !== old);
      expect({ seed, took: took < DEFAULT_RAFT_TIMEOUTS.electionTimeoutMs }).toEqual({ seed, took: true });
      expect(q.leader()!.quorum.epoch).toBe(epoch + 1);
      await q.runFor(100);
      expect(old.quorum.current).toMatchObject({ role: RaftRole.Follower, epoch: epoch + 1, leaderId: q.leader()!.nodeId });
    }
  });

  it("does not let a voter that was cut off bump the epoch when it returns (pre-vote)", async () => {
    const q = new Quorum([1, 2, 3]);
    await q.start();
    await q.runUntil(() => q.leader() !== undefined);
    const leader = q.leader()!;
    const epoch = leader.quorum.epoch;
    const isolated = [1, 2, 3].find((id) => id !== leader.nodeId)!;
    q.network.partition([[isolated], [1, 2, 3].filter((id) => id !== isolated)]);
    await q.runFor(15_000);
    expect(q.client(isolated).quorum.epoch).toBe(epoch); // pre-votes failed; no Candidate
    expect(q.roles.get(isolated)!.some((r) => r.startsWith(RaftRole.Candidate))).toBe(false);
    q.network.heal();
    await q.runFor(3_000);
    expect(q.leader()).toBe(leader);
    expect(leader.quorum.epoch).toBe(epoch);
    expect(q.client(isolated).quorum.current).toMatchObject({ role: RaftRole.Follower, leaderId: leader.nodeId, epoch });
  });

  it("truncates a deposed leader's uncommitted tail through DivergingEpoch and never delivers it", async () => {
    const q = new Quorum([1, 2, 3]);
    await q.start();
    await q.runUntil(() => q.leader() !== undefined);
    const old = q.leader()!;
    await q.complete(old.append(old.quorum.epoch, [topic("kept")]));
    const others = [1, 2, 3].filter((id) => id !== old.nodeId);
    q.network.partition([[old.nodeId], others]);
    const lost = old.append(old.quorum.epoch, [topic("lost-1")]).catch((e: unknown) => e);
    await q.runFor(10);
    expect(old.endOffset()).toBeGreaterThan(old.highWatermark()); // written, not committed
    await q.runUntil(() => q.leader() !== undefined && q.leader() !== old);
    const next = q.leader()!;
    await q.complete(next.append(next.quorum.epoch, [topic("new")]));
    q.network.heal();
    await q.runUntil(() => old.quorum.role === RaftRole.Follower && old.endOffset() === next.endOffset() && old.highWatermark() === next.highWatermark());
    expect(await lost).toMatchObject({ code: 41 });
    const oldLog = q.logs.get(old.nodeId)!.read(0n, 1 << 20);
    expect(oldLog.equals(q.logs.get(next.nodeId)!.read(0n, 1 << 20))).toBe(true);
    await q.runFor(1000); // the third voter learns the high watermark on its next fetch
    for (const id of [1, 2, 3]) expect(names(q.committed.get(id)!)).toEqual(["kept", "new"]);
  });

  it("as the only voter on disk, leads at once and replays its whole log after a restart, like the single voter", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "samsa-raft-")), "__cluster_metadata-0");
    try {
      const open = async () => {
        const scheduler = new SimScheduler(1_000);
        const client = new RaftClient({
          nodeId: 3,
          voters: [3],
          log: LogRaftStore.open({ dir, clock: scheduler, timer: scheduler }),
          stateStore: new FileQuorumStateStore(dir),
          network: { send: () => Promise.reject(new Error("a lone voter sends nothing")) },
          clock: scheduler,
          random: seededRandom(3),
        });
        const seen: CommittedBatch[] = [];
        client.register({ handleCommit: (b) => seen.push(b), handleLeaderChange: () => {} });
        await client.start();
        while (scheduler.step(scheduler.now())) await settle();
        await settle();
        return { client, seen, scheduler };
      };
      const first = await open();
      expect(first.client.isLeader()).toBe(true);
      expect(first.scheduler.now()).toBe(1_000); // no election timeout
      await first.client.append(first.client.quorum.epoch, [topic("one")]);
      await first.client.append(first.client.quorum.epoch, [topic("two")]);
      await first.client.close();
      expect(readQuorumState(dir)).toEqual({ leaderId: 3, leaderEpoch: 1, votedId: 3, currentVoters: [3] });

      const second = await open();
      expect(second.client.isLeader()).toBe(true);
      expect(second.client.leaderAndEpoch()).toEqual({ leaderId: 3, epoch: 2 });
      expect(names(second.seen)).toEqual(["one", "two"]);
      expect(second.client.highWatermark()).toBe(second.client.endOffset());
      await second.client.close();
    } finally {
      rmSync(join(dir, ".."), { recursive: true, force: true });
    }
  });
});
