/**
 * Consumer groups against a real `samsa broker` process (prints figures, asserts nothing):
 *
 * 1. Rebalance: 50 members (raw JoinGroup/SyncGroup/Heartbeat clients built from the generated
 *    codec, one connection each, heartbeating every 100 ms and rejoining on
 *    REBALANCE_IN_PROGRESS like a real consumer) all start joining at t0; the figure is the
 *    time until DescribeGroups (polled every 10 ms) shows the group Stable with all 50 members
 *    assigned, and how many generations it took. Once with group.initial.rebalance.delay.ms=0
 *    and once with Kafka's default 3000.
 * 2. OffsetCommit: commits/s and p50/p99 latency, one partition per commit, for 1 client with
 *    1 request in flight and for 4 clients with 16 in flight each (simple-consumer commits:
 *    generation -1, no member id, as Kafka allows for a group with no members).
 *
 *   npx tsx bench/consumer-groups.bench.ts [--members 50] [--seconds 5]
 */
import { BrokerNode } from "../test/helpers/broker-node.ts";
import type { WireConnection } from "../broker/network/kafka-connection.ts";
import { createTopic, describeGroup, openWire } from "../test/helpers/groups.ts";
import { encodeConsumerProtocolAssignment } from "../broker/protocol/generated/message/ConsumerProtocolAssignment.ts";
import { encodeConsumerProtocolSubscription } from "../broker/protocol/generated/message/ConsumerProtocolSubscription.ts";
import { Writer } from "../broker/protocol/primitives/writer.ts";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const MEMBERS = arg("members", 50);
const SECONDS = arg("seconds", 5);

const REBALANCE_IN_PROGRESS = 27;
const MEMBER_ID_REQUIRED = 79;
const UNKNOWN_MEMBER_ID = 25;
const ILLEGAL_GENERATION = 22;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function subscription(topic: string): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolSubscription(w, { topics: [topic], userData: null, ownedPartitions: [], generationId: -1, rackId: null }, 0);
  return Buffer.from(w.finish());
}

function assignment(topic: string, partitions: number[]): Buffer {
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolAssignment(w, { assignedPartitions: [{ topic, partitions }], userData: null }, 0);
  return Buffer.from(w.finish());
}

/** One raw group member: join (with the KIP-394 member-id round trip), sync, heartbeat, rejoin. */
class RawMember {
  memberId = "";
  generation = -1;
  assigned: number[] | null = null;
  joins = 0;
  private running = true;

  constructor(
    private readonly c: WireConnection,
    private readonly group: string,
    private readonly topic: string,
    private readonly partitions: number,
  ) {}

  async run(): Promise<void> {
    while (this.running) {
      await this.joinAndSync();
      while (this.running) {
        await sleep(100);
        if (!this.running) return;
        const hb = await this.c.request(12, this.c.version(12, 0, 4), { groupId: this.group, generationId: this.generation, memberId: this.memberId, groupInstanceId: null });
        if (hb.errorCode === 0) continue;
        if (hb.errorCode === UNKNOWN_MEMBER_ID) this.memberId = "";
        break; // REBALANCE_IN_PROGRESS or ILLEGAL_GENERATION: rejoin
      }
    }
  }

  private async joinAndSync(): Promise<void> {
    for (;;) {
      this.joins++;
      const j = await this.c.request(11, this.c.version(11, 0, 9), {
        groupId: this.group,
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: subscription(this.topic) }],
        reason: null,
      });
      if (j.errorCode === MEMBER_ID_REQUIRED) {
        this.memberId = j.memberId;
        continue;
      }
      if (j.errorCode === UNKNOWN_MEMBER_ID) {
        this.memberId = "";
        continue;
      }
      if (j.errorCode !== 0) throw new Error(`JoinGroup error ${j.errorCode}`);
      this.memberId = j.memberId;
      this.generation = j.generationId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (j.leader === j.memberId) {
        const ids = j.members.map((m) => m.memberId).sort();
        const per = new Map<string, number[]>(ids.map((id) => [id, []]));
        for (let p = 0; p < this.partitions; p++) per.get(ids[p % ids.length]!)!.push(p);
        assignments = ids.map((id) => ({ memberId: id, assignment: assignment(this.topic, per.get(id)!) }));
      }
      const s = await this.c.request(14, this.c.version(14, 0, 5), {
        groupId: this.group,
        generationId: j.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocolName: j.protocolName,
        assignments,
      });
      if (s.errorCode === REBALANCE_IN_PROGRESS || s.errorCode === ILLEGAL_GENERATION) continue;
      if (s.errorCode !== 0) throw new Error(`SyncGroup error ${s.errorCode}`);
      this.assigned = [];
      return;
    }
  }

  async leave(): Promise<void> {
    this.running = false;
    const version = this.c.version(13, 0, 5);
    const body = version >= 3 ? { groupId: this.group, members: [{ memberId: this.memberId, groupInstanceId: null, reason: null }] } : { groupId: this.group, memberId: this.memberId };
    await this.c.request(13, version, body).catch(() => {});
    this.c.close();
  }
}

async function rebalanceRow(delayMs: number): Promise<string> {
  const node = await BrokerNode.start({ "group.initial.rebalance.delay.ms": String(delayMs), "num.partitions": "1" });
  try {
    const topic = "bench-rebalance";
    await createTopic(node.bootstrap, topic, MEMBERS);
    const clients = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => openWire(node.bootstrap, `bench-member-${i}`)));
    // Warm the coordinator (FindCoordinator also creates __consumer_offsets on first use).
    await clients[0]!.request(10, clients[0]!.version(10, 0, 3), { key: "warm", keyType: 0 });
    const group = `bench-group-${delayMs}`;
    const members = clients.map((c) => new RawMember(c, group, topic, MEMBERS));
    const t0 = performance.now();
    const runs = members.map((m) => m.run().catch((e: unknown) => console.error(`member failed: ${String(e)}`)));
    let stableMs = NaN;
    for (;;) {
      const g = await describeGroup(node.bootstrap, group).catch(() => null);
      if (g && g.state === "Stable" && g.members.length === MEMBERS && g.members.every((m) => (m.assignment[topic]?.length ?? 0) > 0)) {
        stableMs = performance.now() - t0;
        break;
      }
      if (performance.now() - t0 > 120_000) break;
      await sleep(10);
    }
    const generation = Math.max(...members.map((m) => m.generation));
    const joins = members.reduce((n, m) => n + m.joins, 0);
    await Promise.all(members.map((m) => m.leave()));
    await Promise.all(runs);
    return `| ${delayMs} | ${MEMBERS} | ${Number.isNaN(stableMs) ? "not Stable in 120 s" : stableMs.toFixed(0)} | ${generation} | ${joins} |`;
  } finally {
    await node.destroy();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function commitRows(): Promise<string[]> {
  const node = await BrokerNode.start({ "group.initial.rebalance.delay.ms": "0", "num.partitions": "1" });
  try {
    const topic = "bench-commits";
    await createTopic(node.bootstrap, topic, 16);
    const rows: string[] = [];
    for (const [clientCount, inFlight] of [
      [1, 1],
      [4, 16],
    ] as const) {
      const clients = await Promise.all(Array.from({ length: clientCount }, (_, i) => openWire(node.bootstrap, `bench-committer-${i}`)));
      const version = clients[0]!.version(8, 0, 8);
      const group = `bench-commits-${clientCount}x${inFlight}`;
      const latencies: number[] = [];
      let errors = 0;
      let offset = 0n;
      const commitOnce = async (c: WireConnection, partition: number) => {
        const t = performance.now();
        const r = await c.request(8, version, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: "",
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [{ name: topic, partitions: [{ partitionIndex: partition, committedOffset: ++offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
        });
        latencies.push(performance.now() - t);
        if (r.topics[0]?.partitions[0]?.errorCode !== 0) errors++;
      };
      // FindCoordinator first, as a client does (it creates __consumer_offsets on first use),
      // until the coordinator answers; then a warm-up (JIT), not measured.
      for (let tries = 0; ; tries++) {
        const fc = await clients[0]!.request(10, clients[0]!.version(10, 0, 3), { key: group, keyType: 0 });
        if (fc.errorCode === 0) break;
        if (tries > 100) throw new Error(`FindCoordinator error ${fc.errorCode}`);
        await sleep(100);
      }
      for (let i = 0; i < 200; i++) await commitOnce(clients[0]!, i % 16);
      if (errors > 0) console.error(`warm-up: ${errors} of 200 commits failed`);
      errors = 0;
      latencies.length = 0;
      const deadline = performance.now() + SECONDS * 1000;
      const t0 = performance.now();
      await Promise.all(
        clients.flatMap((c, ci) =>
          Array.from({ length: inFlight }, async (_, k) => {
            let n = 0;
            while (performance.now() < deadline) await commitOnce(c, (ci * inFlight + k + n++) % 16);
          }),
        ),
      );
      const secs = (performance.now() - t0) / 1000;
      const sorted = [...latencies].sort((a, b) => a - b);
      rows.push(
        `| ${clientCount} × ${inFlight} | ${(latencies.length / secs).toFixed(0)} | ${percentile(sorted, 50).toFixed(2)} | ${percentile(sorted, 99).toFixed(2)} | ${errors} |`,
      );
      for (const c of clients) c.close();
    }
    return rows;
  } finally {
    await node.destroy();
  }
}

console.log(`Rebalance: ${MEMBERS} raw members start joining at once → DescribeGroups Stable with all assigned`);
console.log("| group.initial.rebalance.delay.ms | members | ms to Stable | final generation | JoinGroup requests |");
console.log("|---|---|---|---|---|");
for (const delay of [0, 3000]) console.log(await rebalanceRow(delay));
console.log();
console.log(`OffsetCommit (one partition per commit, ${SECONDS} s per row, simple-consumer commits)`);
console.log("| clients × in flight | commits/s | p50 ms | p99 ms | errors |");
console.log("|---|---|---|---|---|");
for (const row of await commitRows()) console.log(row);
