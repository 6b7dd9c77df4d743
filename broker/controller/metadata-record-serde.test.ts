import { describe, expect, it } from "vitest";
import { METADATA_RECORDS, MetadataRecordType } from "../protocol/generated/metadata-records.ts";
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  METADATA_FRAME_VERSION,
  type MetadataRecord,
  MetadataParseError,
  metadataRecord,
} from "./metadata-record-serde.ts";
import { randomUuid, uuidFromString } from "./uuid.ts";

const TOPIC_ID = randomUuid();
const DIR = randomUuid();

/** A record of every type with non-default values where its schema allows. */
const SAMPLES: MetadataRecord[] = [
  metadataRecord(
    "RegisterBrokerRecord",
    {
      brokerId: 3,
      isMigratingZkBroker: false,
      incarnationId: randomUuid(),
      brokerEpoch: 4242n,
      endPoints: [{ name: "PLAINTEXT", host: "localhost", port: 9092, securityProtocol: 0 }],
      features: [{ name: "metadata.version", minSupportedVersion: 1, maxSupportedVersion: 19 }],
      rack: "r1",
      fenced: true,
      inControlledShutdown: true,
      logDirs: [DIR],
    },
    3,
  ),
  metadataRecord("UnregisterBrokerRecord", { brokerId: 3, brokerEpoch: 7n }),
  metadataRecord("TopicRecord", { name: "orders", topicId: TOPIC_ID }),
  metadataRecord(
    "PartitionRecord",
    {
      partitionId: 2,
      topicId: TOPIC_ID,
      replicas: [1, 2, 3],
      isr: [1, 2],
      removingReplicas: [3],
      addingReplicas: [],
      leader: 1,
      leaderRecoveryState: 1,
      leaderEpoch: 5,
      partitionEpoch: 9,
      directories: [DIR, DIR, DIR],
      eligibleLeaderReplicas: [2],
      lastKnownElr: null,
    },
    2,
  ),
  metadataRecord("ConfigRecord", { resourceType: 2, resourceName: "orders", name: "retention.ms", value: null }),
  metadataRecord(
    "PartitionChangeRecord",
    {
      partitionId: 0,
      topicId: TOPIC_ID,
      isr: [1],
      leader: -1,
      replicas: null,
      removingReplicas: [],
      addingReplicas: null,
      leaderRecoveryState: 0,
      directories: null,
      eligibleLeaderReplicas: null,
      lastKnownElr: [3],
    },
    2,
  ),
  metadataRecord("FenceBrokerRecord", { id: 1, epoch: 10n }),
  metadataRecord("UnfenceBrokerRecord", { id: 1, epoch: 10n }),
  metadataRecord("RemoveTopicRecord", { topicId: TOPIC_ID }),
  metadataRecord("FeatureLevelRecord", { name: "metadata.version", featureLevel: 19 }),
  metadataRecord("ProducerIdsRecord", { brokerId: 1, brokerEpoch: 10n, nextProducerId: 2000n }),
  metadataRecord("BrokerRegistrationChangeRecord", { brokerId: 1, brokerEpoch: 10n, fenced: -1, inControlledShutdown: 1, logDirs: [DIR] }, 2),
  metadataRecord("NoOpRecord", {}),
];

describe("MetadataRecordSerde", () => {
  it("frames a record as frame version, api key and version varints, then the body", () => {
    const id = uuidFromString(TOPIC_ID);
    const bytes = encodeMetadataRecord(metadataRecord("TopicRecord", { name: "foo", topicId: TOPIC_ID }));
    // frame 1, apiKey 2, version 0, compact string "foo", uuid, empty tagged fields.
    expect(bytes).toEqual(Buffer.concat([Buffer.from([1, 2, 0, 4, 0x66, 0x6f, 0x6f]), id, Buffer.from([0])]));
  });

  it.each(SAMPLES.map((s) => [s.type, s] as const))("round-trips %s with non-default values", (_name, sample) => {
    expect(decodeMetadataRecord(encodeMetadataRecord(sample))).toEqual(sample);
  });

  it("round-trips every metadata record type at every version (defaults)", () => {
    let checked = 0;
    for (const info of Object.values(METADATA_RECORDS)) {
      for (let version = info.minVersion; version <= info.maxVersion; version++) {
        const record = { type: info.name, version, data: info.codec.defaults() } as MetadataRecord;
        const bytes = encodeMetadataRecord(record);
        expect(bytes.subarray(0, 3)).toEqual(Buffer.from([METADATA_FRAME_VERSION, MetadataRecordType[info.name], version]));
        expect(decodeMetadataRecord(bytes)).toEqual(record);
        checked++;
      }
    }
    expect(Object.keys(METADATA_RECORDS)).toHaveLength(25);
    expect(checked).toBeGreaterThan(25);
  });

  it("rejects unknown frame versions, unknown types, bad versions and trailing garbage", () => {
    const good = encodeMetadataRecord(metadataRecord("NoOpRecord", {}));
    expect(() => decodeMetadataRecord(Buffer.from([2, 20, 0, 0]))).toThrow(/unknown frame version 2/);
    expect(() => decodeMetadataRecord(Buffer.from([1, 6, 0, 0]))).toThrow(/Unknown metadata id 6/);
    expect(() => decodeMetadataRecord(Buffer.from([1, 20, 1, 0]))).toThrow(MetadataParseError);
    expect(() => decodeMetadataRecord(Buffer.concat([good, Buffer.from([0])]))).toThrow(/garbage/);
    expect(() => decodeMetadataRecord(good.subarray(0, 2))).toThrow(MetadataParseError);
    expect(() => encodeMetadataRecord(metadataRecord("TopicRecord", { name: "x", topicId: TOPIC_ID }, 1))).toThrow(/no version 1/);
  });
});
