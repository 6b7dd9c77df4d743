import { randomBytes } from "node:crypto";

/**
 * Kafka's Uuid as text: the 16 bytes in base64url without padding (22 characters), the
 * form `Uuid.toString()` prints and the generated codecs carry.
 */
export type UuidString = string;

/** Uuid(0, 0): "no topic id" in requests, and DirectoryId.UNASSIGNED. */
export const ZERO_UUID: UuidString = "AAAAAAAAAAAAAAAAAAAAAA";
/** Uuid(0, 1): the topic id of __cluster_metadata, and DirectoryId.LOST. */
export const METADATA_TOPIC_ID: UuidString = "AAAAAAAAAAAAAAAAAAAAAQ";

/** Kafka's reserved directory ids (DirectoryId). */
export const DirectoryId = {
  /** The replica's directory is not yet known; the broker will report it. */
  UNASSIGNED: ZERO_UUID,
  /** The directory the replica was in has failed. */
  LOST: METADATA_TOPIC_ID,
  /** The broker registered no directories (pre-JBOD); the replica lives wherever the broker put it. */
  MIGRATING: "AAAAAAAAAAAAAAAAAAAAAg",
} as const;

export function uuidToString(bytes: Buffer): UuidString {
  if (bytes.length !== 16) throw new RangeError("a Uuid is 16 bytes");
  return bytes.toString("base64url");
}

export function uuidFromString(s: UuidString): Buffer {
  const b = Buffer.from(s, "base64url");
  if (s.length !== 22 || b.length !== 16 || b.toString("base64url") !== s) {
    throw new RangeError(`invalid Uuid string "${s}"`);
  }
  return b;
}

/** True for ids Kafka reserves: the first 64 bits zero and the last below 100. */
function isReserved(b: Buffer): boolean {
  return b.readBigUInt64BE(0) === 0n && b.readBigUInt64BE(8) < 100n;
}

/**
 * A random (v4) Uuid as Kafka's Uuid.randomUuid makes it: never a reserved id, and never
 * one whose text starts with '-', which command-line tools would take for an option.
 */
export function randomUuid(random: (n: number) => Buffer = randomBytes): UuidString {
  for (;;) {
    const b = Buffer.from(random(16));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const s = uuidToString(b);
    if (!isReserved(b) && !s.startsWith("-")) return s;
  }
}
