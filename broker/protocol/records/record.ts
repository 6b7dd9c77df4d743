/**
 * One record inside a v2 batch:
 *   length varint, attributes int8 (unused, 0), timestampDelta varlong, offsetDelta varint,
 *   keyLength varint (-1 = null), key, valueLength varint (-1 = null), value,
 *   headerCount varint, then per header keyLength varint, key (utf8), valueLength varint, value.
 * All varints are zigzag encoded.
 *
 * Decoded keys, values and header values are views into the source buffer (no copies), so
 * they keep that buffer alive. Structural errors are INVALID_RECORD, as Kafka's
 * DefaultRecord.readFrom raises InvalidRecordException for them.
 */
import { ErrorCode, KafkaError } from "../errors.ts";
import type { Writer } from "../primitives/writer.ts";

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offsetDelta: number;
  /** Milliseconds from the batch's baseTimestamp; |delta| < 2^52 (142,000 years). */
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** The fields validation needs, filled in by `scanRecord` without allocating. */
export interface RecordScan {
  /** Position just past the record. */
  next: number;
  timestampDelta: number;
  offsetDelta: number;
  hasKey: boolean;
}

export function newRecordScan(): RecordScan {
  return { next: 0, timestampDelta: 0, offsetDelta: 0, hasKey: false };
}

function invalid(detail: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_RECORD, `invalid record: ${detail}`);
}

// ---- reading --------------------------------------------------------------------------
// The readers share one cursor, `at`: decoding is synchronous and never re-entered, and a
// module-level cursor lets the hot path return plain numbers without allocating.
let at = 0;

/** Zigzag varint, at most 5 bytes; bits past 32 are dropped, as Java's ByteUtils does. */
function readVarint(buf: Buffer, end: number): number {
  let p = at;
  if (p >= end) throw invalid("truncated varint");
  let b = buf[p++]!;
  if (b < 0x80) {
    at = p;
    return (b >>> 1) ^ -(b & 1);
  }
  let u = b & 0x7f;
  for (let shift = 7; ; shift += 7) {
    if (shift > 28) throw invalid("varint longer than 5 bytes");
    if (p >= end) throw invalid("truncated varint");
    b = buf[p++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  at = p;
  return (u >>> 1) ^ -(u & 1);
}

/** Zigzag varlong as a number; |values| of 2^52 and more are rejected rather than rounded. */
function readVarlong(buf: Buffer, end: number): number {
  let p = at;
  if (p >= end) throw invalid("truncated varlong");
  let b = buf[p++]!;
  if (b < 0x80) {
    at = p;
    return b & 1 ? -(b + 1) / 2 : b / 2;
  }
  let u = b & 0x7f;
  let scale = 128;
  for (let i = 1; ; i++) {
    if (i >= 10) throw invalid("varlong longer than 10 bytes");
    if (p >= end) throw invalid("truncated varlong");
    b = buf[p++]!;
    u += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) break;
  }
  if (u > Number.MAX_SAFE_INTEGER) throw invalid("timestamp delta beyond ±2^52");
  at = p;
  return u % 2 === 1 ? -(u + 1) / 2 : u / 2;
}

/** Reads a nullable length (-1 = null) and skips the bytes; returns the length. */
function skipNullable(buf: Buffer, end: number, what: string): number {
  const n = readVarint(buf, end);
  if (n < -1) throw invalid(`negative ${what} length ${n}`);
  if (n > 0) {
    if (at + n > end) throw invalid(`${what} of ${n} bytes overruns the record`);
    at += n;
  }
  return n;
}

/** Opens the record at `pos`: reads its length and returns the end of its body. */
function openRecord(buf: Buffer, pos: number, end: number): number {
  at = pos;
  const size = readVarint(buf, end);
  if (size < 0) throw invalid(`negative record size ${size}`);
  const bodyEnd = at + size;
  if (bodyEnd > end) {
    throw invalid(`record size ${size} exceeds the ${end - at} bytes left in the batch`);
  }
  if (at >= bodyEnd) throw invalid("empty record body");
  at++; // attributes: no record-level attribute is defined in magic 2
  return bodyEnd;
}

function closeRecord(bodyEnd: number, pos: number): void {
  if (at !== bodyEnd) {
    throw invalid(`record at ${pos} declares ${bodyEnd - pos} bytes but its fields end at ${at - pos}`);
  }
}

/**
 * Checks the structure of the record at `pos` (every length within bounds, header count
 * sane, declared size matching its fields) and fills `out`, allocating nothing.
 */
export function scanRecord(buf: Buffer, pos: number, end: number, out: RecordScan): void {
  const bodyEnd = openRecord(buf, pos, end);
  out.timestampDelta = readVarlong(buf, bodyEnd);
  out.offsetDelta = readVarint(buf, bodyEnd);
  out.hasKey = skipNullable(buf, bodyEnd, "key") >= 0;
  skipNullable(buf, bodyEnd, "value");
  const headers = readVarint(buf, bodyEnd);
  if (headers < 0) throw invalid(`negative header count ${headers}`);
  for (let i = 0; i < headers; i++) {
    if (skipNullable(buf, bodyEnd, "header key") < 0) throw invalid("null header key");
    skipNullable(buf, bodyEnd, "header value");
  }
  closeRecord(bodyEnd, pos);
  out.next = bodyEnd;
}

function readNullable(buf: Buffer, end: number, what: string): Buffer | null {
  const n = skipNullable(buf, end, what);
  return n < 0 ? null : buf.subarray(at - n, at);
}

/** Decodes the record at `pos`; `next` is the position just past it. */
export function decodeRecord(buf: Buffer, pos: number, end = buf.length): { record: Record; next: number } {
  const bodyEnd = openRecord(buf, pos, end);
  const timestampDelta = readVarlong(buf, bodyEnd);
  const offsetDelta = readVarint(buf, bodyEnd);
  const key = readNullable(buf, bodyEnd, "key");
  const value = readNullable(buf, bodyEnd, "value");
  const count = readVarint(buf, bodyEnd);
  if (count < 0) throw invalid(`negative header count ${count}`);
  if (count > bodyEnd - at) throw invalid(`header count ${count} exceeds the record's size`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const k = readNullable(buf, bodyEnd, "header key");
    if (k === null) throw invalid("null header key");
    headers.push({ key: k.toString("utf8"), value: readNullable(buf, bodyEnd, "header value") });
  }
  closeRecord(bodyEnd, pos);
  return { record: { offsetDelta, timestampDelta, key, value, headers }, next: bodyEnd };
}

// ---- writing --------------------------------------------------------------------------

function sizeOfUvarint(u: number): number {
  let n = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

function zigzag32(v: number): number {
  return ((v << 1) ^ (v >> 31)) >>> 0;
}

function zigzagNumber(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

function sizeOfNullable(b: Buffer | null): number {
  return b === null ? 1 : sizeOfUvarint(zigzag32(b.length)) + b.length;
}

/** Body size (everything after the length varint). */
function bodySize(r: Record): number {
  let n = 1 + sizeOfUvarint(zigzagNumber(r.timestampDelta)) + sizeOfUvarint(zigzag32(r.offsetDelta));
  n += sizeOfNullable(r.key) + sizeOfNullable(r.value) + sizeOfUvarint(zigzag32(r.headers.length));
  for (const h of r.headers) {
    const k = Buffer.byteLength(h.key, "utf8");
    n += sizeOfUvarint(zigzag32(k)) + k + sizeOfNullable(h.value);
  }
  return n;
}

/** Encoded size of the record including its length prefix. */
export function recordSize(r: Record): number {
  const body = bodySize(r);
  return sizeOfUvarint(zigzag32(body)) + body;
}

function checkRecord(r: Record): void {
  // Zigzag doubles the magnitude, so |delta| < 2^52 keeps the varlong exact in a double.
  if (!Number.isInteger(r.timestampDelta) || Math.abs(r.timestampDelta) >= 2 ** 52) {
    throw new RangeError(`timestampDelta ${r.timestampDelta} is outside ±2^52`);
  }
  if (!Number.isInteger(r.offsetDelta) || r.offsetDelta < -(2 ** 31) || r.offsetDelta >= 2 ** 31) {
    throw new RangeError(`offsetDelta ${r.offsetDelta} is not an int32`);
  }
}

/** Writes a non-negative integer up to 2^53 as an unsigned varint (Writer's is 32-bit). */
function writeUvarintNumber(w: Writer, u: number): void {
  while (u >= 0x80) {
    w.uint8((u % 128) | 0x80);
    u = Math.floor(u / 128);
  }
  w.uint8(u);
}

function writeNullable(w: Writer, b: Buffer | null): void {
  if (b === null) {
    w.varint(-1);
  } else {
    w.varint(b.length);
    w.raw(b);
  }
}

export function encodeRecord(w: Writer, r: Record): void {
  checkRecord(r);
  w.varint(bodySize(r));
  w.int8(0);
  writeUvarintNumber(w, zigzagNumber(r.timestampDelta));
  w.varint(r.offsetDelta);
  writeNullable(w, r.key);
  writeNullable(w, r.value);
  w.varint(r.headers.length);
  for (const h of r.headers) {
    w.varint(Buffer.byteLength(h.key, "utf8"));
    w.raw(Buffer.from(h.key, "utf8"));
    writeNullable(w, h.value);
  }
}
