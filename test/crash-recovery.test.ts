// Crash recovery: kill -9 the broker while acks=all produces are in flight, restart it on the
// same data dir, and check that every acknowledged message is there at its acknowledged offset
// with contiguous offsets; then corrupt the tail of a segment and check recovery truncates it.
import { appendFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel, type Admin, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import { describeRun, kcat, parseKcatJson, type KcatMessage } from "./helpers/run.ts";

let node: BrokerNode;

beforeAll(async () => {
  node = await BrokerNode.start();
});

afterAll(async () => {
  await node?.destroy();
});

function client(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [node.bootstrap],
    logLevel: logLevel.NOTHING,
    requestTimeout: 5_000,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  });
}

async function withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: "crash-admin", brokers: [node.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

async function readPartition(topic: string, partition: number): Promise<KcatMessage[]> {
  const r = await kcat(node.bootstrap, ["-C", "-t", topic, "-p", String(partition), "-o", "beginning", "-e", "-J"], {
    timeoutMs: 30_000,
  });
  expect(r.code, `kcat -C ${topic}/${partition}: ${describeRun(r)}\n--- broker ---\n${node.output.slice(-3000)}`).toBe(0);
  return parseKcatJson(r.stdout);
}

function expectContiguous(msgs: KcatMessage[], what: string): void {
  msgs.forEach((m, i) => {
    if (m.offset !== i) throw new Error(`${what}: offset ${m.offset} at position ${i} (offsets not contiguous from 0)`);
  });
}

/** Creates the topic and a connected producer (no topic auto-creation). */
async function createWithProducer(topic: string, numPartitions: number, clientId: string): Promise<Producer> {
  await withAdmin((a) => a.createTopics({ topics: [{ topic, numPartitions }] }));
  const producer = client(clientId).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("crash recovery", () => {
  it("keeps every acknowledged message at its offset across kill -9 with sends in flight", async () => {
    const topic = "crash-inflight";
    const partitions = 4;
    const producer = await createWithProducer(topic, partitions, "crash-producer");
    // acked[partition] maps offset -> value
    const acked = Array.from({ length: partitions }, () => new Map<number, string>());
    let inFlight = 0;
    let failures = 0;
    let stop = false;
    let seq = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const partition = (w + seq) % partitions;
        const batch = Array.from({ length: 1 + (seq % 7) }, (_, i) => `w${w}-s${seq}-i${i}-${"p".repeat(seq % 100)}`);
        seq++;
        inFlight++;
        try {
          const [meta] = await producer.send({
            topic,
            acks: -1,
            messages: batch.map((value, i) => ({ key: `k${i}`, value, partition })),
          });
          if (!meta || meta.errorCode !== 0 || meta.partition !== partition) throw new Error(`bad ack ${JSON.stringify(meta)}`);
          const base = Number(meta.baseOffset);
          batch.forEach((value, i) => {
            const prev = acked[partition]!.get(base + i);
            if (prev !== undefined) throw new Error(`offset ${base + i} of partition ${partition} acknowledged twice`);
            acked[partition]!.set(base + i, value);
          });
        } catch {
          failures++;
          if (!stop) await sleep(5);
        } finally {
          inFlight--;
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    const ackedCount = () => acked.reduce((n, m) => n + m.size, 0);
    const deadline = Date.now() + 15_000;
    while (ackedCount() < 2_000 && Date.now() < deadline) await sleep(20);
    // Kill while sends are in flight.
    while (inFlight === 0 && Date.now() < deadline) await sleep(1);
    const inFlightAtKill = inFlight;
    await node.stop("SIGKILL");
    stop = true;
    await Promise.all(workers);
    await producer.disconnect().catch(() => {});
    expect(inFlightAtKill).toBeGreaterThan(0);
    expect(ackedCount(), `only ${ackedCount()} acknowledged before the kill (${failures} failures)\n${node.output.slice(-2000)}`).toBeGreaterThan(100);

    await node.launch();

    const ends = await withAdmin((a) => a.fetchTopicOffsets(topic));
    for (let p = 0; p < partitions; p++) {
      const msgs = await readPartition(topic, p);
      expectContiguous(msgs, `partition ${p}`);
      const byOffset = new Map(msgs.map((m) => [m.offset, m]));
      const mine = acked[p]!;
      const maxAcked = Math.max(-1, ...mine.keys());
      expect(msgs.length, `partition ${p} lost acknowledged messages`).toBeGreaterThan(maxAcked);
      for (const [offset, value] of mine) {
        const m = byOffset.get(offset);
        expect(m?.payload, `partition ${p} offset ${offset}`).toBe(value);
      }
      // No acknowledged value appears at any other offset (no duplicates within acknowledged data).
      const ackedValues = new Set(mine.values());
      const seen = new Map<string, number>();
      for (const m of msgs) {
        if (m.payload !== null && ackedValues.has(m.payload)) seen.set(m.payload, (seen.get(m.payload) ?? 0) + 1);
      }
      for (const [v, n] of seen) expect(n, `acknowledged value ${v} appears ${n} times`).toBe(1);
      const end = ends.find((e) => e.partition === p);
      if (process.env.CRASH_DEBUG) console.log(`p${p}: acked ${mine.size} (max ${maxAcked}), recovered ${msgs.length}, in flight at kill ${inFlightAtKill}, failures ${failures}`);
      expect(Number(end?.high)).toBe(msgs.length);
      expect(Number(end?.low)).toBe(0);
    }

    // New produces continue right after the recovered log end.
    const after = client("crash-after").producer({ allowAutoTopicCreation: false });
    await after.connect();
    for (let p = 0; p < partitions; p++) {
      const [meta] = await after.send({ topic, acks: -1, messages: [{ value: `after-${p}`, partition: p }] });
      const end = ends.find((e) => e.partition === p)!;
      expect(meta?.baseOffset).toBe(end.high);
    }
    await after.disconnect();
  });

  it("truncates garbage appended to the active segment and keeps serving and accepting", async () => {
    const topic = "crash-corrupt";
    const producer = await createWithProducer(topic, 1, "corrupt-producer");
    for (let i = 0; i < 10; i++) {
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 5 }, (_, j) => ({ key: `k${i}`, value: `v${i * 5 + j}` })),
      });
      expect(meta?.baseOffset).toBe(String(i * 5));
    }
    await producer.disconnect();

    const segment = join(node.dataDir, "logs", `${topic}-0`, "00000000000000000000.log");
    const check = async (expectedCount: number, what: string) => {
      const msgs = await readPartition(topic, 0);
      expectContiguous(msgs, what);
      expect(msgs.map((m) => m.payload), what).toEqual(Array.from({ length: expectedCount }, (_, i) => `v${i}`));
    };
    const produceNext = async (from: number) => {
      const p = client("corrupt-after").producer({ allowAutoTopicCreation: false });
      await p.connect();
      const [meta] = await p.send({ topic, acks: -1, messages: [0, 1, 2].map((j) => ({ value: `v${from + j}` })) });
      await p.disconnect();
      expect(meta?.baseOffset).toBe(String(from));
    };

    const garbage: { what: string; bytes: () => Buffer }[] = [
      { what: "random bytes", bytes: () => Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 131 + 17) & 0xff)) },
      {
        // A batch header that claims more bytes than the file holds (a torn write).
        what: "a truncated batch",
        bytes: () => {
          const b = Buffer.alloc(61);
          b.writeBigInt64BE(53n, 0); // base offset
          b.writeInt32BE(5000, 8); // batch length
          b.writeInt32BE(0, 12); // partition leader epoch
          b.writeInt8(2, 16); // magic
          return b;
        },
      },
      {
        // A complete-looking batch whose CRC is wrong.
        what: "a batch with a bad CRC",
        bytes: () => {
          const b = Buffer.alloc(61 + 20, 0x5a);
          b.writeBigInt64BE(56n, 0);
          b.writeInt32BE(b.length - 12, 8);
          b.writeInt32BE(0, 12);
          b.writeInt8(2, 16);
          b.writeUInt32BE(0xdeadbeef, 17);
          return b;
        },
      },
      { what: "zeros (a preallocated tail)", bytes: () => Buffer.alloc(4096) },
    ];

    let count = 50;
    for (const g of garbage) {
      await node.stop("SIGKILL");
      expect(existsSync(segment), `segment ${segment} exists`).toBe(true);
      const before = statSync(segment).size;
      appendFileSync(segment, g.bytes());
      await node.launch();
      // Recovery truncates the segment back to its last valid batch, as Kafka's log loader does.
      expect(statSync(segment).size, `segment size after recovering from ${g.what}`).toBe(before);
      await check(count, `after ${g.what}`);
      await produceNext(count);
      count += 3;
      await check(count, `produce after ${g.what}`);
    }
    expect(node.alive).toBe(true);
  });

  it("a clean restart (SIGTERM) keeps everything too", async () => {
    const topic = "crash-clean";
    const producer = await createWithProducer(topic, 2, "clean-producer");
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic, acks: -1, messages: [{ value: `c${i}`, partition: i % 2 }] });
    }
    await producer.disconnect();
    await node.stop("SIGTERM");
    expect(node.output).toMatch(/stopping \(SIGTERM\)/);
    await node.launch();
    for (const p of [0, 1]) {
      const msgs = await readPartition(topic, p);
      expect(msgs.map((m) => m.payload)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i * 2 + p}`));
    }
  });
});
