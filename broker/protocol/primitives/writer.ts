/** Kafka Uuid strings: 22 URL-safe base64 chars whose last one carries 2 bits (4 zero bits). */
const UUID_STRING = /^[A-Za-z0-9_-]{21}[AQgw]$/;
/** Bytes kept free past a write that outgrows the buffer. */
const SLACK = 4096;

/**
 * Growable big-endian writer for Kafka wire encodings. One writer is reused per response;
 * `finish()` returns a copy-free view of the bytes written.
 */
export class Writer {
  private buf: Buffer;
  offset = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): number {
    const at = this.offset;
    if (at + n > this.buf.length) {
      // Room past a large write (a fetch response's records) for the small fields after it,
      // which would otherwise double the buffer and copy those records a second time.
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, at + n + SLACK));
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    this.offset = at + n;
    return at;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.offset);
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

  /** Reserve an int32 slot to fill later (lengths, CRCs); returns its position. */
  reserveInt32(): number {
    return this.ensure(4);
  }
  patchInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }
  patchUInt32(at: number, v: number): void {
    this.buf.writeUInt32BE(v, at);
  }
  /** The bytes written from `start` up to now (a view, valid until the next write). */
  slice(start: number, end = this.offset): Buffer {
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
  arrayLength(n: number | null): this {
    return this.int32(n === null ? -1 : n);
  }
  compactArrayLength(n: number | null): this {
    return this.uvarint(n === null ? 0 : n + 1);
  }
}
