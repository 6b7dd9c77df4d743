import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { AlterConfigOp } from "./configuration-control.ts";
import { QuorumController } from "./controller.ts";
import { ConfigResourceType } from "./metadata-image.ts";
import { BOOTSTRAP_METADATA_VERSION } from "./metadata-version.ts";
import { MemoryRaftLogStore } from "./quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "./quorum/single-voter-quorum.ts";
import type { CreatableTopic } from "./replication-control.ts";
import { seededRandom } from "../util/seeded-random.ts";
import { randomUuid, ZERO_UUID } from "./uuid.ts";

const CLUSTER = randomUuid();
const DIR_ID = randomUuid();
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const registration = (extra: { rack?: string | null } = {}) => ({
  incarnationId: randomUuid(),
  listeners: [{ name: "PLAINTEXT", host: "localhost", port: 9092, securityProtocol: 0 }],
  rack: extra.rack ?? null,
  features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: BOOTSTRAP_METADATA_VERSION }],
  logDirs: [DIR_ID],
});

async function start(options: { config?: Record<string, string>; store?: MemoryRaftLogStore; dir?: string; brokers?: number } = {}) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "samsa-ctl-"));
  if (!options.dir) dirs.push(dir);
  const store = options.store ?? new MemoryRaftLogStore();
  const quorum = new SingleVoterQuorum({ nodeId: 0, dir, store });
  const config = new BrokerConfig(new Map(Object.entries({ "node.id": "0", ...options.config })));
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: CLUSTER,
    quorum,
    config,
    random: seededRandom(7),
    registration: registration(),
  });
  await controller.start();
  for (let id = 1; id < (options.brokers ?? 1); id++) {
    const { brokerEpoch } = await controller.registerBroker({ brokerId: id, ...registration() });
    await controller.brokerHeartbeat({ brokerId: id, brokerEpoch, currentMetadataOffset: brokerEpoch, wantFence: false, wantShutDown: false });
  }
  return { controller, store, dir, quorum };
}

const topic = (name: string, fields: Partial<CreatableTopic> = {}): CreatableTopic => ({
  name,
  numPartitions: 1,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...fields,
});

async function createOne(controller: QuorumController, t: CreatableTopic) {
  const [result] = await controller.createTopics({ topics: [t], validateOnly: false });
  return result!;
}

describe("QuorumController bootstrap and registration", () => {
  it("bootstraps metadata.version and registers, unfenced, this node", async () => {
    const { controller, quorum } = await start();
    const img = controller.image;
    expect(img.metadataVersion()).toBe(19);
    expect(img.brokers.get(0)).toMatchObject({ id: 0, fenced: false, directories: [DIR_ID] });
    expect(controller.brokerEpoch).toBe(img.brokers.get(0)!.epoch);
    // Offset 0 is the leader change, 1 the bootstrap, 2 the registration.
    expect(controller.brokerEpoch).toBe(2n);
    expect(quorum.leaderAndEpoch()).toEqual({ leaderId: 0, epoch: 1 });
  });

  it("rejects a registration for another cluster or an unsupported metadata.version", async () => {
    const { controller } = await start();
    await expect(controller.registerBroker({ brokerId: 5, clusterId: randomUuid(), ...registration() })).rejects.toMatchObject({
      code: ErrorCode.INCONSISTENT_CLUSTER_ID,
    });
    const old = { ...registration(), features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: 7 }] };
    await expect(controller.registerBroker({ brokerId: 5, ...old })).rejects.toMatchObject({
      code: ErrorCode.UNSUPPORTED_VERSION,
      message: "Unable to register because the broker does not support version 19 of metadata.version. It wants a version between 1 and 7, inclusive.",
    });
  });

  it("hands out producer id blocks of 1000 and checks the broker epoch", async () => {
    const { controller } = await start();
    const epoch = controller.brokerEpoch!;
    expect(await controller.allocateProducerIds(0, epoch)).toEqual({ assignedBrokerId: 0, producerIdStart: 0n, producerIdLen: 1000 });
    expect((await controller.allocateProducerIds(0, epoch)).producerIdStart).toBe(1000n);
    expect(controller.image.nextProducerId).toBe(2000n);
    await expect(controller.allocateProducerIds(0, epoch - 1n)).rejects.toMatchObject({ code: ErrorCode.STALE_BROKER_EPOCH });
    await expect(controller.allocateProducerIds(9, 1n)).rejects.toMatchObject({ code: ErrorCode.STALE_BROKER_EPOCH });
  });
});

describe("QuorumController plumbing", () => {
  it("refuses commands before it leads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-ctl-"));
    dirs.push(dir);
    const quorum = new SingleVoterQuorum({ nodeId: 0, dir, store: new MemoryRaftLogStore() });
    const controller = new QuorumController({ nodeId: 0, clusterId: CLUSTER, quorum, config: new BrokerConfig(new Map()) });
    await expect(controller.createTopics({ topics: [topic("x")], validateOnly: false })).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
  });

  it("publishes each committed command as a new image with its delta", async () => {
    const { controller } = await start();
    const seen: { offset: bigint; changed: string[] }[] = [];
    const stop = controller.onImage((image, delta) => {
      seen.push({ offset: image.provenance.lastOffset, changed: [...delta.changedTopics.values()].map((t) => t.name) });
    });
    const r = await createOne(controller, topic("watched", { numPartitions: 2 }));
    await controller.deleteTopics({ topics: [{ name: "watched", topicId: ZERO_UUID }] });
    stop();
    await createOne(controller, topic("unseen"));
    expect(seen).toHaveLength(2);
    expect(seen[0]!.changed).toEqual(["watched"]);
    expect(controller.image.provenance.lastEpoch).toBe(1);
    expect(r.topicId).toBeTruthy();
  });
});

describe("createTopics", () => {
  it("creates a topic: records replayed into the image, reply with id and effective configs", async () => {
    const { controller } = await start({ config: { "num.partitions": "3" } });
    const r = await createOne(controller, topic("orders", { numPartitions: -1, replicationFactor: -1, configs: [{ name: "retention.ms", value: "1000" }] }));
    expect(r).toMatchObject({ name: "orders", errorCode: 0, errorMessage: null, numPartitions: 3, replicationFactor: 1 });
    expect(r.topicId).not.toBe(ZERO_UUID);
    expect(r.topicId).toHaveLength(22);
    const retention = r.configs.find((c) => c.name === "retention.ms")!;
    expect(retention).toEqual({ name: "retention.ms", value: "1000", readOnly: false, configSource: 1, isSensitive: false });
    expect(r.configs.map((c) => c.name)).toEqual([...r.configs.map((c) => c.name)].sort());
    const img = controller.image;
    const t = img.topic("orders")!;
    expect(t.id).toBe(r.topicId);
    expect(t.partitions.size).toBe(3);
    for (const p of t.partitions.values()) {
      expect(p).toMatchObject({ replicas: [0], isr: [0], leader: 0, leaderEpoch: 0, partitionEpoch: 0, directories: [DIR_ID] });
    }
    expect(img.topicConfigs("orders").get("retention.ms")).toBe("1000");
  });

  it("validates names like Kafka's Topic.validate", async () => {
    const { controller } = await start();
    const results = await controller.createTopics({
      topics: [topic(""), topic("."), topic(".."), topic("x".repeat(250)), topic("bad name"), topic("x".repeat(249))],
      validateOnly: false,
    });
    expect(results.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [17, "Topic name is invalid: the empty string is not allowed"],
      [17, "Topic name is invalid: '.' is not allowed"],
      [17, "Topic name is invalid: '..' is not allowed"],
      [17, `Topic name is invalid: the length of '${"x".repeat(250)}' is longer than the max allowed length 249`],
      [17, `Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`],
      [0, null],
    ]);
  });

  it("refuses existing topics and '.'/'_' collisions", async () => {
    const { controller } = await start();
    expect((await createOne(controller, topic("a.b"))).errorCode).toBe(0);
    expect(await createOne(controller, topic("a.b"))).toMatchObject({
      errorCode: ErrorCode.TOPIC_ALREADY_EXISTS,
      errorMessage: "Topic 'a.b' already exists.",
      topicId: ZERO_UUID,
      numPartitions: -1,
      replicationFactor: -1,
    });
    expect(await createOne(controller, topic("a_b"))).toMatchObject({
      errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
      errorMessage: "Topic 'a_b' collides with existing topic: a.b",
    });
  });

  it("checks partition counts and replication factors", async () => {
    const { controller } = await start();
    const results = await controller.createTopics({
      topics: [
        topic("p0", { numPartitions: 0 }),
        topic("pm2", { numPartitions: -2 }),
        topic("rf0", { replicationFactor: 0 }),
        topic("rf3", { replicationFactor: 3 }),
      ],
      validateOnly: false,
    });
    expect(results.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [ErrorCode.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value."],
      [ErrorCode.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value."],
      [ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0, or -1 to use the default value."],
      [
        ErrorCode.INVALID_REPLICATION_FACTOR,
        "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.",
      ],
    ]);
    expect(controller.image.topicsByName.size).toBe(0);
  });

  it("validates explicit assignments", async () => {
    const { controller } = await start({ brokers: 3 });
    const assign = (...lists: number[][]) => ({ numPartitions: -1, replicationFactor: -1, assignments: lists.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })) });
    const results = await controller.createTopics({
      topics: [
        topic("dup", assign([1, 1])),
        topic("unknown", assign([1, 9])),
        topic("inconsistent", assign([0, 1], [1])),
        topic("gap", { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 2, brokerIds: [1] }] }),
        topic("twice", { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }, { partitionIndex: 0, brokerIds: [1] }] }),
        topic("empty", assign([])),
        topic("both", { numPartitions: 2, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }] }),
        topic("bothrf", { numPartitions: -1, replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [0] }] }),
        topic("good", assign([2, 0], [0, 1])),
      ],
      validateOnly: false,
    });
    expect(results.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ["dup", 39, "The manual partition assignment includes the broker 1 more than once."],
      ["unknown", 39, "The manual partition assignment includes broker 9, but no such broker is registered."],
      ["inconsistent", 39, "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s)."],
      ["gap", 39, "partitions should be a consecutive 0-based integer sequence"],
      ["twice", 39, "Found multiple manual partition assignments for partition 0"],
      ["empty", 39, "The manual partition assignment includes an empty replica list."],
      ["both", 42, "A manual partition assignment was specified, but numPartitions was not set to -1."],
      ["bothrf", 42, "A manual partition assignment was specified, but replication factor was not set to -1."],
      ["good", 0, null],
    ]);
    expect(controller.image.partition("good", 0)).toMatchObject({ replicas: [2, 0], isr: [2, 0], leader: 2 });
    expect(results.at(-1)).toMatchObject({ numPartitions: 2, replicationFactor: 2 });
  });

  it("validates configs, duplicate names and the metadata topic", async () => {
    const { controller } = await start();
    const results = await controller.createTopics({
      topics: [
        topic("c1", { configs: [{ name: "no.such.config", value: "1" }] }),
        topic("c2", { configs: [{ name: "retention.ms", value: "abc" }] }),
        topic("c3", { configs: [{ name: "retention.ms", value: null }] }),
        topic("d"),
        topic("d"),
        topic("__cluster_metadata"),
      ],
      validateOnly: false,
    });
    expect(results.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ["c1", 40, "Unknown topic config name: no.such.config"],
      ["c2", 40, "Invalid value abc for configuration retention.ms: Not a number of type LONG"],
      ["c3", 40, "Null value not supported for topic configs: retention.ms"],
      ["d", 42, "Duplicate topic name."],
      ["__cluster_metadata", 29, "Authorization failed."],
    ]);
    expect(controller.image.topicsByName.size).toBe(0);
  });

  it("validateOnly answers as a real create would but writes nothing", async () => {
    const { controller, store } = await start();
    const end = store.logEndOffset();
    const before = controller.image;
    const [ok, bad] = await controller.createTopics({ topics: [topic("v", { numPartitions: 4 }), topic("v!")], validateOnly: true });
    expect(ok).toMatchObject({ errorCode: 0, numPartitions: 4, replicationFactor: 1 });
    expect(bad!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(store.logEndOffset()).toBe(end);
    expect(controller.image).toBe(before);
  });

  it("places replicas across brokers, leaders spread, ISR = unfenced replicas", async () => {
    const { controller } = await start({ brokers: 3 });
    const r = await createOne(controller, topic("spread", { numPartitions: 6, replicationFactor: 3 }));
    expect(r.errorCode).toBe(0);
    const parts = [...controller.image.topic("spread")!.partitions.values()];
    for (const p of parts) {
      expect(new Set(p.replicas).size).toBe(3);
      expect(p.isr).toEqual(p.replicas);
      expect(p.leader).toBe(p.replicas[0]);
    }
    const leaders = parts.map((p) => p.leader);
    for (const b of [0, 1, 2]) expect(leaders.filter((l) => l === b)).toHaveLength(2);
  });

  it("serializes concurrent commands: the second create of a name sees the first", async () => {
    const { controller } = await start();
    const [a, b] = await Promise.all([createOne(controller, topic("race")), createOne(controller, topic("race"))]);
    expect(a!.errorCode).toBe(0);
    expect(b!.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    const [c, d] = await Promise.all([
      controller.deleteTopics({ topics: [{ name: "race", topicId: ZERO_UUID }] }),
      createOne(controller, topic("race")),
    ]);
    expect(c[0]!.errorCode).toBe(0);
    expect(d.errorCode).toBe(0);
    expect(controller.image.topic("race")!.id).toBe(d.topicId);
  });
});

describe("deleteTopics", () => {
  it("deletes by name and by id, reporting unknown ones like Kafka", async () => {
    const { controller } = await start();
    const a = await createOne(controller, topic("a", { configs: [{ name: "retention.ms", value: "1" }] }));
    const b = await createOne(controller, topic("b"));
    const unknownId = randomUuid();
    const results = await controller.deleteTopics({
      topics: [
        { name: "a", topicId: ZERO_UUID },
        { name: null, topicId: b.topicId },
        { name: "nope", topicId: ZERO_UUID },
        { name: null, topicId: unknownId },
        { name: null, topicId: ZERO_UUID },
        { name: "x", topicId: b.topicId },
      ],
    });
    expect(results).toEqual([
      { name: "a", topicId: a.topicId, errorCode: 0, errorMessage: null },
      { name: "b", topicId: b.topicId, errorCode: 0, errorMessage: null },
      { name: "nope", topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
      { name: null, topicId: unknownId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null },
      { name: null, topicId: ZERO_UUID, errorCode: 42, errorMessage: "Neither topic name nor id were specified." },
      { name: "x", topicId: b.topicId, errorCode: 42, errorMessage: "You may not specify both topic name and topic id." },
    ]);
    expect(controller.image.topicsByName.size).toBe(0);
    expect(controller.image.topicConfigs("a").size).toBe(0);
  });

  it("flags duplicates and names that repeat an id", async () => {
    const { controller } = await start();
    const a = await createOne(controller, topic("a"));
    await createOne(controller, topic("c"));
    const results = await controller.deleteTopics({
      topics: [
        { name: "c", topicId: ZERO_UUID },
        { name: "c", topicId: ZERO_UUID },
        { name: null, topicId: a.topicId },
        { name: "a", topicId: ZERO_UUID },
      ],
    });
    expect(results.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ["c", 42, "Duplicate topic name."],
      ["a", 0, null],
      ["a", 42, "The provided topic name maps to an ID that was already supplied."],
    ]);
    expect([...controller.image.topicsByName.keys()]).toEqual(["c"]);
  });

  it("refuses when delete.topic.enable=false", async () => {
    const { controller } = await start({ config: { "delete.topic.enable": "false" } });
    await createOne(controller, topic("keep"));
    const [r] = await controller.deleteTopics({ topics: [{ name: "keep", topicId: ZERO_UUID }] });
    expect(r).toMatchObject({ errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: "Topic deletion is disabled." });
    expect(controller.image.topic("keep")).toBeDefined();
  });
});

describe("createPartitions", () => {
  it("adds partitions and checks counts and assignments", async () => {
    const { controller, store } = await start({ brokers: 2 });
    await createOne(controller, topic("grow", { numPartitions: 3, replicationFactor: 2 }));
    const end = store.logEndOffset();
    const dry = await controller.createPartitions({ topics: [{ name: "grow", count: 5, assignments: null }], validateOnly: true });
    expect(dry).toEqual([{ name: "grow", errorCode: 0, errorMessage: null }]);
    expect(store.logEndOffset()).toBe(end);
    const results = await controller.createPartitions({
      topics: [
        { name: "grow", count: 5, assignments: null },
        { name: "missing", count: 2, assignments: null },
      ],
      validateOnly: false,
    });
    expect(results).toEqual([
      { name: "grow", errorCode: 0, errorMessage: null },
      { name: "missing", errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null },
    ]);
    const t = controller.image.topic("grow")!;
    expect(t.partitions.size).toBe(5);
    expect(t.partitions.get(4)!.replicas).toHaveLength(2);
    const more = await controller.createPartitions({
      topics: [
        { name: "grow", count: 2, assignments: null },
      ],
      validateOnly: false,
    });
    expect(more[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: "The topic grow currently has 5 partition(s); 2 would not be an increase." });
    const same = await controller.createPartitions({ topics: [{ name: "grow", count: 5, assignments: null }], validateOnly: false });
    expect(same[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: "Topic already has 5 partition(s)." });
    const wrong = await controller.createPartitions({ topics: [{ name: "grow", count: 7, assignments: [{ brokerIds: [0, 1] }] }], validateOnly: false });
    expect(wrong[0]).toMatchObject({
      errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      errorMessage: "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.",
    });
    const rf = await controller.createPartitions({ topics: [{ name: "grow", count: 6, assignments: [{ brokerIds: [1] }] }], validateOnly: false });
    expect(rf[0]!.errorCode).toBe(ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    const ok = await controller.createPartitions({ topics: [{ name: "grow", count: 6, assignments: [{ brokerIds: [1, 0] }] }], validateOnly: false });
    expect(ok[0]!.errorCode).toBe(0);
    expect(controller.image.partition("grow", 5)).toMatchObject({ replicas: [1, 0], leader: 1 });
  });
});

describe("alterConfigs / incrementalAlterConfigs", () => {
  const T = ConfigResourceType.TOPIC;
  const B = ConfigResourceType.BROKER;

  it("SET, DELETE, APPEND and SUBTRACT topic configs", async () => {
    const { controller } = await start();
    await createOne(controller, topic("cfg"));
    const alter = (configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
      controller.incrementalAlterConfigs({ resources: [{ resourceType: T, resourceName: "cfg", configs }], validateOnly });
    expect(await alter([{ name: "retention.ms", configOperation: AlterConfigOp.SET, value: "100" }])).toEqual([
      { resourceType: T, resourceName: "cfg", errorCode: 0, errorMessage: null },
    ]);
    await alter([{ name: "cleanup.policy", configOperation: AlterConfigOp.APPEND, value: "compact" }]);
    expect(Object.fromEntries(controller.image.topicConfigs("cfg"))).toEqual({ "retention.ms": "100", "cleanup.policy": "delete,compact" });
    await alter([
      { name: "cleanup.policy", configOperation: AlterConfigOp.SUBTRACT, value: "delete" },
      { name: "retention.ms", configOperation: AlterConfigOp.DELETE, value: null },
    ]);
    expect(Object.fromEntries(controller.image.topicConfigs("cfg"))).toEqual({ "cleanup.policy": "compact" });
    const before = controller.image;
    await alter([{ name: "retention.ms", configOperation: AlterConfigOp.SET, value: "5" }], true);
    expect(controller.image).toBe(before);
    const [notList] = await alter([{ name: "retention.ms", configOperation: AlterConfigOp.APPEND, value: "5" }]);
    expect(notList).toMatchObject({ errorCode: 40, errorMessage: "Can't APPEND to key retention.ms because its type is not LIST." });
  });

  it("reports bad configs, missing topics, bad resources and duplicates", async () => {
    const { controller } = await start();
    await createOne(controller, topic("cfg"));
    const set = (name: string, value: string | null) => ({ name, configOperation: AlterConfigOp.SET, value });
    const results = await controller.incrementalAlterConfigs({
      resources: [
        { resourceType: T, resourceName: "cfg", configs: [set("bogus", "1")] },
        { resourceType: T, resourceName: "ghost", configs: [set("retention.ms", "1")] },
        { resourceType: 8, resourceName: "0", configs: [set("kafka", "DEBUG")] },
        { resourceType: B, resourceName: "7", configs: [set("log.retention.ms", "1")] },
        { resourceType: B, resourceName: "x", configs: [set("log.retention.ms", "1")] },
        { resourceType: T, resourceName: "cfg2", configs: [set("retention.ms", "1"), set("retention.ms", "2")] },
        { resourceType: T, resourceName: "cfg3", configs: [set("retention.ms", null)] },
        { resourceType: T, resourceName: "", configs: [set("retention.ms", "1")] },
        { resourceType: T, resourceName: "cfg4", configs: [{ name: "retention.ms", configOperation: 9, value: "1" }] },
      ],
      validateOnly: false,
    });
    expect(results.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [40, "Unknown topic config name: bogus"],
      [3, "The topic 'ghost' does not exist."],
      [42, "Unknown resource type 8"],
      [ErrorCode.BROKER_ID_NOT_REGISTERED, "No node with id 7 found."],
      [42, "Invalid broker name x"],
      [42, "Error due to duplicate config keys"],
      [42, "Null value not supported for : retention.ms"],
      [42, "Default topic resources are not allowed."],
      [42, "Unknown operation type 9"],
    ]);
    const dup = await controller.incrementalAlterConfigs({
      resources: [
        { resourceType: T, resourceName: "cfg", configs: [] },
        { resourceType: T, resourceName: "cfg", configs: [] },
      ],
      validateOnly: false,
    });
    expect(dup.map((r) => r.errorMessage)).toEqual(["Each resource must appear at most once.", "Each resource must appear at most once."]);
  });

  it("sets broker configs for one node and the cluster default", async () => {
    const { controller } = await start();
    const results = await controller.incrementalAlterConfigs({
      resources: [
        { resourceType: B, resourceName: "", configs: [{ name: "log.retention.ms", configOperation: 0, value: "60000" }] },
        { resourceType: B, resourceName: "0", configs: [{ name: "num.partitions", configOperation: 0, value: "0" }] },
        { resourceType: B, resourceName: "0", configs: [{ name: "min.insync.replicas", configOperation: 0, value: "2" }] },
      ],
      validateOnly: false,
    });
    expect(results.map((r) => r.errorCode)).toEqual([0, 42, 42]);
    expect(controller.image.brokerConfigs("").get("log.retention.ms")).toBe("60000");
    const [ok] = await controller.incrementalAlterConfigs({
      resources: [{ resourceType: B, resourceName: "0", configs: [{ name: "min.insync.replicas", configOperation: 0, value: "2" }] }],
      validateOnly: false,
    });
    expect(ok!.errorCode).toBe(0);
    expect(controller.image.brokerConfigs(0).get("min.insync.replicas")).toBe("2");
    const [bad] = await controller.incrementalAlterConfigs({
      resources: [{ resourceType: B, resourceName: "0", configs: [{ name: "num.partitions", configOperation: 0, value: "0" }] }],
      validateOnly: false,
    });
    expect(bad).toMatchObject({ errorCode: 40, errorMessage: "Invalid value 0 for configuration num.partitions: Value must be at least 1" });
  });

  it("legacy AlterConfigs replaces the whole set", async () => {
    const { controller } = await start();
    await createOne(controller, topic("legacy", { configs: [{ name: "retention.ms", value: "1" }, { name: "segment.ms", value: "1000" }] }));
    const [r] = await controller.alterConfigs({
      resources: [{ resourceType: T, resourceName: "legacy", configs: [{ name: "segment.ms", value: "2000" }] }],
      validateOnly: false,
    });
    expect(r!.errorCode).toBe(0);
    expect(Object.fromEntries(controller.image.topicConfigs("legacy"))).toEqual({ "segment.ms": "2000" });
    const [bad] = await controller.alterConfigs({
      resources: [{ resourceType: T, resourceName: "legacy", configs: [{ name: "segment.ms", value: "0" }] }],
      validateOnly: false,
    });
    expect(bad!.errorCode).toBe(40);
    expect(Object.fromEntries(controller.image.topicConfigs("legacy"))).toEqual({ "segment.ms": "2000" });
  });
});

describe("restart", () => {
  it("a new quorum on the same log and directory replays to the same image", async () => {
    const first = await start({ brokers: 2 });
    const created = await createOne(first.controller, topic("durable", { numPartitions: 2, replicationFactor: 2, configs: [{ name: "retention.ms", value: "9" }] }));
    await createOne(first.controller, topic("gone"));
    await first.controller.deleteTopics({ topics: [{ name: "gone", topicId: ZERO_UUID }] });
    await first.controller.allocateProducerIds(0, first.controller.brokerEpoch!);
    const before = first.controller.image;
    await first.controller.close();

    const second = await start({ store: first.store, dir: first.dir });
    const after = second.controller.image;
    expect(second.quorum.leaderAndEpoch().epoch).toBe(2);
    expect(after.metadataVersion()).toBe(19);
    expect(after.topic("durable")).toEqual(before.topic("durable"));
    expect(after.topic("durable")!.id).toBe(created.topicId);
    expect(after.topic("gone")).toBeUndefined();
    expect(after.topicConfigs("durable").get("retention.ms")).toBe("9");
    expect(after.nextProducerId).toBe(1000n);
    expect(after.brokers.get(1)).toEqual(before.brokers.get(1));
    // This node registered again, with a new epoch; nothing was bootstrapped twice.
    expect(after.brokers.get(0)!.epoch).toBeGreaterThan(before.brokers.get(0)!.epoch);
    expect((await second.controller.allocateProducerIds(0, second.controller.brokerEpoch!)).producerIdStart).toBe(1000n);
  });
});
