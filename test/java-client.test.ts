// Apache Kafka's own Java client (kafka-clients 3.9, unmodified) against a real `samsa broker`
// process: the programs in test/java run one scenario each and print a JSON summary, asserted
// here and cross-checked with other clients (kcat, kafkajs, kafka-consumer-groups) and with the
// broker's log files. The expected answers of the admin calls (exception classes included) are
// what Apache Kafka 3.9.2 answers to the same program.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { BrokerNode } from "./helpers/broker-node.ts";
import { createTopic, withWire } from "./helpers/groups.ts";
import { JavaClient, type JavaRun } from "./helpers/java-client.ts";
import { describeRun, kcat, parseKcatJson } from "./helpers/run.ts";

let node: BrokerNode;
let java: JavaClient;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  // A group forms as soon as its first member has joined (no initial rebalance delay).
  [node, java] = await Promise.all([BrokerNode.start({ "group.initial.rebalance.delay.ms": "0", "num.partitions": "1" }), JavaClient.compile()]);
  kafka = new Kafka({ brokers: [node.bootstrap], clientId: "java-client-test", logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
}, 180_000);

afterAll(async () => {
  await admin?.disconnect();
  await node?.destroy();
  java?.destroy();
});

/** Runs a subcommand; fails with its output and the broker's when there is no summary or it is not ok. */
async function runJava<T extends { ok: boolean }>(args: string[]): Promise<T> {
  const r: JavaRun<T> = await java.runJson<T>(args);
  const context = `${describeRun(r.result)}\n--- broker (tail) ---\n${node.output.slice(-3000)}`;
  expect(r.summary, `no JSON summary from ${args[0]}\n${context}`).toBeDefined();
  expect(r.result.code, context).toBe(0);
  expect(r.summary!.ok, `${args[0]} not ok: ${JSON.stringify(r.summary).slice(0, 3000)}\n${context}`).toBe(true);
  return r.summary!;
}

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

// ---------------------------------------------------------------------------------------------
// Producer

interface ConsumedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  timestampType: string;
}
interface CodecResult {
  codec: string;
  topic: string;
  acked: number;
  offsets: number[];
  errors: unknown[];
  metrics: Record<string, number>;
  consumed: ConsumedRecord[];
}

/** The v2 batch headers of a log segment file: base offset, codec, producer id and epoch, base sequence, record count. */
function batchesOf(file: string): { baseOffset: number; codec: number; producerId: bigint; producerEpoch: number; baseSequence: number; count: number }[] {
  const buf = readFileSync(file);
  const out = [];
  for (let pos = 0; pos + 61 <= buf.length; ) {
    const length = buf.readInt32BE(pos + 8);
    out.push({
      baseOffset: Number(buf.readBigInt64BE(pos)),
      codec: buf.readInt16BE(pos + 21) & 7,
      producerId: buf.readBigInt64BE(pos + 43),
      producerEpoch: buf.readInt16BE(pos + 51),
      baseSequence: buf.readInt32BE(pos + 53),
      count: buf.readInt32BE(pos + 57),
    });
    pos += 12 + length;
  }
  return out;
}

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
const CODEC_IDS: Record<string, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

describe("Java producer", () => {
  it("idempotent acks=all producer with each codec: acked once, in order, read back by the Java consumer and kcat", async () => {
    const count = 50;
    for (const codec of CODECS) await createTopic(node.bootstrap, `java-codec-${codec}`, 1);
    const s = await runJava<{ ok: boolean; codecs: CodecResult[] }>(["produce-codecs", node.bootstrap, "java-codec", String(count)]);
    expect(s.codecs.map((c) => c.codec)).toEqual([...CODECS]);

    const value = (codec: string, i: number) => `${codec}-value-${i}-${"samsa".repeat(20)}`;
    for (const c of s.codecs) {
      // Every send acknowledged exactly once, at consecutive offsets, without an error. (A retry
      // would be legitimate under load; the log check below shows there is no duplicate.)
      expect(c.errors, c.codec).toEqual([]);
      expect(c.acked, c.codec).toBe(count);
      expect(c.offsets, c.codec).toEqual(range(count));
      expect(c.metrics, c.codec).toMatchObject({ "record-send-total": count, "record-error-total": 0 });
      // The Java consumer reads them back in order with keys, values and headers.
      expect(
        c.consumed.map((r) => [r.partition, r.offset, r.key, r.value, r.headers, r.timestampType]),
        c.codec,
      ).toEqual(range(count).map((i) => [0, i, `key-${i}`, value(c.codec, i), { seq: String(i), codec: c.codec }, "CreateTime"]));

      // kcat (librdkafka) reads the same records.
      const k = await kcat(node.bootstrap, ["-C", "-t", c.topic, "-p", "0", "-o", "beginning", "-c", String(count), "-e", "-J"]);
      expect(k.code, describeRun(k)).toBe(0);
      expect(parseKcatJson(k.stdout).map((m) => [m.offset, m.key, m.payload, m.headers]), c.codec).toEqual(
        range(count).map((i) => [i, `key-${i}`, value(c.codec, i), ["seq", String(i), "codec", c.codec]]),
      );

      // The broker stored the producer's batches as sent: its codec, one producer id, and
      // sequence numbers that follow each other from 0 (idempotence), covering every record once.
      const batches = batchesOf(join(node.dataDir, "logs", `${c.topic}-0`, "00000000000000000000.log"));
      expect(batches.length, c.codec).toBeGreaterThan(0);
      expect(new Set(batches.map((b) => b.codec)), c.codec).toEqual(new Set([CODEC_IDS[c.codec]]));
      expect(new Set(batches.map((b) => b.producerId)).size, c.codec).toBe(1);
      expect(batches[0]!.producerId, c.codec).toBeGreaterThanOrEqual(0n);
      expect(batches[0]!.producerEpoch, c.codec).toBe(0);
      let next = 0;
      for (const b of batches) {
        expect([b.baseOffset, b.baseSequence], c.codec).toEqual([next, next]);
        next += b.count;
      }
      expect(next, c.codec).toBe(count);
    }
    // Five producers, five producer ids.
    const ids = s.codecs.map((c) => batchesOf(join(node.dataDir, "logs", `${c.topic}-0`, "00000000000000000000.log"))[0]!.producerId);
    expect(new Set(ids).size).toBe(CODECS.length);
  }, 120_000);
});

describe("Java transactional producer", () => {
  // Missing feature: transactions (transaction coordinator and __transaction_state, AddPartitionsToTxn,
  // EndTxn, control batches, last stable offset) are not built in Samsa, so the transactional
  // producer's initTransactions() times out finding a transaction coordinator. Apache Kafka 3.9.2
  // passes this scenario.
  it.fails("commits five records and aborts five; a read_committed consumer sees only the committed", async () => {
    await createTopic(node.bootstrap, "java-txn", 1);
    const r = await java.runJson<{ ok: boolean; initTransactions: unknown; committed: unknown; aborted: unknown; readCommitted: string[] }>(["transactional", node.bootstrap, "java-txn"]);
    expect(r.summary, describeRun(r.result)).toBeDefined();
    expect(r.summary!.initTransactions).toBe("ok");
    expect(r.summary!.committed).toBe("ok");
    expect(r.summary!.aborted).toBe("ok");
    expect(r.summary!.readCommitted).toEqual(range(5).map((i) => `committed-${i}`));
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Consumer groups (classic protocol)

interface GroupDescription {
  state: string;
  assignor: string;
  simple: boolean;
  coordinator: number;
  members: { clientId: string; memberId: string; host: string; partitions: number[] }[];
  error?: string;
}
interface GroupSummary {
  ok: boolean;
  failures: string[];
  partitions: number;
  phase1: Record<string, number[]>;
  describe1: GroupDescription;
  phase2: Record<string, number[]>;
  describe2: GroupDescription;
  committed: Record<string, number>;
  describeAfter: GroupDescription;
  members: { name: string; consumed: { partition: number; offset: number; value: string }[]; events: Record<string, number[] | string>[]; error: string | null }[];
  timingsMs: Record<string, number>;
}
interface ResumeSummary {
  ok: boolean;
  committed: Record<string, number | null>;
  firstOffsets: Record<string, number>;
  consumed: { partition: number; offset: number; value: string }[];
}

/** Each member's partitions as the group description shows them, by client id. */
const byClient = (d: GroupDescription) => Object.fromEntries(d.members.map((m) => [m.clientId, m.partitions]));

/**
 * Three Java consumers (group.protocol=classic) share a 6-partition topic with `assignor`; 30
 * records are consumed, the first member leaves, the other two take over its partitions and 30
 * more records are consumed, every record exactly once. Then the committed offsets are checked
 * with kafkajs' admin, and a new member resumes from them.
 */
async function groupScenario(assignor: "range" | "cooperative-sticky"): Promise<{ topic: string; group: string; s: GroupSummary }> {
  const topic = `java-group-${assignor}`;
  const group = `java-${assignor}`;
  const perPhase = 30;
  await createTopic(node.bootstrap, topic, 6);
  const s = await runJava<GroupSummary>(["group", node.bootstrap, topic, group, assignor, "3", String(perPhase)]);
  const [m0, m1, m2] = [0, 1, 2].map((i) => `java-${assignor}-${i}`) as [string, string, string];

  // Phase 1: two partitions each, none shared, all covered; the broker's description agrees.
  expect(s.partitions).toBe(6);
  expect(Object.keys(s.phase1).sort()).toEqual([m0, m1, m2]);
  for (const parts of Object.values(s.phase1)) expect(parts).toHaveLength(2);
  expect(Object.values(s.phase1).flat().sort()).toEqual(range(6));
  expect(s.describe1.state).toBe("Stable");
  expect(s.describe1.assignor).toBe(assignor);
  expect(s.describe1.simple).toBe(false);
  expect(byClient(s.describe1)).toEqual(s.phase1);

  // Phase 2: the first member left; the other two have three partitions each.
  expect(Object.keys(s.phase2).sort()).toEqual([m1, m2]);
  for (const parts of Object.values(s.phase2)) expect(parts).toHaveLength(3);
  expect(Object.values(s.phase2).flat().sort()).toEqual(range(6));
  expect(s.describe2.state).toBe("Stable");
  expect(s.describe2.assignor).toBe(assignor);
  expect(byClient(s.describe2)).toEqual(s.phase2);
  // The leaver's partitions went to the others; its member id is gone, theirs are unchanged.
  const ids1 = Object.fromEntries(s.describe1.members.map((m) => [m.clientId, m.memberId]));
  expect(Object.fromEntries(s.describe2.members.map((m) => [m.clientId, m.memberId]))).toEqual({ [m1]: ids1[m1], [m2]: ids1[m2] });

  // Every record consumed exactly once across the group; the leaver only consumed from its own
  // partitions before leaving.
  const members = Object.fromEntries(s.members.map((m) => [m.name, m]));
  const all = s.members.flatMap((m) => m.consumed.map((r) => r.value)).sort();
  const expected = [...range(perPhase).map((i) => `${group}:p1-${i}`), ...range(perPhase).map((i) => `${group}:p2-${i}`)].sort();
  expect(all).toEqual(expected);
  for (const r of members[m0]!.consumed) {
    expect(r.value).toMatch(/:p1-/);
    expect(s.phase1[m0]).toContain(r.partition);
  }
  for (const m of s.members) expect(m.error, m.name).toBeNull();

  // Committed offsets: 10 records per partition, all committed; the group is empty at the end.
  expect(s.committed).toEqual(Object.fromEntries(range(6).map((p) => [String(p), 10])));
  expect(s.describeAfter.state).toBe("Empty");
  expect(s.describeAfter.members).toEqual([]);
  const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  expect(fetched[0]!.partitions.map((p) => [p.partition, p.offset]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(range(6).map((p) => [p, "10"]));

  // A new member resumes from the committed offsets: only records produced since.
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: range(12).map((i) => ({ partition: i % 6, key: `k${i}`, value: `${group}:p3-${i}` })) });
  await producer.disconnect();
  const r = await runJava<ResumeSummary>(["resume", node.bootstrap, topic, group, "12"]);
  expect(r.committed).toEqual(Object.fromEntries(range(6).map((p) => [String(p), 10])));
  expect(r.firstOffsets).toEqual(Object.fromEntries(range(6).map((p) => [String(p), 10])));
  expect(r.consumed.map((x) => x.value).sort()).toEqual(range(12).map((i) => `${group}:p3-${i}`).sort());
  return { topic, group, s };
}

describe("Java consumer groups (classic protocol)", () => {
  it("RangeAssignor: three members split six partitions, a member leaves, the others take over; offsets committed and resumed", async () => {
    const { s } = await groupScenario("range");
    // Range assigns contiguous partitions in member-id order (client ids prefix the member ids).
    expect(s.phase1).toEqual({ "java-range-0": [0, 1], "java-range-1": [2, 3], "java-range-2": [4, 5] });
    expect(s.phase2).toEqual({ "java-range-1": [0, 1, 2], "java-range-2": [3, 4, 5] });
    // Eager protocol: on the leave, the remaining members gave up all their partitions, then got the new split.
    for (const name of ["java-range-1", "java-range-2"]) {
      const events = s.members.find((m) => m.name === name)!.events;
      const after = events.slice(events.findIndex((e) => e.mark === "leaving") + 1);
      expect(after.slice(0, 2), name).toEqual([{ revoked: s.phase1[name] }, { assigned: s.phase2[name] }]);
    }
  }, 120_000);

  it("CooperativeStickyAssignor: incremental rebalance keeps each member's partitions; kafka-consumer-groups shows the offsets", async () => {
    const { topic, group, s } = await groupScenario("cooperative-sticky");
    // Sticky: the two remaining members keep what they had and each gains one of the leaver's
    // partitions, without revoking anything (the cooperative protocol's incremental rebalance).
    for (const name of ["java-cooperative-sticky-1", "java-cooperative-sticky-2"]) {
      expect(s.phase2[name], name).toEqual(expect.arrayContaining(s.phase1[name]!));
      const events = s.members.find((m) => m.name === name)!.events;
      const after = events.slice(events.findIndex((e) => e.mark === "leaving") + 1);
      const gained = s.phase2[name]!.filter((p) => !s.phase1[name]!.includes(p));
      expect(gained, name).toHaveLength(1);
      expect(after[0], name).toEqual({ assigned: gained });
    }
    expect([...s.phase2["java-cooperative-sticky-1"]!, ...s.phase2["java-cooperative-sticky-2"]!].filter((p) => s.phase1["java-cooperative-sticky-0"]!.includes(p)).sort()).toEqual(
      s.phase1["java-cooperative-sticky-0"],
    );

    // Kafka's own kafka-consumer-groups tool sees the committed offsets (10 + 2 read by the resumed member).
    const t = await ApacheKafka.tool("kafka-consumer-groups", ["--bootstrap-server", node.bootstrap, "--describe", "--group", group]);
    expect(t.code, describeRun(t)).toBe(0);
    const rows = t.stdout
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols[0] === group && cols[1] === topic)
      .map((cols) => [Number(cols[2]), Number(cols[3]), Number(cols[4]), Number(cols[5])])
      .sort((a, b) => a[0]! - b[0]!);
    expect(rows).toEqual(range(6).map((p) => [p, 12, 12, 0]));
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// AdminClient

type Failure = { error: string; message: string };
type AdminSummary = Record<string, unknown> & { ok: boolean };

describe("Java AdminClient", () => {
  it("topics, configs, offsets, records and consumer groups as Apache Kafka answers them", async () => {
    const p = "java-admin";
    const s = await runJava<AdminSummary>(["admin", node.bootstrap, p]);
    const failure = (key: string) => (s[key] as Failure).error;

    const cluster = s.describeCluster as { clusterId: string; controller: number; nodes: { id: number; host: string; port: number; rack: string | null }[] };
    expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cluster.controller).toBe(0);
    expect(cluster.nodes).toEqual([{ id: 0, host: "127.0.0.1", port: node.port, rack: null }]);

    // createTopics and its errors.
    expect(s.createTopics).toBe("ok");
    expect(s["createTopics.numPartitions"]).toBe(1);
    expect(failure("createTopics.existing")).toBe("TopicExistsException");
    expect(failure("createTopics.replicationFactor3")).toBe("InvalidReplicationFactorException");
    expect(failure("createTopics.invalidName")).toBe("InvalidTopicException");
    expect(failure("createTopics.invalidConfig")).toBe("InvalidConfigurationException");
    expect(s["createTopics.validateOnly"]).toBe("ok");

    // listTopics (the validateOnly topic was not created), describeTopics, createPartitions.
    expect(s.listTopics).toEqual([`${p}-gone`, `${p}-main`, `${p}-x`]);
    const internal = s["listTopics.internalAfterGroups"] as { withInternal: string[]; withoutInternal: string[] };
    expect(internal.withInternal).toContain("__consumer_offsets");
    expect(internal.withoutInternal).not.toContain("__consumer_offsets");
    const topics = s.describeTopics as Record<string, { name: string; internal: boolean; topicId: string; partitions: unknown[] }>;
    expect(topics[`${p}-main`]!.partitions).toEqual(range(2).map((i) => ({ partition: i, leader: 0, replicas: [0], isr: [0] })));
    expect(topics[`${p}-main`]!.internal).toBe(false);
    expect(topics[`${p}-main`]!.topicId).not.toBe(topics[`${p}-gone`]!.topicId);
    expect(topics[`${p}-gone`]!.partitions).toHaveLength(1); // num.partitions=1, the broker default
    // By topic id (Metadata v12 with the id and the name left ""), as Kafka answers it.
    expect(s["describeTopics.byId"]).toEqual(topics[`${p}-main`]);
    expect(failure("describeTopics.unknownId")).toBe("UnknownTopicIdException");
    expect(failure("describeTopics.unknown")).toBe("UnknownTopicOrPartitionException");
    expect(s.createPartitions).toBe(3);

    // describeConfigs / incrementalAlterConfigs (SET, APPEND, DELETE, SUBTRACT) and their errors.
    const entry = (value: string, source: string) => ({ value, source, readOnly: false, sensitive: false });
    const watched = (key: string) => {
      const { _names, ...rest } = s[key] as Record<string, unknown>;
      expect(_names as string[]).toEqual(expect.arrayContaining(["cleanup.policy", "retention.ms", "segment.bytes", "max.message.bytes", "min.insync.replicas", "compression.type"]));
      return rest;
    };
    expect(watched("describeConfigs")).toEqual({
      "cleanup.policy": entry("delete", "DEFAULT_CONFIG"),
      "max.message.bytes": entry("200000", "DYNAMIC_TOPIC_CONFIG"),
      "retention.ms": entry("7200000", "DYNAMIC_TOPIC_CONFIG"),
      "segment.bytes": entry("1073741824", "DEFAULT_CONFIG"),
    });
    expect(watched("incrementalAlterConfigs")).toEqual({
      "cleanup.policy": entry("delete,compact", "DYNAMIC_TOPIC_CONFIG"),
      "max.message.bytes": entry("1048588", "DEFAULT_CONFIG"),
      "retention.ms": entry("10800000", "DYNAMIC_TOPIC_CONFIG"),
      "segment.bytes": entry("1073741824", "DEFAULT_CONFIG"),
    });
    expect(watched("incrementalAlterConfigs.subtract")).toMatchObject({ "cleanup.policy": entry("delete", "DYNAMIC_TOPIC_CONFIG") });
    expect(failure("incrementalAlterConfigs.invalidValue")).toBe("InvalidConfigurationException");
    expect(failure("incrementalAlterConfigs.unknownName")).toBe("InvalidConfigurationException");
    expect(failure("incrementalAlterConfigs.unknownTopic")).toBe("UnknownTopicOrPartitionException");
    expect(failure("describeConfigs.unknownTopic")).toBe("UnknownTopicOrPartitionException");
    // Broker configs: static overrides and defaults with their sources. (Apache Kafka reports
    // these three as read-only; Samsa does not: not compared.)
    const brokerCfg = s["describeConfigs.broker"] as Record<string, { value: string; source: string; readOnly: boolean }>;
    expect(Object.fromEntries(Object.entries(brokerCfg).map(([k, v]) => [k, [v.value, v.source]]))).toEqual({
      "group.initial.rebalance.delay.ms": ["0", "STATIC_BROKER_CONFIG"],
      "log.retention.hours": ["168", "DEFAULT_CONFIG"],
      "node.id": ["0", "STATIC_BROKER_CONFIG"],
      "num.partitions": ["1", "STATIC_BROKER_CONFIG"],
    });
    expect(brokerCfg["node.id"]!.readOnly).toBe(true);

    // listOffsets on ten records with timestamps base + i*1000, then deleteRecords.
    const base = s.timestampBase as number;
    expect(s.produce).toBe("ok");
    expect(s.listOffsets).toEqual({
      earliest: { offset: 0, timestamp: -1, leaderEpoch: 0 },
      latest: { offset: 10, timestamp: -1, leaderEpoch: 0 },
      latestEmpty: { offset: 0, timestamp: -1, leaderEpoch: 0 },
      forTimestamp: { offset: 4, timestamp: base + 4000, leaderEpoch: 0 },
      forTimestampExact: { offset: 7, timestamp: base + 7000, leaderEpoch: 0 },
      forTimestampFuture: { offset: -1, timestamp: -1, leaderEpoch: null },
      maxTimestamp: { offset: 9, timestamp: base + 9000, leaderEpoch: 0 },
    });
    expect(s.deleteRecords).toBe(3);
    expect(s["listOffsets.afterDelete"]).toEqual({
      earliest: { offset: 3, timestamp: -1, leaderEpoch: 0 },
      forTimestamp: { offset: 3, timestamp: base + 3000, leaderEpoch: 0 },
    });
    expect(failure("deleteRecords.beyondEnd")).toBe("OffsetOutOfRangeException");
    expect(failure("listOffsets.unknownTopic")).toBe("UnknownTopicOrPartitionException");

    // Consumer groups: an offsets-only group and a live one.
    const main0 = `${p}-main-0`;
    const main1 = `${p}-main-1`;
    expect(s.alterConsumerGroupOffsets).toBe("ok");
    expect(s.listConsumerGroupOffsets).toEqual({ [main0]: { offset: 5, metadata: "" }, [main1]: { offset: 0, metadata: "m1" } });
    expect(s["alterConsumerGroupOffsets.again"]).toEqual({ [main0]: { offset: 7, metadata: "m2" }, [main1]: { offset: 0, metadata: "m1" } });
    expect(s["listConsumerGroupOffsets.unknownGroup"]).toEqual({});
    expect(s.liveMemberAssignment).toBe(2);
    const simpleListing = { groupId: `${p}-group-simple`, simple: true, state: "Empty" };
    const liveListing = { groupId: `${p}-group-live`, simple: false, state: "Stable" };
    expect(s.listConsumerGroups).toEqual([liveListing, simpleListing]);
    expect(s["listConsumerGroups.empty"]).toEqual([simpleListing]);
    expect(s["listConsumerGroups.stable"]).toEqual([liveListing]);
    const groups = s.describeConsumerGroups as Record<string, GroupDescription>;
    expect(groups.simple).toEqual({ state: "Empty", assignor: "", simple: true, coordinator: 0, members: [] });
    expect(groups.live).toMatchObject({ state: "Stable", assignor: "range", simple: false, coordinator: 0 });
    expect(groups.live!.members).toEqual([
      { clientId: "java-admin-member", memberId: expect.stringMatching(/^java-admin-member-[0-9a-f-]{36}$/), host: "/127.0.0.1", partitions: [0, 1] },
    ]);
    expect(groups.unknown).toEqual({ state: "Dead", assignor: "", simple: true, coordinator: 0, members: [] });
    expect(failure("deleteConsumerGroups.live")).toBe("GroupNotEmptyException");
    expect(failure("alterConsumerGroupOffsets.live")).toBe("UnknownMemberIdException");
    expect(failure("deleteConsumerGroupOffsets.live")).toBe("GroupSubscribedToTopicException");
    expect(s.deleteConsumerGroups).toBe("ok");
    expect(failure("deleteConsumerGroups.unknown")).toBe("GroupIdNotFoundException");
    expect(s["listConsumerGroups.afterDelete"]).toEqual([{ ...liveListing, state: "Empty" }]);
    expect((s["describeConsumerGroups.deleted"] as GroupDescription).state).toBe("Dead");

    // deleteTopics.
    expect(s.deleteTopics).toBe("ok");
    expect(s["listTopics.afterDelete"]).toEqual([`${p}-main`, `${p}-x`]);
    expect(s["deleteTopics.byId"]).toBe("ok");
    expect(failure("deleteTopics.unknownId")).toBe("UnknownTopicIdException");
    expect(failure("deleteTopics.unknown")).toBe("UnknownTopicOrPartitionException");

    // kafkajs sees the same cluster state.
    const names = await admin.listTopics();
    expect(names).toContain(`${p}-main`);
    expect(names).not.toContain(`${p}-gone`);
    expect(names).not.toContain(`${p}-x`); // deleted by id
    expect((await admin.fetchTopicOffsets(`${p}-main`)).find((o) => o.partition === 0)).toMatchObject({ low: "3", high: "10" });
    const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: `${p}-main`, configNames: ["retention.ms", "cleanup.policy"] }] });
    expect(Object.fromEntries(cfg.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]))).toEqual({ "retention.ms": "10800000", "cleanup.policy": "delete" });
    const listed = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(listed).toContain(`${p}-group-live`);
    expect(listed).not.toContain(`${p}-group-simple`);
    const live = await admin.fetchOffsets({ groupId: `${p}-group-live`, topics: [`${p}-main`] });
    expect(live[0]!.partitions.find((x) => x.partition === 1)?.offset).toBe("0");
  }, 120_000);
});

describe("Metadata by topic id", () => {
  // Kafka's Java client asks for topics by id with the name left at its default "" (not null);
  // Kafka looks such topics up by id alone. Samsa used to look up "" by name: describeTopics by id
  // failed with UnknownTopicIdException for an existing topic.
  it("v12: a topic id with the name \"\" is looked up by id; an unknown id is UNKNOWN_TOPIC_ID", async () => {
    await createTopic(node.bootstrap, "java-by-id", 2);
    await withWire(node.bootstrap, async (c) => {
      const byName = await c.request(3, 12, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: "java-by-id" }], allowAutoTopicCreation: false });
      const id = byName.topics[0]!.topicId;
      expect(id).not.toBe("AAAAAAAAAAAAAAAAAAAAAA");
      const unknownId = "AAAAAAAAAAAAAAAAAAAAAQ";
      const r = await c.request(3, 12, { topics: [{ topicId: id, name: "" }, { topicId: unknownId, name: "" }], allowAutoTopicCreation: true });
      expect(r.topics.map((t) => [t.errorCode, t.name, t.topicId, t.partitions.length])).toEqual([
        [0, "java-by-id", id, 2],
        [100, null, unknownId, 0], // UNKNOWN_TOPIC_ID
      ]);
    });
    // Nothing was auto-created under the name "".
    expect(await admin.listTopics()).not.toContain("");
  });
});

it("the broker is still alive", () => {
  expect(node.alive).toBe(true);
});
