import { beforeEach, describe, expect, it } from "vitest";
import { replayAll } from "../controller/metadata-delta.ts";
import { MetadataImage } from "../controller/metadata-image.ts";
import { type MetadataRecord, metadataRecord } from "../controller/metadata-record-serde.ts";
import { randomUuid } from "../controller/uuid.ts";
import { STATE_CHANGES_TOPIC } from "../events/state-change.ts";
import { ManualTime } from "../log/test-support.ts";
import { defaultRegisterBrokerRecord } from "../protocol/generated/metadata/RegisterBrokerRecord.ts";
import { StateChangesTopicCreation } from "./state-changes-topic.ts";

const unfencedBroker = (id: number): MetadataRecord =>
  metadataRecord("RegisterBrokerRecord", { ...defaultRegisterBrokerRecord(), brokerId: id, brokerEpoch: 1n, incarnationId: randomUuid(), fenced: false, rack: null, logDirs: [] }, 3);

describe("when __state_changes is created", () => {
  let time: ManualTime;
  let image: MetadataImage;
  let creations: number[];
  let creation: StateChangesTopicCreation;
  const activeBrokers = (n: number) => {
    image = replayAll(MetadataImage.empty(randomUuid()), Array.from({ length: n }, (_, id) => unfencedBroker(id)));
    creation.maybeCreate();
  };

  beforeEach(() => {
    time = new ManualTime();
    image = MetadataImage.empty(randomUuid());
    creations = [];
    creation = new StateChangesTopicCreation({
      timer: time,
      factor: 3,
      graceMs: 9000,
      image: () => image,
      create: async () => {
        creations.push([...image.brokers.keys()].length);
      },
      onError: (err) => {
        throw err;
      },
    });
  });

  it("waits for as many active brokers as its replication factor", async () => {
    activeBrokers(1);
    activeBrokers(2);
    expect(creations).toEqual([]);
    activeBrokers(3);
    await Promise.resolve();
    expect(creations).toEqual([3]);
  });

  it("on a smaller cluster, creates it on the brokers there are after the grace period", async () => {
    activeBrokers(1);
    time.advance(8999);
    expect(creations).toEqual([]);
    time.advance(1);
    await Promise.resolve();
    expect(creations).toEqual([1]);
  });

  it("does nothing once the topic exists or while no broker is active", () => {
    time.advance(9000);
    expect(creations).toEqual([]);
    image = replayAll(image, [...[0, 1, 2].map(unfencedBroker), metadataRecord("TopicRecord", { name: STATE_CHANGES_TOPIC, topicId: randomUuid() })]);
    creation.maybeCreate();
    expect(creations).toEqual([]);
  });
});
