import { Reader } from "../protocol/primitives/reader.ts";
import { Writer } from "../protocol/primitives/writer.ts";
import { decodeGroupMetadataKey, encodeGroupMetadataKey } from "../protocol/generated/group-coordinator/GroupMetadataKey.ts";
import { decodeGroupMetadataValue, encodeGroupMetadataValue, type GroupMetadataValue } from "../protocol/generated/group-coordinator/GroupMetadataValue.ts";
import { decodeOffsetCommitKey, encodeOffsetCommitKey } from "../protocol/generated/group-coordinator/OffsetCommitKey.ts";
import { decodeOffsetCommitValue, encodeOffsetCommitValue } from "../protocol/generated/group-coordinator/OffsetCommitValue.ts";
import type { OffsetAndMetadata } from "./offset-and-metadata.ts";

/**
 * The records of `__consumer_offsets`, byte-for-byte as Kafka writes them so Kafka's tools
 * (kafka-console-consumer with the offsets formatters, kafka-dump-log) read ours and we read
 * theirs. Keys and values are an int16 version followed by the versioned struct; the key
 * version says what the record is: 0/1 an offset commit, 2 group metadata.
 */

/** Kafka writes OffsetCommitKey at its highest version, 1 (0 and 1 are identical). */
export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
/** Kafka 3.x writes the highest non-flexible value versions. */
export const GROUP_METADATA_VALUE_VERSION = 3;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
/** The only value version with an expire timestamp (commits with a retention time). */
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;

export type OffsetsTopicKey =
  | { type: "offset"; version: number; group: string; topic: string; partition: number }
  | { type: "group"; version: number; group: string }
  /** Another coordinator's record (e.g. a KIP-848 consumer group's); loading skips it. */
  | { type: "unknown"; version: number };

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.int16(OFFSET_COMMIT_KEY_VERSION);
  encodeOffsetCommitKey(w, { group, topic, partition }, OFFSET_COMMIT_KEY_VERSION);
  return w.finish();
}

export function groupMetadataKey(group: string): Buffer {
  const w = new Writer(32);
  w.int16(GROUP_METADATA_KEY_VERSION);
  encodeGroupMetadataKey(w, { group }, GROUP_METADATA_KEY_VERSION);
  return w.finish();
}

export function decodeOffsetsTopicKey(key: Buffer): OffsetsTopicKey {
  const r = new Reader(key);
  const version = r.int16();
  if (version === 0 || version === 1) {
    const k = decodeOffsetCommitKey(r, version);
    return { type: "offset", version, group: k.group, topic: k.topic, partition: k.partition };
  }
  if (version === GROUP_METADATA_KEY_VERSION) return { type: "group", version, group: decodeGroupMetadataKey(r, version).group };
  return { type: "unknown", version };
}

/** Value v3 as Kafka 3.x writes it, or v1 when the commit carries an expire timestamp. */
export function offsetCommitValue(o: OffsetAndMetadata): Buffer {
  const version = o.expireTimestamp !== null ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
  const w = new Writer(32 + o.metadata.length * 3);
  w.int16(version);
  encodeOffsetCommitValue(
    w,
    {
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      commitTimestamp: BigInt(o.commitTimestamp),
      expireTimestamp: o.expireTimestamp === null ? -1n : BigInt(o.expireTimestamp),
    },
    version,
  );
  return w.finish();
}

export function decodeOffsetCommitValueRecord(value: Buffer): OffsetAndMetadata {
  const r = new Reader(value);
  const version = r.int16();
  const v = decodeOffsetCommitValue(r, version);
  return {
    offset: v.offset,
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: Number(v.commitTimestamp),
    expireTimestamp: v.expireTimestamp === -1n ? null : Number(v.expireTimestamp),
  };
}

export function groupMetadataValue(v: GroupMetadataValue): Buffer {
  const w = new Writer(256);
  w.int16(GROUP_METADATA_VALUE_VERSION);
  encodeGroupMetadataValue(w, v, GROUP_METADATA_VALUE_VERSION);
  return w.finish();
}

export function decodeGroupMetadataValueRecord(value: Buffer): { version: number; value: GroupMetadataValue } {
  const r = new Reader(value);
  const version = r.int16();
  return { version, value: decodeGroupMetadataValue(r, version) };
}
