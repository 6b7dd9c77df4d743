/** Kafka Uuid strings: 22 URL-safe base64 chars whose last one carries 2 bits (4 zero bits). */
const UUID_STRING = /^[A-Za-z0-9_-]{21}[AQgw]$/;
/** Bytes kept free past a write that outgrows the buffer. */
const SLACK = 4096;
/**
 * Records at least this large are referenced, not copied: a socket write of a few more
 * buffers costs less than copying them (a follower's fetch carries up to 1 MiB).
 */
export const SPLICE_MIN_BYTES = 4096;

/** A records buffer referenced by the output, placed before byte `at` of the writer's own buffer. */
interface Splice {
  readonly at: number;
  readonly data: Buffer;
}

/**
 * Growable big-endian writer for Kafka wire encodings. One writer is reused per response;
 * `finish()` returns a copy-free view of the bytes written, `chunks()` the bytes as a list
 * in which large records buffers appear as given (Kafka's FileRecords.writeTo, without
 * sendfile). Positions (`offset`, `reserveInt32`) count the spliced records too.
 */
export class Writer {
  private buf: Buffer;
  /** Bytes written into `buf`. */
  private pos = 0;
  private readonly splices: Splice[] = [];
  private splicedBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far, spliced records included. */
  get offset(): number {
    return this.pos + this.splicedBytes;
  }

  /** Reserves n bytes in `buf`; returns their position in `buf`. */
  private ensure(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      // Room past a large write (a fetch response's records) for the small fields after it,
      // which would otherwise double the buffer and copy those records a second time.
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, at + n + SLACK));
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    this.pos = at + n;
    return at;
  }

  /** The position in `buf` of output position `at` (which must not fall inside a splice). */
  private physical(at: number): number {
    let before = 0; // spliced bytes before `at`
    for (const s of this.splices) {
      if (at < s.at + before + s.data.length) break;
      before += s.data.length;
    }
    return at - before;
  }

  /** The output as one buffer (a view when nothing was spliced, else a copy). */
  finish(): Buffer {
    if (this.splices.length === 0) return this.buf.subarray(0, this.pos);
    return Buffer.concat(this.chunks(), this.offset);
  }

  /** The output as buffers to write in order: views of this writer's bytes and the spliced records. */
  chunks(): Buffer[] {
    const out: Buffer[] = [];
    let from = 0;
    for (const s of this.splices) {
      if (s.at > from) out.push(this.buf.subarray(from, s.at));
      out.push(s.data);
      from = s.at;
    }
    if (this.pos > from || out.length === 0) out.push(this.buf.subarray(from, this.pos));
    return out;
  }

  int8(v: number): this {
    const at = this.ensure(1);
    this.buf.writeInt8(v, at);
    return this;
  }
  uint8(v: number): this {
    const at = this.ensure(1);
    this.buf.writeUInt8(v, at);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    const at = this.ensure(2);
    this.buf.writeInt16BE(v, at);
    return this;
  }
  uint16(v: number): this {
    const at = this.ensure(2);
    this.buf.writeUInt16BE(v, at);
    return this;
  }
  int32(v: number): this {
    const at = this.ensure(4);
    this.buf.writeInt32BE(v, at);
    return this;
  }
  uint32(v: number): this {
    const at = this.ensure(4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }
  int64(v: bigint): this {
    const at = this.ensure(8);
    this.buf.writeBigInt64BE(v, at);
    return this;
  }
  float64(v: number): this {
    const at = this.ensure(8);
    this.buf.writeDoubleBE(v, at);
    return this;
  }

  /** Reserve an int32 slot to fill later (lengths, CRCs); returns its output position. */
  reserveInt32(): number {
    const at = this.offset;
    this.ensure(4);
    return at;
  }
  patchInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, this.physical(at));
  }
  patchUInt32(at: number, v: number): void {
    this.buf.writeUInt32BE(v, this.physical(at));
  }
  /** The bytes written from `start` up to now (a view, valid until the next write). */
  slice(start: number, end = this.offset): Buffer {
    if (this.splices.length > 0) throw new RangeError("slice of a writer holding spliced records");
    return this.buf.subarray(start, end);
  }

  uvarint(v: number): this {
    let n = v >>> 0;
    while (n >= 0x80) {
      this.uint8((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    return this.uint8(n);
  }
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  varlong(v: bigint): this {
    let n = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (n >= 0x80n) {
      this.uint8(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    return this.uint8(Number(n));
  }

  raw(b: Buffer): this {
    const at = this.ensure(b.length);
    b.copy(this.buf, at);
    return this;
  }
  uuid(b: Buffer): this {
    if (b.length !== 16) throw new RangeError("uuid must be 16 bytes");
    return this.raw(b);
  }
  /** A uuid given in Kafka's Uuid.toString() form (22 chars of URL-safe base64). */
  uuidString(s: string): this {
    if (s.length !== 22 || !UUID_STRING.test(s)) throw new RangeError(`invalid uuid string "${s}"`);
    const at = this.ensure(16);
    this.buf.write(s, at, 16, "base64url");
    return this;
  }

  string(s: string): this {
    return this.nullableString(s);
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const len = Buffer.byteLength(s);
    this.int16(len);
    const at = this.ensure(len);
    this.buf.write(s, at, len, "utf8");
    return this;
  }
  compactString(s: string): this {
    return this.compactNullableString(s);
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const len = Buffer.byteLength(s);
    this.uvarint(len + 1);
    const at = this.ensure(len);
    this.buf.write(s, at, len, "utf8");
    return this;
  }
  bytes(b: Buffer): this {
    return this.nullableBytes(b);
  }
  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  compactBytes(b: Buffer): this {
    return this.compactNullableBytes(b);
  }
  compactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.uvarint(0);
    return this.uvarint(b.length + 1).raw(b);
  }
  /** A `records` field (int32 length): large records are spliced into the output, not copied. */
  nullableRecords(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).records(b);
  }
  /** A flexible-version `records` field (uvarint length+1), spliced as nullableRecords. */
  compactNullableRecords(b: Buffer | null): this {
    if (b === null) return this.uvarint(0);
    return this.uvarint(b.length + 1).records(b);
  }
  private records(b: Buffer): this {
    if (b.length < SPLICE_MIN_BYTES) return this.raw(b);
    // The caller must not change b until the output is written (log reads return fresh buffers).
    this.splices.push({ at: this.pos, data: b });
    this.splicedBytes += b.length;
    return this;
  }

  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n);
  }
  compactArrayLength(n: number | null): this {
    return this.uvarint(n === null ? 0 : n + 1);
  }
}
