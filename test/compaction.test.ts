// Log compaction of a user topic in a real broker process: after the cleaner runs, a
// consumer reading from the beginning sees the latest value of each key at its original
// offset, and deleted keys (tombstones) disappear once delete.retention.ms has passed.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import { waitFor } from "./helpers/groups.ts";
import { kcat, parseKcatJson } from "./helpers/run.ts";

let node: BrokerNode;

beforeAll(async () => {
  node = await BrokerNode.start({ "log.cleaner.backoff.ms": "200" });
});
afterAll(async () => {
  await node?.destroy();
});

describe("cleanup.policy=compact", () => {
  it("keeps the latest value per key at its original offset and drops tombstones after delete.retention.ms", async () => {
    const kafka = new Kafka({ brokers: [node.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      const topic = "compacted";
      await admin.createTopics({
        topics: [
          {
            topic,
            numPartitions: 1,
            configEntries: [
              { name: "cleanup.policy", value: "compact" },
              { name: "segment.bytes", value: "2048" },
              { name: "min.cleanable.dirty.ratio", value: "0.01" },
              { name: "delete.retention.ms", value: "500" },
            ],
          },
        ],
      });
      // 20 rounds over 10 keys, one batch per send, so the log rolls many small segments.
      const latest = new Map<string, { offset: number; value: string | null }>();
      let offset = 0;
      for (let round = 0; round < 20; round++) {
        for (let k = 0; k < 10; k++) {
          const key = `key-${k}`;
          // Key 3 is deleted in the last round.
          const value = round === 19 && k === 3 ? null : `${key}-round-${round}-${"v".repeat(40)}`;
          await producer.send({ topic, acks: -1, messages: [{ key, value }] });
          latest.set(key, { offset: offset++, value });
        }
      }
      // The active segment is never cleaned: roll past the data with a few filler records.
      for (let i = 0; i < 30; i++) await producer.send({ topic, acks: -1, messages: [{ key: `filler-${i % 2}`, value: "f".repeat(100) }] });
      // Every keyed record is in a closed segment: the active one (the highest base offset, the
      // only one the cleaner never touches; it may already have merged the others) starts past them.
      const activeBase = Math.max(...readdirSync(join(node.dataDir, "logs", `${topic}-0`)).filter((f) => f.endsWith(".log")).map((f) => Number(f.slice(0, -4))));
      expect(activeBase).toBeGreaterThanOrEqual(offset);

      const read = async () =>
        parseKcatJson((await kcat(node.bootstrap, ["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-J"], { timeoutMs: 20_000 })).stdout).filter((m) =>
          String(m.key).startsWith("key-"),
        );
      // Cleaned: exactly one record per key, the newest, at the offset it was written at.
      const cleaned = await waitFor("the cleaner to compact the log", async () => {
        const msgs = await read();
        return msgs.length <= 10 ? msgs : undefined;
      });
      const survivors = new Map(cleaned.map((m) => [String(m.key), { offset: m.offset, value: m.payload ?? null }]));
      for (const [key, want] of latest) {
        if (want.value === null) continue;
        expect(survivors.get(key)).toEqual(want);
      }
      // The tombstone for key-3 is dropped on a later pass, once delete.retention.ms passed.
      await waitFor("the tombstone to pass delete.retention.ms", async () => ((await read()).some((m) => m.key === "key-3") ? undefined : true));
      expect((await read()).map((m) => m.key).sort()).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9].map((k) => `key-${k}`));
      // Offsets never change: the log still ends where it did.
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets[0]!.high).toBe(String(offset + 30));
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  });
});
