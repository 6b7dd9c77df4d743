// kcat (librdkafka) against a real `samsa broker` process: metadata, produce/consume round
// trips with keys, headers and every compression codec, offset selection and auto-creation.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import { describeRun, kcat, parseKcatJson, type KcatMessage, type RunResult } from "./helpers/run.ts";

let node: BrokerNode;

beforeAll(async () => {
  node = await BrokerNode.start({ "num.partitions": "3" });
});

afterAll(async () => {
  await node?.destroy();
});

function ok(r: RunResult): RunResult {
  expect(r.code, `kcat failed: ${describeRun(r)}\n--- broker ---\n${node.output.slice(-3000)}`).toBe(0);
  return r;
}

async function produce(topic: string, lines: string[], extra: string[] = []): Promise<void> {
  ok(await kcat(node.bootstrap, ["-P", "-t", topic, "-X", "acks=all", ...extra], { input: lines.map((l) => `${l}\n`).join("") }));
}

async function consume(topic: string, extra: string[]): Promise<KcatMessage[]> {
  return parseKcatJson(ok(await kcat(node.bootstrap, ["-C", "-t", topic, "-e", "-J", ...extra], { timeoutMs: 20_000 })).stdout);
}

interface MetadataJson {
  originating_broker: { id: number; name: string };
  controllerid: number;
  brokers: { id: number; name: string }[];
  topics: {
    topic: string;
    error?: string;
    partitions: { partition: number; error?: string; leader: number; replicas: { id: number }[]; isrs: { id: number }[] }[];
  }[];
}

async function metadata(topic?: string): Promise<MetadataJson> {
  const r = ok(await kcat(node.bootstrap, ["-L", "-J", ...(topic ? ["-t", topic] : [])]));
  return JSON.parse(r.stdout) as MetadataJson;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("kcat", () => {
  it("auto-creates a topic on produce with num.partitions and reports it in -L -J like Kafka", async () => {
    await produce("auto-created", ["hello"]);
    const md = await metadata("auto-created");
    expect(md.brokers).toEqual([{ id: 0, name: node.bootstrap }]);
    expect(md.controllerid).toBe(0);
    expect(md.originating_broker.id).toBe(0);
    expect(md.topics).toHaveLength(1);
    const t = md.topics[0]!;
    expect(t.topic).toBe("auto-created");
    expect(t.error).toBeUndefined();
    expect(t.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    for (const p of t.partitions) {
      expect(p.error).toBeUndefined();
      expect(p.leader).toBe(0);
      expect(p.replicas).toEqual([{ id: 0 }]);
      expect(p.isrs).toEqual([{ id: 0 }]);
    }
    // The message is somewhere in the three partitions.
    const all = await consume("auto-created", ["-o", "beginning"]);
    expect(all.map((m) => m.payload)).toEqual(["hello"]);

    // -L without -t lists it with the other topics, and no internal surprises.
    const full = await metadata();
    expect(full.topics.map((x) => x.topic)).toContain("auto-created");
    expect(full.brokers).toEqual([{ id: 0, name: node.bootstrap }]);
  });

  it("-L -t <new topic> auto-creates it (librdkafka's producer handle asks for auto-creation)", async () => {
    const first = (await metadata("created-by-metadata")).topics.find((x) => x.topic === "created-by-metadata");
    // Kafka's first answer for a topic it just auto-created is LEADER_NOT_AVAILABLE; an answer
    // with the partitions right away is as good.
    if (first?.error !== undefined) expect(first.error).toMatch(/leader not available/i);
    let t = first;
    for (let i = 0; i < 20 && (t?.error !== undefined || t?.partitions.length !== 3); i++) {
      await sleep(100);
      t = (await metadata("created-by-metadata")).topics.find((x) => x.topic === "created-by-metadata");
    }
    expect(t?.error).toBeUndefined();
    expect(t?.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
  });

  const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
  /** The compression codec of every batch in a partition's first segment. */
  const batchCodecs = (topic: string) => {
    const log = readFileSync(join(node.dataDir, "logs", `${topic}-0`, "00000000000000000000.log"));
    const codecs: number[] = [];
    for (let pos = 0; pos + 61 <= log.length; pos += 12 + log.readInt32BE(pos + 8)) codecs.push(log.readInt16BE(pos + 21) & 7);
    return codecs;
  };
  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"] as const) {
    it(`round-trips keys, values and headers with compression ${codec}`, async () => {
      const topic = `codec-${codec}`;
      const n = 300;
      const lines = Array.from({ length: n }, (_, i) => `key-${i}:value-${i}-${"x".repeat(i % 50)}`);
      await produce(topic, lines, ["-p", "0", "-K:", "-z", codec, "-H", "h1=v1", "-H", `codec=${codec}`, "-H", "empty="]);
      // librdkafka really compressed (it silently sends plain batches to brokers it believes
      // cannot take the codec; it also sends a batch plain when compressing would not shrink it).
      const codecs = batchCodecs(topic);
      expect(codecs).toContain(CODEC_IDS[codec]);
      expect(codecs.every((c) => c === 0 || c === CODEC_IDS[codec])).toBe(true);
      const got = await consume(topic, ["-p", "0", "-o", "beginning"]);
      expect(got).toHaveLength(n);
      got.forEach((m, i) => {
        expect(m.partition).toBe(0);
        expect(m.offset).toBe(i);
        expect(m.key).toBe(`key-${i}`);
        expect(m.payload).toBe(`value-${i}-${"x".repeat(i % 50)}`);
        expect(m.headers).toEqual(["h1", "v1", "codec", codec, "empty", ""]);
        expect(m.tstype).toBe("create");
      });
      // A second produce appends after the first at the next offsets.
      await produce(topic, ["k:last"], ["-p", "0", "-K:", "-z", codec]);
      const tail = await consume(topic, ["-p", "0", "-o", String(n)]);
      expect(tail.map((m) => [m.offset, m.key, m.payload, m.headers])).toEqual([[n, "k", "last", undefined]]);
    });
  }

  it("round-trips large and null-keyed messages", async () => {
    const big = "b".repeat(200_000);
    await produce("big-values", [big, "small"], ["-p", "0", "-z", "lz4"]);
    const got = await consume("big-values", ["-p", "0", "-o", "beginning"]);
    expect(got.map((m) => [m.offset, m.key, m.payload?.length])).toEqual([
      [0, null, big.length],
      [1, null, 5],
    ]);
    expect(got[0]!.payload).toBe(big);
  });

  describe("offset selection", () => {
    const topic = "offsets";
    let midTs = 0;

    beforeAll(async () => {
      await produce(topic, Array.from({ length: 10 }, (_, i) => `m${i}`), ["-p", "0"]);
      await sleep(50);
      midTs = Date.now();
      await sleep(50);
      await produce(topic, Array.from({ length: 5 }, (_, i) => `n${i}`), ["-p", "0"]);
    });

    it("-o beginning", async () => {
      const got = await consume(topic, ["-p", "0", "-o", "beginning"]);
      expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i));
      expect(got.map((m) => m.payload).slice(9, 11)).toEqual(["m9", "n0"]);
    });

    it("-o <absolute offset>", async () => {
      const got = await consume(topic, ["-p", "0", "-o", "4"]);
      expect(got.map((m) => m.offset)).toEqual(Array.from({ length: 11 }, (_, i) => i + 4));
      expect(got[0]!.payload).toBe("m4");
    });

    it("-o -N (relative to the end)", async () => {
      const got = await consume(topic, ["-p", "0", "-o", "-3"]);
      expect(got.map((m) => [m.offset, m.payload])).toEqual([
        [12, "n2"],
        [13, "n3"],
        [14, "n4"],
      ]);
    });

    it("-o end reads nothing", async () => {
      const got = await consume(topic, ["-p", "0", "-o", "end"]);
      expect(got).toEqual([]);
    });

    it("-o s@<timestamp> starts at the first message at or after the timestamp", async () => {
      const got = await consume(topic, ["-p", "0", "-o", `s@${midTs}`]);
      expect(got.map((m) => m.payload)).toEqual(["n0", "n1", "n2", "n3", "n4"]);
      expect(got[0]!.offset).toBe(10);
      for (const m of got) expect(m.ts).toBeGreaterThanOrEqual(midTs);
    });

    it("-Q looks offsets up by timestamp (ListOffsets)", async () => {
      const r = ok(await kcat(node.bootstrap, ["-Q", "-t", `${topic}:0:${midTs}`, "-J"]));
      const parsed = JSON.parse(r.stdout) as Record<string, Record<string, { partition: number; offset: number; error?: string }>>;
      expect(parsed[topic]?.["0"]).toMatchObject({ partition: 0, offset: 10 });
      expect(parsed[topic]?.["0"]?.error).toBeUndefined();
      // A timestamp after every message: Kafka answers offset -1 (no such message).
      const later = ok(await kcat(node.bootstrap, ["-Q", "-t", `${topic}:0:${Date.now() + 3_600_000}`, "-J"]));
      const p2 = JSON.parse(later.stdout) as typeof parsed;
      expect(p2[topic]?.["0"]?.offset).toBe(-1);
    });
  });

  it("produces to and consumes from explicit partitions with -p", async () => {
    const topic = "multi-part";
    for (const p of [0, 1, 2]) {
      await produce(topic, Array.from({ length: 4 + p }, (_, i) => `p${p}-${i}`), ["-p", String(p)]);
    }
    const md = await metadata(topic);
    expect(md.topics[0]!.partitions).toHaveLength(3);
    for (const p of [0, 1, 2]) {
      const got = await consume(topic, ["-p", String(p), "-o", "beginning"]);
      expect(got.map((m) => [m.partition, m.offset, m.payload])).toEqual(
        Array.from({ length: 4 + p }, (_, i) => [p, i, `p${p}-${i}`]),
      );
    }
    // Without -p kcat reads every partition.
    const all = await consume(topic, ["-o", "beginning"]);
    expect(all).toHaveLength(4 + 5 + 6);
    expect(new Set(all.map((m) => m.partition))).toEqual(new Set([0, 1, 2]));
  });

  it("keys go to a stable partition with the default partitioner", async () => {
    const topic = "keyed";
    const lines: string[] = [];
    for (let round = 0; round < 5; round++) for (let k = 0; k < 10; k++) lines.push(`k${k}:r${round}`);
    await produce(topic, lines, ["-K:"]);
    const all = await consume(topic, ["-K:", "-o", "beginning"]);
    expect(all).toHaveLength(50);
    const partOf = new Map<string, number>();
    for (const m of all) {
      const prev = partOf.get(m.key!);
      if (prev !== undefined) expect(m.partition).toBe(prev);
      partOf.set(m.key!, m.partition);
    }
    // Per key, rounds arrive in order.
    for (let k = 0; k < 10; k++) {
      expect(all.filter((m) => m.key === `k${k}`).map((m) => m.payload)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    }
  });

  it("rejects a produce to a partition that does not exist", async () => {
    const r = await kcat(node.bootstrap, ["-P", "-t", "multi-part", "-p", "7", "-X", "message.timeout.ms=5000"], {
      input: "nope\n",
    });
    // librdkafka fails the message locally (unknown partition, from the broker's metadata)
    // and kcat exits non-zero.
    expect(r.code, describeRun(r)).not.toBe(0);
  });

  it("the broker is still alive", () => {
    expect(node.alive).toBe(true);
  });
});
