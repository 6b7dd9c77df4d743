import { describe, expect, it } from "vitest";
import { defaultPartitionChangeRecord } from "../protocol/generated/metadata/PartitionChangeRecord.ts";
import { defaultPartitionRecord } from "../protocol/generated/metadata/PartitionRecord.ts";
import { defaultRegisterBrokerRecord } from "../protocol/generated/metadata/RegisterBrokerRecord.ts";
import { MetadataDelta, MetadataReplayError, replayAll } from "./metadata-delta.ts";
import { ConfigResourceType, MetadataImage, NO_LEADER } from "./metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "./metadata-record-serde.ts";
import { DirectoryId, randomUuid } from "./uuid.ts";

const CLUSTER = randomUuid();
const T1 = randomUuid();
const DIR = randomUuid();

function broker(id: number, epoch: bigint, extra: Partial<ReturnType<typeof defaultRegisterBrokerRecord>> = {}): MetadataRecord {
  return metadataRecord(
    "RegisterBrokerRecord",
    {
      ...defaultRegisterBrokerRecord(),
      brokerId: id,
      brokerEpoch: epoch,
      incarnationId: randomUuid(),
      endPoints: [{ name: "PLAINTEXT", host: "h", port: 9092 + id, securityProtocol: 0 }],
      rack: null,
      logDirs: [DIR],
      ...extra,
    },
    3,
  );
}

function partition(id: number, replicas: number[], leader = replicas[0]!): MetadataRecord {
  return metadataRecord(
    "PartitionRecord",
    { ...defaultPartitionRecord(), partitionId: id, topicId: T1, replicas, isr: replicas, leader, leaderEpoch: 0, partitionEpoch: 0, directories: replicas.map(() => DIR) },
    1,
  );
}

function change(partitionId: number, fields: Partial<ReturnType<typeof defaultPartitionChangeRecord>>): MetadataRecord {
  return metadataRecord("PartitionChangeRecord", { ...defaultPartitionChangeRecord(), topicId: T1, partitionId, ...fields }, 1);
}

const base = () =>
  replayAll(MetadataImage.empty(CLUSTER), [
    metadataRecord("FeatureLevelRecord", { name: "metadata.version", featureLevel: 19 }),
    broker(1, 10n),
    broker(2, 11n),
    broker(3, 12n),
    metadataRecord("TopicRecord", { name: "orders", topicId: T1 }),
    partition(0, [1, 2, 3]),
    partition(1, [2, 3, 1]),
  ]);

describe("MetadataDelta / MetadataImage replay", () => {
  it("creates topics and partitions, indexed by name and id", () => {
    const img = base();
    expect(img.metadataVersion()).toBe(19);
    const t = img.topic("orders")!;
    expect(t.id).toBe(T1);
    expect(img.topicsById.get(T1)).toBe(t);
    expect([...t.partitions.keys()]).toEqual([0, 1]);
    expect(img.partition("orders", 1)).toMatchObject({ replicas: [2, 3, 1], isr: [2, 3, 1], leader: 2, leaderEpoch: 0, partitionEpoch: 0, directories: [DIR, DIR, DIR] });
  });

  it("applies partition changes with Kafka's unchanged sentinels", () => {
    const start = base();
    let img = replayAll(start, [change(0, { isr: [1, 2] })]);
    // ISR only: leader and leader epoch unchanged, partition epoch bumped.
    expect(img.partition("orders", 0)).toMatchObject({ isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1, replicas: [1, 2, 3] });
    img = replayAll(img, [change(0, { leader: 2 })]);
    expect(img.partition("orders", 0)).toMatchObject({ isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 2 });
    img = replayAll(img, [change(0, { leader: NO_LEADER, isr: [2] })]);
    expect(img.partition("orders", 0)).toMatchObject({ isr: [2], leader: -1, leaderEpoch: 2, partitionEpoch: 3 });
    // New replicas without directories: kept replicas keep their dir, new ones are unassigned.
    img = replayAll(img, [change(0, { replicas: [2, 4], addingReplicas: [4] })]);
    expect(img.partition("orders", 0)).toMatchObject({
      replicas: [2, 4],
      addingReplicas: [4],
      directories: [DIR, DirectoryId.UNASSIGNED],
      leader: -1,
      leaderEpoch: 2,
      partitionEpoch: 4,
    });
    // The other partition is untouched and shared with the previous image.
    expect(img.partition("orders", 1)).toBe(start.partition("orders", 1));
  });

  it("leaves the base image untouched (copy on write)", () => {
    const img = base();
    const next = replayAll(img, [change(0, { isr: [1] }), metadataRecord("TopicRecord", { name: "other", topicId: randomUuid() })]);
    expect(img.partition("orders", 0)!.isr).toEqual([1, 2, 3]);
    expect(img.topicsByName.has("other")).toBe(false);
    expect(next.topicsByName.has("other")).toBe(true);
    expect(next.brokers).toBe(img.brokers);
  });

  it("sets and deletes configs; a resource with no configs left disappears", () => {
    const set = (name: string, value: string | null, type: number = ConfigResourceType.TOPIC, res = "orders") =>
      metadataRecord("ConfigRecord", { resourceType: type, resourceName: res, name, value });
    let img = replayAll(base(), [set("retention.ms", "1000"), set("cleanup.policy", "compact"), set("num.partitions", "3", ConfigResourceType.BROKER, "")]);
    expect(Object.fromEntries(img.topicConfigs("orders"))).toEqual({ "retention.ms": "1000", "cleanup.policy": "compact" });
    expect(img.brokerConfigs("").get("num.partitions")).toBe("3");
    img = replayAll(img, [set("retention.ms", null)]);
    expect(Object.fromEntries(img.topicConfigs("orders"))).toEqual({ "cleanup.policy": "compact" });
    img = replayAll(img, [set("cleanup.policy", null)]);
    expect(img.configs.has("2:orders")).toBe(false);
  });

  it("removes a topic by id, with its partitions and configs", () => {
    const img = replayAll(base(), [
      metadataRecord("ConfigRecord", { resourceType: 2, resourceName: "orders", name: "retention.ms", value: "5" }),
    ]);
    const delta = new MetadataDelta(img);
    delta.replay(metadataRecord("RemoveTopicRecord", { topicId: T1 }));
    const next = delta.apply();
    expect(next.topic("orders")).toBeUndefined();
    expect(next.topicsById.has(T1)).toBe(false);
    expect(next.topicConfigs("orders").size).toBe(0);
    expect([...delta.deletedTopics.keys()]).toEqual([T1]);
    expect(() => replayAll(next, [metadataRecord("RemoveTopicRecord", { topicId: T1 })])).toThrow(/no such topic/);
  });

  it("registers, fences, unfences and re-registers brokers, checking epochs", () => {
    let img = base();
    expect(img.brokers.get(1)).toMatchObject({ id: 1, epoch: 10n, fenced: true, rack: null, directories: [DIR] });
    expect(img.brokers.get(1)!.listeners).toEqual([{ name: "PLAINTEXT", host: "h", port: 9093, securityProtocol: 0 }]);
    img = replayAll(img, [metadataRecord("UnfenceBrokerRecord", { id: 1, epoch: 10n })]);
    expect(img.brokers.get(1)!.fenced).toBe(false);
    expect(img.isActiveBroker(1)).toBe(true);
    img = replayAll(img, [metadataRecord("FenceBrokerRecord", { id: 1, epoch: 10n })]);
    expect(img.brokers.get(1)!.fenced).toBe(true);
    expect(() => replayAll(img, [metadataRecord("FenceBrokerRecord", { id: 1, epoch: 9n })])).toThrow(MetadataReplayError);
    img = replayAll(img, [
      metadataRecord("BrokerRegistrationChangeRecord", { brokerId: 1, brokerEpoch: 10n, fenced: -1, inControlledShutdown: 1, logDirs: [] }, 1),
    ]);
    expect(img.brokers.get(1)).toMatchObject({ fenced: false, inControlledShutdown: true });
    expect(img.isActiveBroker(1)).toBe(false);
    img = replayAll(img, [broker(1, 50n, { fenced: false })]);
    expect(img.brokers.get(1)).toMatchObject({ epoch: 50n, fenced: false, inControlledShutdown: false });
    img = replayAll(img, [metadataRecord("UnregisterBrokerRecord", { brokerId: 1, brokerEpoch: 50n })]);
    expect(img.brokers.has(1)).toBe(false);
  });

  it("tracks producer ids, features, provenance and ignores no-ops", () => {
    const delta = new MetadataDelta(base());
    delta.replay(metadataRecord("ProducerIdsRecord", { brokerId: 1, brokerEpoch: 10n, nextProducerId: 1000n }), 7n);
    delta.replay(metadataRecord("NoOpRecord", {}), 8n);
    delta.replay(metadataRecord("FeatureLevelRecord", { name: "some.feature", featureLevel: 2 }), 9n);
    const img = delta.apply();
    expect(img.nextProducerId).toBe(1000n);
    expect(img.features.get("some.feature")).toBe(2);
    expect(img.provenance.lastOffset).toBe(9n);
    const removed = replayAll(img, [metadataRecord("FeatureLevelRecord", { name: "some.feature", featureLevel: 0 })]);
    expect(removed.features.has("some.feature")).toBe(false);
  });

  it("refuses partition records for unknown topics and changes to unknown partitions", () => {
    expect(() => replayAll(MetadataImage.empty(CLUSTER), [partition(0, [1])])).toThrow(/unknown topic/);
    expect(() => replayAll(base(), [change(7, { isr: [1] })])).toThrow(/Unable to find partition/);
  });
});
