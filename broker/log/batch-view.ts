import { BATCH, computeBatchCrc } from "../protocol/records/batch-header.ts";

/**
 * v2 batch header fields read as JS numbers (offsets and timestamps are safe integers), and
 * the framing/CRC checks the log applies. The log never decodes records: everything it needs
 * (offsets, timestamps, leader epoch, size) is in the fixed header.
 */

const TWO_32 = 4294967296;
const MAX_INT32 = 2147483647;

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, value: number, pos: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4);
}

export function batchBaseOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BATCH.BASE_OFFSET);
}

export function batchLastOffset(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BATCH.BASE_OFFSET) + buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
}

export function batchMaxTimestamp(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BATCH.MAX_TIMESTAMP);
}

export function batchLeaderEpoch(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BATCH.PARTITION_LEADER_EPOCH);
}

/** Whole size of the batch at `pos` (the length field plus the 12 bytes it doesn't count). */
export function batchSize(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
}

/**
 * Why the bytes at `pos` (with `available` bytes up to the end of the data) are not a whole,
 * well-formed v2 batch, or undefined when they are. A batch cut short reports "truncated" —
 * the torn tail of a crash — and anything else is corruption.
 */
export function batchFramingProblem(buf: Buffer, pos: number, available: number): string | undefined {
  if (available < BATCH.HEADER_SIZE) return "truncated";
  const size = batchSize(buf, pos);
  if (size < BATCH.HEADER_SIZE) return `invalid batch size ${size}`;
  if (buf.readInt8(pos + BATCH.MAGIC) !== 2) return `unsupported magic ${buf.readInt8(pos + BATCH.MAGIC)}`;
  if (size > available) return "truncated";
  const delta = buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA);
  if (delta < 0) return `negative last offset delta ${delta}`;
  if (batchBaseOffset(buf, pos) < 0) return "negative base offset";
  return undefined;
}

export function batchCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return computeBatchCrc(buf.subarray(pos, pos + size)) === buf.readUInt32BE(pos + BATCH.CRC);
}

/** Offsets are stored relative to the segment's base offset as int32. */
export function fitsRelativeOffset(offset: number, baseOffset: number): boolean {
  const rel = offset - baseOffset;
  return rel >= 0 && rel <= MAX_INT32;
}
