/**
 * Leader-side validation of a produce request's records and in-place offset assignment:
 * the work Kafka splits between ProduceRequest.validateRecords,
 * UnifiedLog.analyzeAndValidateRecords and LogValidator, for magic-2 batches only.
 *
 * Checks, in Kafka's order (error code in brackets):
 *  - request shape: at least one batch, magic 2 [INVALID_RECORD; Kafka 4 accepts nothing
 *    older since Produce v0-v2 are gone, so there is no down-conversion], exactly one
 *    batch unless `allowMultipleBatches` [INVALID_RECORD], batch length inside the buffer
 *    and no trailing bytes [CORRUPT_MESSAGE; Kafka silently drops a trailing partial
 *    batch, which no real client sends], a zstd batch when `allowZstd` is false
 *    (Produce < v7) [UNSUPPORTED_COMPRESSION_TYPE], codec ids 5-7
 *    [UNSUPPORTED_COMPRESSION_TYPE];
 *  - per batch: baseOffset 0 from clients [INVALID_RECORD]; size > max.message.bytes
 *    [MESSAGE_TOO_LARGE]; CRC [CORRUPT_MESSAGE]; lastOffsetDelta + 1 == recordCount > 0,
 *    no control batches and no negative sequence with a producer id from clients
 *    [INVALID_RECORD];
 *  - records (decompressed into one buffer for compressed batches): exactly recordCount
 *    well-formed records [INVALID_RECORD], offset deltas 0..n-1 [INVALID_RECORD; Kafka
 *    ignores them for uncompressed batches and rebuilds compressed ones, but we never
 *    recompress, and a batch with other deltas would read back with wrong offsets];
 *  - per record, collected for the whole batch as Kafka's RecordError list: a null key on
 *    a compacted topic [INVALID_RECORD], a CreateTime timestamp outside
 *    [now - before.max.ms, now + after.max.ms], or a LogAppendTime flag set by the
 *    producer on a LogAppendTime topic [INVALID_TIMESTAMP, which wins when both occur];
 *  - all batches together above segment.bytes [RECORD_LIST_TOO_LARGE].
 *
 * Nothing is written until everything validated. Then, per batch: baseOffset,
 * partitionLeaderEpoch, and (as DefaultRecordBatch.setMaxTimestamp does, rewriting the CRC
 * only if something changed) the timestamp-type bit and maxTimestamp: `now` for
 * LogAppendTime topics, the largest record timestamp for CreateTime. baseTimestamp is left
 * alone, as Kafka's in-place path does; readers take LogAppendTime records' timestamps
 * from maxTimestamp. Batches are never re-encoded or recompressed: the topic's
 * compression.type is treated as "producer".
 */
import { ErrorCode, KafkaError, type ErrorCodeValue } from "../errors.ts";
import { ATTR, BATCH, computeBatchCrc } from "./batch-header.ts";
import { decompress, DEFAULT_MAX_DECOMPRESSED_BYTES, isKnownCodec, Compression } from "./compression.ts";
import { newRecordScan, scanRecord } from "./record.ts";
import { MAGIC_V2, type TimestampType } from "./record-batch.ts";

export interface ValidateOptions {
  /** Offset for the first record: the log end offset. */
  firstOffset: bigint;
  /** The leader's epoch, stamped into every batch. */
  leaderEpoch: number;
  /** Wall clock in ms: timestamp bounds and LogAppendTime. */
  now: number;
  /** The topic's message.timestamp.type. */
  timestampType: TimestampType;
  /** cleanup.policy includes compact: every record needs a key. */
  compacted: boolean;
  /** max.message.bytes: the largest batch, compressed size, header included. */
  maxMessageBytes: number;
  /** message.timestamp.before.max.ms */
  beforeMaxMs: number;
  /** message.timestamp.after.max.ms */
  afterMaxMs: number;
  /** segment.bytes: the whole append must fit in one segment. */
  segmentBytes?: number;
  /** "client" (default) applies the produce-only rules; "internal" is for the broker's own
   * appends (coordinators, transaction markers), which may write control batches. */
  origin?: "client" | "internal";
  /** Kafka allows one batch per partition in a produce request; internal appends may batch. */
  allowMultipleBatches?: boolean;
  /** False for Produce requests below v7, which may not carry zstd. */
  allowZstd?: boolean;
  maxDecompressedBytes?: number;
}

export interface ValidatedBatch {
  position: number;
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  recordCount: number;
  /** After assignment: `now` for LogAppendTime topics, else the largest record timestamp. */
  maxTimestamp: bigint;
  compression: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** baseSequence + lastOffsetDelta, wrapping past int32 max as Kafka does; -1 without one. */
  lastSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

export interface ValidationResult {
  firstOffset: bigint;
  lastOffset: bigint;
  /** `now` for LogAppendTime; else the largest record timestamp, -1 if none has one. */
  maxTimestamp: bigint;
  /** Offset of the first record carrying maxTimestamp (the first offset for LogAppendTime). */
  offsetOfMaxTimestamp: bigint;
  /** Last offset of the batch holding maxTimestamp: what Kafka's time index records. */
  shallowOffsetOfMaxTimestamp: bigint;
  /** `now` for LogAppendTime topics, else -1. */
  logAppendTime: bigint;
  recordCount: number;
  /** Bytes of batches, as appended. */
  validBytes: number;
  batches: ValidatedBatch[];
}

export interface RecordError {
  /** Index of the record within its batch (ProduceResponse's batch_index). */
  batchIndex: number;
  message: string;
}

/** A batch rejected for its records; carries Kafka's per-record errors for the response. */
export class RecordValidationError extends KafkaError {
  constructor(
    code: ErrorCodeValue,
    message: string,
    readonly recordErrors: RecordError[],
  ) {
    super(code, message);
  }
}

const INT32_MAX = 0x7fffffff;
const NO_TIMESTAMP = -1;

function corrupt(detail: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, detail);
}

function invalid(detail: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, detail);
}

/** Kafka's DefaultRecordBatch.incrementSequence. */
function lastSequenceOf(baseSequence: number, lastOffsetDelta: number): number {
  if (baseSequence === -1) return -1;
  return baseSequence > INT32_MAX - lastOffsetDelta ? lastOffsetDelta - (INT32_MAX - baseSequence) - 1 : baseSequence + lastOffsetDelta;
}

interface Pending {
  position: number;
  size: number;
  recordCount: number;
  lastOffsetDelta: number;
  attributes: number;
  /** Largest record timestamp, exact, and index of its first record; -1/-1 when none. */
  maxRecordTimestamp: bigint;
  indexOfMax: number;
}

export function validateAndAssignOffsets(buf: Buffer, opts: ValidateOptions): ValidationResult {
  const client = (opts.origin ?? "client") === "client";
  const logAppend = opts.timestampType === "LogAppendTime";

  // ---- request shape: find the batches (Kafka: ProduceRequest.validateRecords) ----
  const spans: { position: number; size: number }[] = [];
  for (let p = 0; p < buf.length; ) {
    const left = buf.length - p;
    if (left < BATCH.HEADER_SIZE) throw corrupt(`${left} trailing bytes cannot hold a record batch`);
    const magic = buf.readInt8(p + BATCH.MAGIC);
    if (magic !== MAGIC_V2) {
      throw invalid(`produce requests may only contain record batches with magic 2, found magic ${magic}`);
    }
    const size = buf.readInt32BE(p + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    if (size < BATCH.HEADER_SIZE) throw corrupt(`record batch size ${size} is below the ${BATCH.HEADER_SIZE}-byte minimum`);
    if (size > left) throw corrupt(`record batch of ${size} bytes overruns the ${left} bytes sent`);
    spans.push({ position: p, size });
    p += size;
  }
  if (spans.length === 0) throw invalid("produce request partition holds no record batch");
  if (spans.length > 1 && !opts.allowMultipleBatches) {
    throw invalid("produce requests may only contain exactly one record batch per partition");
  }

  // ---- validate everything before touching the buffer ----
  const scan = newRecordScan();
  const pending: Pending[] = [];
  let validBytes = 0;
  let totalRecords = 0;
  for (const { position, size } of spans) {
    const batch = buf.subarray(position, position + size);
    const attributes = batch.readInt16BE(BATCH.ATTRIBUTES);
    const codec = attributes & ATTR.COMPRESSION_MASK;
    if (!isKnownCodec(codec)) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression codec ${codec}`);
    }
    if (codec === Compression.ZSTD && opts.allowZstd === false) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, "produce requests below v7 may not use zstd compression");
    }
    // UnifiedLog.analyzeAndValidateRecords
    if (client && batch.readBigInt64BE(BATCH.BASE_OFFSET) !== 0n) {
      throw invalid(`the baseOffset of a produced record batch must be 0, not ${batch.readBigInt64BE(BATCH.BASE_OFFSET)}`);
    }
    if (size > opts.maxMessageBytes) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `the record batch size ${size} exceeds the maximum configured value of ${opts.maxMessageBytes}`,
      );
    }
    const storedCrc = batch.readUInt32BE(BATCH.CRC);
    const crc = computeBatchCrc(batch);
    if (crc !== storedCrc) throw corrupt(`record batch is corrupt (stored crc = ${storedCrc}, computed crc = ${crc})`);

    // LogValidator.validateBatch
    const lastOffsetDelta = batch.readInt32BE(BATCH.LAST_OFFSET_DELTA);
    const recordCount = batch.readInt32BE(BATCH.RECORD_COUNT);
    const producerId = batch.readBigInt64BE(BATCH.PRODUCER_ID);
    const baseSequence = batch.readInt32BE(BATCH.BASE_SEQUENCE);
    // Kafka checks the count only for clients; we need it from everyone, since offsets
    // are assigned from the deltas without rewriting records.
    if (lastOffsetDelta < 0) throw invalid(`record batch has an invalid offset range: lastOffsetDelta ${lastOffsetDelta}`);
    if (recordCount <= 0) throw invalid(`invalid reported count for record batch: ${recordCount}`);
    if (lastOffsetDelta + 1 !== recordCount) {
      throw invalid(`inconsistent batch offset range [0, ${lastOffsetDelta}] and count of records ${recordCount}`);
    }
    if (client) {
      if (attributes & ATTR.CONTROL) throw invalid("clients are not allowed to write control records");
      if (producerId >= 0n && baseSequence < 0) {
        throw invalid(`invalid sequence number ${baseSequence} in record batch with producerId ${producerId}`);
      }
    }

    // Records: structure, offset deltas, keys, timestamps.
    const section =
      codec === Compression.NONE
        ? batch.subarray(BATCH.HEADER_SIZE)
        : decompress(codec, batch.subarray(BATCH.HEADER_SIZE), opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
    const batchLogAppend = (attributes & ATTR.TIMESTAMP_TYPE_LOG_APPEND) !== 0;
    // Timestamps are compared as numbers (exact below 2^53 ms, and anything larger is out
    // of any sane range anyway); the batch maximum is rebuilt exactly from its delta.
    const baseTimestampExact = batch.readBigInt64BE(BATCH.BASE_TIMESTAMP);
    const baseTimestamp = Number(baseTimestampExact);
    // A CreateTime topic reads a producer-flagged LogAppendTime batch the way Kafka's
    // DefaultRecord does: every record carries the batch's maxTimestamp.
    const flaggedMaxExact = batch.readBigInt64BE(BATCH.MAX_TIMESTAMP);
    const flaggedMax = Number(flaggedMaxExact);
    const low = opts.now - opts.beforeMaxMs;
    const high = opts.now + opts.afterMaxMs;
    let errors: RecordError[] | null = null;
    let timestampError = false;
    let maxTs = NO_TIMESTAMP;
    let indexOfMax = -1;
    let deltaOfMax = 0;
    let p = 0;
    const end = section.length;
    for (let i = 0; i < recordCount; i++) {
      if (p >= end) throw invalid(`record batch declares ${recordCount} records but holds ${i}`);
      scanRecord(section, p, end, scan);
      p = scan.next;
      if (scan.offsetDelta !== i) {
        throw invalid(`record ${i} has offset delta ${scan.offsetDelta}; deltas must run 0..${recordCount - 1}`);
      }
      const ts = batchLogAppend ? flaggedMax : baseTimestamp + scan.timestampDelta;
      if (ts > maxTs) {
        maxTs = ts;
        indexOfMax = i;
        deltaOfMax = scan.timestampDelta;
      }
      if (opts.compacted && !scan.hasKey) {
        (errors ??= []).push({ batchIndex: i, message: "compacted topic cannot accept message without key" });
      } else if (!logAppend && ts !== NO_TIMESTAMP) {
        if (ts < low || ts > high) {
          timestampError = true;
          (errors ??= []).push({
            batchIndex: i,
            message: `timestamp ${ts} of message with offset ${i} is out of range; it should be within [${low}, ${high}]`,
          });
        }
      } else if (batchLogAppend) {
        timestampError = true;
        (errors ??= []).push({ batchIndex: i, message: "producer should not set timestamp type to LogAppendTime" });
      }
    }
    if (p !== end) {
      throw invalid(`incorrect declared batch size: ${end - p} bytes remain after ${recordCount} records`);
    }
    if (errors) {
      throw timestampError
        ? new RecordValidationError(ErrorCode.INVALID_TIMESTAMP, "one or more records have been rejected due to invalid timestamp", errors)
        : new RecordValidationError(
            ErrorCode.INVALID_RECORD,
            `one or more records have been rejected due to ${errors.length} record errors; first: ${errors[0]!.message}`,
            errors,
          );
    }
    const maxRecordTimestamp =
      indexOfMax < 0 ? BigInt(NO_TIMESTAMP) : batchLogAppend ? flaggedMaxExact : baseTimestampExact + BigInt(deltaOfMax);
    pending.push({ position, size, recordCount, lastOffsetDelta, attributes, maxRecordTimestamp, indexOfMax });
    validBytes += size;
    totalRecords += recordCount;
  }
  if (opts.segmentBytes !== undefined && validBytes > opts.segmentBytes) {
    throw new KafkaError(
      ErrorCode.RECORD_LIST_TOO_LARGE,
      `message batch size is ${validBytes} bytes, which exceeds the maximum configured segment size of ${opts.segmentBytes}`,
    );
  }

  // ---- assign in place ----
  const now = BigInt(opts.now);
  const batches: ValidatedBatch[] = [];
  let next = opts.firstOffset;
  let maxTimestamp = BigInt(NO_TIMESTAMP);
  let offsetOfMax = -1n;
  let shallowOfMax = -1n;
  for (const b of pending) {
    const batch = buf.subarray(b.position, b.position + b.size);
    const baseOffset = next;
    const lastOffset = baseOffset + BigInt(b.lastOffsetDelta);
    next = lastOffset + 1n;
    batch.writeBigInt64BE(baseOffset, BATCH.BASE_OFFSET);
    batch.writeInt32BE(opts.leaderEpoch, BATCH.PARTITION_LEADER_EPOCH);

    const batchMax = logAppend ? now : b.maxRecordTimestamp;
    const attributes = logAppend ? b.attributes | ATTR.TIMESTAMP_TYPE_LOG_APPEND : b.attributes & ~ATTR.TIMESTAMP_TYPE_LOG_APPEND;
    // The CRC covers attributes onward, not baseOffset or the epoch: rewrite it only when
    // the timestamp fields change.
    if (attributes !== b.attributes || batch.readBigInt64BE(BATCH.MAX_TIMESTAMP) !== batchMax) {
      batch.writeInt16BE(attributes, BATCH.ATTRIBUTES);
      batch.writeBigInt64BE(batchMax, BATCH.MAX_TIMESTAMP);
      batch.writeUInt32BE(computeBatchCrc(batch), BATCH.CRC);
    }
    if (!logAppend && b.indexOfMax >= 0 && batchMax > maxTimestamp) {
      maxTimestamp = batchMax;
      offsetOfMax = baseOffset + BigInt(b.indexOfMax);
      shallowOfMax = lastOffset;
    }
    const producerEpoch = batch.readInt16BE(BATCH.PRODUCER_EPOCH);
    const baseSequence = batch.readInt32BE(BATCH.BASE_SEQUENCE);
    batches.push({
      position: b.position,
      size: b.size,
      baseOffset,
      lastOffset,
      recordCount: b.recordCount,
      maxTimestamp: batchMax,
      compression: b.attributes & ATTR.COMPRESSION_MASK,
      producerId: batch.readBigInt64BE(BATCH.PRODUCER_ID),
      producerEpoch,
      baseSequence,
      lastSequence: lastSequenceOf(baseSequence, b.lastOffsetDelta),
      isTransactional: (attributes & ATTR.TRANSACTIONAL) !== 0,
      isControl: (attributes & ATTR.CONTROL) !== 0,
    });
  }
  if (logAppend) {
    maxTimestamp = now;
    offsetOfMax = opts.firstOffset;
    shallowOfMax = next - 1n;
  }
  return {
    firstOffset: opts.firstOffset,
    lastOffset: next - 1n,
    maxTimestamp,
    offsetOfMaxTimestamp: offsetOfMax,
    shallowOffsetOfMaxTimestamp: shallowOfMax,
    logAppendTime: logAppend ? now : -1n,
    recordCount: totalRecords,
    validBytes,
    batches,
  };
}
