/**
 * Whole v2 record batches: decode (with CRC check and decompression), encode (lengths,
 * CRC, compression), and a lazy walk over concatenated batches as found in log segments
 * and fetch responses.
 *
 * Error codes: problems with the batch frame (too short, length past the buffer, wrong
 * magic, CRC mismatch, undecompressable records) are CORRUPT_MESSAGE; problems with the
 * records inside a batch whose CRC is fine are INVALID_RECORD, as in Kafka.
 */
import { ErrorCode, KafkaError } from "../errors.ts";
import { Writer } from "../primitives/writer.ts";
import { ATTR, BATCH, computeBatchCrc, readBatchHeader, type BatchHeader } from "./batch-header.ts";
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from "./compression.ts";
import { decodeRecord, encodeRecord, recordSize, type Record } from "./record.ts";

export const MAGIC_V2 = 2;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
export const NO_TIMESTAMP = -1n;
/** The smallest well-formed record: 7 one-byte fields. Bounds a batch's record count. */
const MIN_RECORD_SIZE = 7;

export type TimestampType = "CreateTime" | "LogAppendTime";

export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & ATTR.TIMESTAMP_TYPE_LOG_APPEND ? "LogAppendTime" : "CreateTime";
}

export function compressionOf(attributes: number): number {
  return attributes & ATTR.COMPRESSION_MASK;
}

export function batchLastOffset(h: BatchHeader): bigint {
  return h.baseOffset + BigInt(h.lastOffsetDelta);
}

export function recordOffset(h: BatchHeader, r: Record): bigint {
  return h.baseOffset + BigInt(r.offsetDelta);
}

/** A record's timestamp: the batch's maxTimestamp when the broker stamped LogAppendTime. */
export function recordTimestamp(h: BatchHeader, r: Record): bigint {
  return h.attributes & ATTR.TIMESTAMP_TYPE_LOG_APPEND ? h.maxTimestamp : h.baseTimestamp + BigInt(r.timestampDelta);
}

function corrupt(detail: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, detail);
}

function invalid(detail: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, detail);
}

/**
 * Checks that a complete v2 batch starts at `pos` and returns its total size (length
 * field + 12). CORRUPT_MESSAGE when it is shorter than a header, runs past `end`, or has
 * another magic.
 */
export function checkBatchFrame(buf: Buffer, pos: number, end = buf.length): number {
  if (end - pos < BATCH.LOG_OVERHEAD) throw corrupt(`${end - pos} bytes cannot hold a record batch`);
  const size = buf.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
  if (size < BATCH.HEADER_SIZE) throw corrupt(`record batch size ${size} is below the ${BATCH.HEADER_SIZE}-byte minimum`);
  if (size > end - pos) throw corrupt(`record batch of ${size} bytes overruns the ${end - pos} bytes available`);
  const magic = buf.readInt8(pos + BATCH.MAGIC);
  if (magic !== MAGIC_V2) throw corrupt(`unsupported record batch magic ${magic}`);
  return size;
}

export interface DecodeOptions {
  /** Verify the CRC32C (default true). */
  verifyCrc?: boolean;
  maxDecompressedBytes?: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: Record[];
}

/**
 * Decodes the batch at the start of `buf` (bytes after it are ignored). Keys, values and
 * header values of uncompressed batches are views into `buf`.
 */
export function decodeRecordBatch(buf: Buffer, options: DecodeOptions = {}): DecodedBatch {
  const size = checkBatchFrame(buf, 0);
  const batch = buf.subarray(0, size);
  const header = readBatchHeader(batch);
  if (options.verifyCrc !== false) {
    const crc = computeBatchCrc(batch);
    if (crc !== header.crc) throw corrupt(`record batch CRC mismatch (stored ${header.crc}, computed ${crc})`);
  }
  const section = decompress(
    compressionOf(header.attributes),
    batch.subarray(BATCH.HEADER_SIZE),
    options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  );
  const count = header.recordCount;
  if (count < 0 || count > section.length / MIN_RECORD_SIZE) {
    throw invalid(`record count ${count} does not fit in ${section.length} bytes of records`);
  }
  const records: Record[] = new Array(count);
  let p = 0;
  for (let i = 0; i < count; i++) {
    const { record, next } = decodeRecord(section, p, section.length);
    records[i] = record;
    p = next;
  }
  if (p !== section.length) {
    throw invalid(`record batch declares ${count} records but ${section.length - p} bytes remain after them`);
  }
  return { header, records };
}

export interface EncodeBatchInput {
  baseOffset?: bigint;
  /** Producers send -1; the leader stamps its epoch on append. */
  partitionLeaderEpoch?: number;
  /** Codec id (Compression.*); ignored when `attributes` is given. */
  compression?: number;
  /** Raw attributes, overriding compression/timestampType/transactional/control. */
  attributes?: number;
  timestampType?: TimestampType;
  transactional?: boolean;
  control?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  baseTimestamp: bigint;
  /** Defaults to baseTimestamp + the largest timestampDelta (baseTimestamp if no records). */
  maxTimestamp?: bigint;
  /** Defaults to the last record's offsetDelta (compacted batches keep their original). */
  lastOffsetDelta?: number;
  records: Record[];
}

export function batchAttributes(input: Omit<EncodeBatchInput, "baseTimestamp" | "records">): number {
  if (input.attributes !== undefined) return input.attributes;
  let a = (input.compression ?? 0) & ATTR.COMPRESSION_MASK;
  if (input.timestampType === "LogAppendTime") a |= ATTR.TIMESTAMP_TYPE_LOG_APPEND;
  if (input.transactional) a |= ATTR.TRANSACTIONAL;
  if (input.control) a |= ATTR.CONTROL;
  return a;
}

export function encodeRecordBatch(input: EncodeBatchInput): Buffer {
  const attributes = batchAttributes(input);
  const records = input.records;
  let maxDelta = 0;
  let recordsSize = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (i === 0 || r.timestampDelta > maxDelta) maxDelta = r.timestampDelta;
    recordsSize += recordSize(r);
  }
  const maxTimestamp = input.maxTimestamp ?? input.baseTimestamp + BigInt(records.length ? maxDelta : 0);
  const lastOffsetDelta = input.lastOffsetDelta ?? records.at(-1)?.offsetDelta ?? 0;

  const w = new Writer(BATCH.HEADER_SIZE + recordsSize);
  w.int64(input.baseOffset ?? 0n);
  const lengthAt = w.reserveInt32();
  w.int32(input.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH);
  w.int8(MAGIC_V2);
  const crcAt = w.reserveInt32();
  w.int16(attributes);
  w.int32(lastOffsetDelta);
  w.int64(input.baseTimestamp);
  w.int64(maxTimestamp);
  w.int64(input.producerId ?? NO_PRODUCER_ID);
  w.int16(input.producerEpoch ?? NO_PRODUCER_EPOCH);
  w.int32(input.baseSequence ?? NO_SEQUENCE);
  w.int32(records.length);

  const codec = compressionOf(attributes);
  if (codec === 0) {
    for (const r of records) encodeRecord(w, r);
  } else {
    const rw = new Writer(Math.max(16, recordsSize));
    for (const r of records) encodeRecord(rw, r);
    w.raw(compress(codec, rw.finish()));
  }
  const out = w.finish();
  w.patchInt32(lengthAt, out.length - BATCH.LOG_OVERHEAD);
  w.patchUInt32(crcAt, computeBatchCrc(out));
  return out;
}

export interface BatchEntry {
  position: number;
  size: number;
  header: BatchHeader;
  partial: false;
}

/**
 * The incomplete batch a buffer may end with (fetch responses cut batches at the size
 * limit). `size` is the declared total size, or -1 when even the length field is cut.
 */
export interface PartialBatchEntry {
  position: number;
  size: number;
  available: number;
  header: null;
  partial: true;
}

/**
 * Walks the concatenated batches in `buf`, reading only headers. A trailing partial batch
 * is reported as a final `partial: true` entry instead of an error; a malformed complete
 * batch (bad length, wrong magic) throws CORRUPT_MESSAGE. CRCs are not checked here.
 */
export function* iterateBatches(buf: Buffer, start = 0, end = buf.length): Generator<BatchEntry | PartialBatchEntry> {
  let p = start;
  while (p < end) {
    const available = end - p;
    if (available < BATCH.HEADER_SIZE) {
      const size = available >= BATCH.LOG_OVERHEAD ? buf.readInt32BE(p + BATCH.LENGTH) + BATCH.LOG_OVERHEAD : -1;
      if (size !== -1 && size < BATCH.HEADER_SIZE) throw corrupt(`record batch size ${size} is below the ${BATCH.HEADER_SIZE}-byte minimum`);
      yield { position: p, size, available, header: null, partial: true };
      return;
    }
    const size = buf.readInt32BE(p + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    if (size < BATCH.HEADER_SIZE) throw corrupt(`record batch size ${size} is below the ${BATCH.HEADER_SIZE}-byte minimum`);
    const magic = buf.readInt8(p + BATCH.MAGIC);
    if (magic !== MAGIC_V2) throw corrupt(`unsupported record batch magic ${magic} at position ${p}`);
    if (size > available) {
      yield { position: p, size, available, header: null, partial: true };
      return;
    }
    yield { position: p, size, header: readBatchHeader(buf, p), partial: false };
    p += size;
  }
}
