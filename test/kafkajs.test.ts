// kafkajs against a real `samsa broker` process: producers (acks, gzip, idempotent) and the
// admin client, with Kafka's error types surfacing as kafkajs errors.
import { CompressionTypes, ConfigResourceTypes, Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import { rejection } from "./helpers/kafkajs-errors.ts";
import { describeRun, kcat, parseKcatJson, type KcatMessage } from "./helpers/run.ts";

let node: BrokerNode;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  // Static overrides that DescribeConfigs must report as STATIC_BROKER_CONFIG.
  node = await BrokerNode.start({ "num.partitions": "2", "log.retention.hours": "100" });
  kafka = new Kafka({
    clientId: "kafkajs-it",
    brokers: [node.bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
  });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect().catch(() => {});
  await node?.destroy();
});

async function readAll(topic: string, partition: number): Promise<KcatMessage[]> {
  const r = await kcat(node.bootstrap, ["-C", "-t", topic, "-p", String(partition), "-o", "beginning", "-e", "-J"], { timeoutMs: 20_000 });
  expect(r.code, describeRun(r)).toBe(0);
  return parseKcatJson(r.stdout);
}

// kafkajs' ConfigSource numbering (Kafka's DescribeConfigs config_source).
const TOPIC_CONFIG = 1;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

describe("kafkajs producer", () => {
  it("acks -1, 1 and 0 produce at the expected offsets", async () => {
    const topic = "kjs-acks";
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const a = await producer.send({ topic, acks: -1, messages: [{ key: "a", value: "all-1" }, { key: "a", value: "all-2" }] });
    expect(a).toEqual([expect.objectContaining({ topicName: topic, partition: 0, errorCode: 0, baseOffset: "0" })]);
    const b = await producer.send({ topic, acks: 1, messages: [{ key: "b", value: "one", headers: { h: "x", n: "1" } }] });
    expect(b).toEqual([expect.objectContaining({ partition: 0, errorCode: 0, baseOffset: "2" })]);
    await producer.send({ topic, acks: 0, messages: [{ value: "zero" }] });
    const c = await producer.send({ topic, acks: -1, messages: [{ value: "after-zero" }] });
    expect(c[0]?.baseOffset).toBe("4");
    await producer.disconnect();
    const got = await readAll(topic, 0);
    expect(got.map((m) => [m.offset, m.key, m.payload])).toEqual([
      [0, "a", "all-1"],
      [1, "a", "all-2"],
      [2, "b", "one"],
      [3, null, "zero"],
      [4, null, "after-zero"],
    ]);
    expect(got[2]!.headers).toEqual(["h", "x", "n", "1"]);
  });

  it("gzip batches round-trip", async () => {
    const topic = "kjs-gzip";
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const messages = Array.from({ length: 500 }, (_, i) => ({
      key: `k${i}`,
      value: `gz-${i}-${"abc".repeat(i % 30)}`,
      partition: i % 2,
      headers: { i: String(i) },
    }));
    const res = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
    expect(res.map((r) => [r.partition, r.errorCode, r.baseOffset]).sort()).toEqual([
      [0, 0, "0"],
      [1, 0, "0"],
    ]);
    await producer.disconnect();
    for (const p of [0, 1]) {
      const got = await readAll(topic, p);
      const want = messages.filter((m) => m.partition === p);
      expect(got.map((m) => [m.key, m.payload, m.headers])).toEqual(want.map((m) => [m.key, m.value, ["i", m.headers.i]]));
      expectOffsets(got);
    }
  });

  it("an idempotent producer (maxInFlightRequests 1, retries) writes each message once", async () => {
    const topic = "kjs-idempotent";
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5 } });
    await producer.connect();
    const sends = Array.from({ length: 30 }, (_, s) =>
      producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `s${s}`, value: `s${s}-m${i}`, partition: s % 3 })),
      }),
    );
    const results = await Promise.all(sends);
    await producer.disconnect();
    for (const r of results) expect(r[0]?.errorCode).toBe(0);
    for (const p of [0, 1, 2]) {
      const got = await readAll(topic, p);
      expect(got).toHaveLength(100);
      expectOffsets(got);
      expect(new Set(got.map((m) => m.payload)).size).toBe(100);
      // Each send's messages are contiguous at its acknowledged base offset.
      results.forEach((r, s) => {
        if (s % 3 !== p) return;
        const base = Number(r[0]!.baseOffset);
        for (let i = 0; i < 10; i++) expect(got[base + i]?.payload).toBe(`s${s}-m${i}`);
      });
    }
  });
});

function expectOffsets(msgs: KcatMessage[]): void {
  expect(msgs.map((m) => m.offset)).toEqual(msgs.map((_, i) => i));
}

describe("kafkajs admin", () => {
  it("createTopics: validateOnly, configEntries, numPartitions, replicaAssignment", async () => {
    expect(
      await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: "kjs-validate", numPartitions: 4 }] }),
    ).toBe(true);
    expect(await admin.listTopics()).not.toContain("kjs-validate");

    expect(
      await admin.createTopics({
        topics: [
          {
            topic: "kjs-admin",
            numPartitions: 3,
            replicationFactor: 1,
            configEntries: [
              { name: "retention.ms", value: "3600000" },
              { name: "cleanup.policy", value: "compact" },
              { name: "max.message.bytes", value: "200000" },
            ],
          },
          {
            topic: "kjs-assigned",
            replicaAssignment: [
              { partition: 0, replicas: [0] },
              { partition: 1, replicas: [0] },
            ],
          },
          { topic: "kjs-defaults" },
        ],
      }),
    ).toBe(true);

    const md = await admin.fetchTopicMetadata({ topics: ["kjs-admin", "kjs-assigned", "kjs-defaults"] });
    const byName = new Map(md.topics.map((t) => [t.name, t]));
    expect(byName.get("kjs-admin")!.partitions).toHaveLength(3);
    expect(byName.get("kjs-assigned")!.partitions).toHaveLength(2);
    expect(byName.get("kjs-defaults")!.partitions).toHaveLength(2); // num.partitions=2
    for (const t of md.topics) {
      for (const p of t.partitions) {
        expect(p).toMatchObject({ partitionErrorCode: 0, leader: 0, replicas: [0], isr: [0] });
      }
    }
    const topics = await admin.listTopics();
    expect(topics).toEqual(expect.arrayContaining(["kjs-admin", "kjs-assigned", "kjs-defaults"]));
    // Only Samsa's and Kafka's internal topics carry the "__" prefix.
    expect(topics.filter((t) => t.startsWith("__")).every((t) => ["__state_changes", "__consumer_offsets"].includes(t))).toBe(true);
  });

  it("createTopics errors: duplicate resolves false, bad names are INVALID_TOPIC_EXCEPTION", async () => {
    expect(await admin.createTopics({ topics: [{ topic: "kjs-admin" }] })).toBe(false);
    expect(await rejection(admin.createTopics({ topics: [{ topic: "bad name!" }] }))).toEqual(["INVALID_TOPIC_EXCEPTION"]);
    expect(await rejection(admin.createTopics({ topics: [{ topic: "." }], waitForLeaders: false }))).toEqual(["INVALID_TOPIC_EXCEPTION"]);
    expect(await rejection(admin.createTopics({ topics: [{ topic: "t".repeat(250) }], waitForLeaders: false }))).toEqual([
      "INVALID_TOPIC_EXCEPTION",
    ]);
    const mixed = await rejection(
      admin.createTopics({ waitForLeaders: false, topics: [{ topic: "kjs-admin" }, { topic: "bad/name" }, { topic: "kjs-fresh" }] }),
    );
    expect(mixed.sort()).toEqual(["INVALID_TOPIC_EXCEPTION", "TOPIC_ALREADY_EXISTS"]);
    // The valid topic of the mixed request was created.
    expect(await admin.listTopics()).toContain("kjs-fresh");
    expect(
      await rejection(admin.createTopics({ topics: [{ topic: "kjs-rf3", replicationFactor: 3 }], waitForLeaders: false })),
    ).toEqual(["INVALID_REPLICATION_FACTOR"]);
    expect(
      await rejection(
        admin.createTopics({ topics: [{ topic: "kjs-badcfg", configEntries: [{ name: "retention.ms", value: "x" }] }], waitForLeaders: false }),
      ),
    ).toEqual(["INVALID_CONFIG"]);
    expect(await admin.listTopics()).not.toEqual(expect.arrayContaining(["kjs-rf3"]));
  });

  it("describeConfigs: topic overrides, defaults, synonyms, broker static config", async () => {
    const res = await admin.describeConfigs({
      includeSynonyms: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: "kjs-admin" }],
    });
    expect(res.resources).toHaveLength(1);
    const r = res.resources[0]!;
    expect(r).toMatchObject({ errorCode: 0, resourceName: "kjs-admin", resourceType: ConfigResourceTypes.TOPIC });
    const entry = (n: string) => r.configEntries.find((e) => e.configName === n);
    expect(entry("retention.ms")).toMatchObject({ configValue: "3600000", isDefault: false, configSource: TOPIC_CONFIG, isSensitive: false });
    expect(entry("retention.ms")!.configSynonyms[0]).toEqual({ configName: "retention.ms", configValue: "3600000", configSource: TOPIC_CONFIG });
    expect(entry("retention.ms")!.configSynonyms).toContainEqual({
      configName: "log.retention.hours",
      configValue: "100",
      configSource: STATIC_BROKER_CONFIG,
    });
    expect(entry("cleanup.policy")).toMatchObject({ configValue: "compact", configSource: TOPIC_CONFIG });
    expect(entry("max.message.bytes")).toMatchObject({ configValue: "200000", configSource: TOPIC_CONFIG });
    expect(entry("segment.bytes")).toMatchObject({ configValue: "1073741824", isDefault: true, configSource: DEFAULT_CONFIG });
    expect(entry("segment.bytes")!.configSynonyms).toContainEqual({
      configName: "log.segment.bytes",
      configValue: "1073741824",
      configSource: DEFAULT_CONFIG,
    });

    // A topic without an override inherits the static broker value, reported as such.
    const d = await admin.describeConfigs({
      includeSynonyms: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: "kjs-defaults", configNames: ["retention.ms", "cleanup.policy"] }],
    });
    const entries = d.resources[0]!.configEntries;
    expect(entries.map((e) => e.configName).sort()).toEqual(["cleanup.policy", "retention.ms"]);
    const ret = entries.find((e) => e.configName === "retention.ms")!;
    expect(ret).toMatchObject({ configValue: String(100 * 3600 * 1000), configSource: STATIC_BROKER_CONFIG, isDefault: false });
    expect(ret.configSynonyms[0]).toEqual({ configName: "log.retention.hours", configValue: "100", configSource: STATIC_BROKER_CONFIG });
    expect(entries.find((e) => e.configName === "cleanup.policy")).toMatchObject({ configValue: "delete", configSource: DEFAULT_CONFIG, isDefault: true });

    const b = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: "0" }] });
    const be = (n: string) => b.resources[0]!.configEntries.find((e) => e.configName === n);
    expect(be("num.partitions")).toMatchObject({ configValue: "2", configSource: STATIC_BROKER_CONFIG, isDefault: false });
    expect(be("log.retention.hours")).toMatchObject({ configValue: "100", configSource: STATIC_BROKER_CONFIG });
    expect(be("log.segment.bytes")).toMatchObject({ configValue: "1073741824", configSource: DEFAULT_CONFIG, isDefault: true });
    expect(be("node.id")).toMatchObject({ configValue: "0" });

    expect(
      await rejection(admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "kjs-nope" }] })),
    ).toEqual(["UNKNOWN_TOPIC_OR_PARTITION"]);
  });

  it("alterConfigs: set, validateOnly, invalid value", async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: "kjs-admin",
          configEntries: [
            { name: "retention.ms", value: "7200000" },
            { name: "cleanup.policy", value: "compact" },
          ],
        },
      ],
    });
    await admin.alterConfigs({
      validateOnly: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: "kjs-admin", configEntries: [{ name: "retention.ms", value: "1" }] }],
    });
    const types = await rejection(
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: "kjs-admin", configEntries: [{ name: "cleanup.policy", value: "shred" }] }],
      }),
    );
    expect(types).toEqual(["INVALID_CONFIG"]);
    const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: "kjs-admin" }] });
    const entry = (n: string) => res.resources[0]!.configEntries.find((e) => e.configName === n);
    expect(entry("retention.ms")).toMatchObject({ configValue: "7200000", configSource: TOPIC_CONFIG });
    expect(entry("cleanup.policy")).toMatchObject({ configValue: "compact" });
    // Non-incremental AlterConfigs replaces the override set: max.message.bytes is back to its default.
    expect(entry("max.message.bytes")).toMatchObject({ configValue: "1048588", configSource: DEFAULT_CONFIG });
  });

  it("createPartitions grows a topic and rejects shrinking", async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: "kjs-admin", count: 5 }] });
    const md = await admin.fetchTopicMetadata({ topics: ["kjs-admin"] });
    expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await rejection(admin.createPartitions({ topicPartitions: [{ topic: "kjs-admin", count: 2 }] }))).toEqual(["INVALID_PARTITIONS"]);
    // The new partitions take writes (keyed: kjs-admin is compacted, which refuses null keys).
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const [r] = await producer.send({ topic: "kjs-admin", acks: -1, messages: [{ key: "k", value: "p4", partition: 4 }] });
    expect(r).toMatchObject({ partition: 4, errorCode: 0, baseOffset: "0" });
    await producer.disconnect();
  });

  /** Creates a one-partition topic holding "t0".."t9", one second apart from 100 s ago; returns the first timestamp. */
  async function createTimestamped(topic: string): Promise<number> {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const base = Date.now() - 100_000;
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `t${i}`, timestamp: String(base + i * 1000) })),
    });
    await producer.disconnect();
    return base;
  }

  it("fetchTopicOffsets, fetchTopicOffsetsByTimestamp", async () => {
    const topic = "kjs-offsets";
    const base = await createTimestamped(topic);
    // One batch whose records carry their own timestamps.
    expect((await readAll(topic, 0)).map((m) => m.ts)).toEqual(Array.from({ length: 10 }, (_, i) => base + i * 1000));

    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: "10", high: "10", low: "0" }]);
    // Kafka looks inside the batch for the first record at or after the timestamp.
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base + 4500)).toEqual([{ partition: 0, offset: "5" }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base)).toEqual([{ partition: 0, offset: "0" }]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base - 1)).toEqual([{ partition: 0, offset: "0" }]);
    // After the last timestamp Kafka answers -1; kafkajs turns that into the high watermark.
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() + 60_000)).toEqual([{ partition: 0, offset: "10" }]);
  });

  it("deleteTopicRecords moves the log start offset", async () => {
    const topic = "kjs-delete-records";
    const base = await createTimestamped(topic);

    // kafkajs looks the partition leaders up in its metadata cache before asking: load it.
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: "10", high: "10", low: "0" }]);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "4" }] });
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: "10", high: "10", low: "4" }]);
    const rest = await readAll(topic, 0);
    expect(rest.map((m) => [m.offset, m.payload])).toEqual(Array.from({ length: 6 }, (_, i) => [i + 4, `t${i + 4}`]));
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, base)).toEqual([{ partition: 0, offset: "4" }]);
    // -1 means "up to the high watermark".
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "-1" }] });
    expect(await admin.fetchTopicOffsets(topic)).toEqual([{ partition: 0, offset: "10", high: "10", low: "10" }]);
  });

  it("describeCluster", async () => {
    const c = await admin.describeCluster();
    expect(c.brokers).toEqual([{ nodeId: 0, host: "127.0.0.1", port: node.port }]);
    expect(c.controller).toBe(0);
    expect(typeof c.clusterId).toBe("string");
    expect(c.clusterId.length).toBeGreaterThan(0);
  });

  it("deleteTopics removes topics; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION", async () => {
    await admin.deleteTopics({ topics: ["kjs-assigned", "kjs-fresh"] });
    const topics = await admin.listTopics();
    expect(topics).not.toContain("kjs-assigned");
    expect(topics).not.toContain("kjs-fresh");
    const strict = new Kafka({ brokers: [node.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await strict.connect();
    expect(await rejection(strict.deleteTopics({ topics: ["kjs-assigned"] }))).toEqual(["UNKNOWN_TOPIC_OR_PARTITION"]);
    await strict.disconnect();
    // The name is free again.
    expect(await admin.createTopics({ topics: [{ topic: "kjs-assigned", numPartitions: 1 }] })).toBe(true);
    expect(await admin.fetchTopicOffsets("kjs-assigned")).toEqual([{ partition: 0, offset: "0", high: "0", low: "0" }]);
  });

  it("the broker is still alive", () => {
    expect(node.alive).toBe(true);
  });
});
