import { crc32c } from "@node-rs/crc32";

/**
 * Fixed-position fields of a v2 record batch header (KIP-98). The log, the network layer
 * and the batch codec all read these without decoding records, so they live in one place.
 */
export const BATCH = {
  BASE_OFFSET: 0,
  LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
  HEADER_SIZE: 61,
  /** baseOffset + batchLength: the bytes not counted by batchLength. */
  LOG_OVERHEAD: 12,
} as const;

export const ATTR = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE_LOG_APPEND: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const;

export interface BatchHeader {
  baseOffset: bigint;
  /** Bytes after the length field; the whole batch is batchLength + LOG_OVERHEAD. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos + BATCH.BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH.LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + BATCH.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + BATCH.MAGIC),
    crc: buf.readUInt32BE(pos + BATCH.CRC),
    attributes: buf.readInt16BE(pos + BATCH.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + BATCH.LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(pos + BATCH.BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(pos + BATCH.MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(pos + BATCH.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + BATCH.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BATCH.BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + BATCH.RECORD_COUNT),
  };
}

/** Total size on the wire/disk of the batch starting at `pos` (header not validated). */
export function batchSizeAt(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
}

/** CRC32C over attributes..end, as stored in the header's crc field. */
export function computeBatchCrc(batch: Buffer): number {
  return crc32c(batch.subarray(BATCH.ATTRIBUTES));
}

/** Rewrite the CRC after in-place header edits (base offset edits need no new CRC). */
export function writeBatchCrc(batch: Buffer): void {
  batch.writeUInt32BE(computeBatchCrc(batch), BATCH.CRC);
}
