/**
 * Sequential reader over a Kafka wire buffer. Every read checks bounds and throws
 * ProtocolDecodeError on a short or malformed buffer, so a bad frame becomes an error
 * response or a closed connection, never a crash.
 */
export class ProtocolDecodeError extends Error {
  override readonly name = "ProtocolDecodeError";
}

export class Reader {
  offset: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) {
      throw new ProtocolDecodeError(`need ${n} bytes at offset ${at}, have ${this.end - at}`);
    }
    this.offset = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  uint8(): number {
    return this.buf.readUInt8(this.need(1));
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }

  /** Unsigned LEB128 varint (compact lengths, tagged-field tags and sizes). Max 5 bytes. */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.uint8();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new ProtocolDecodeError("uvarint overflows 32 bits");
        return result;
      }
    }
    throw new ProtocolDecodeError("uvarint longer than 5 bytes");
  }

  /** Zigzag signed varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag signed varlong (record timestamp and offset deltas). Max 10 bytes. */
  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.uint8();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    throw new ProtocolDecodeError("varlong longer than 10 bytes");
  }

  bytesRaw(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  uuid(): Buffer {
    return this.bytesRaw(16);
  }
  /** A uuid in Kafka's Uuid.toString() form: URL-safe base64 of the 16 bytes, no padding. */
  uuidString(): string {
    return this.bytesRaw(16).toString("base64url");
  }

  private checkedLength(n: number, what: string): number {
    if (n > this.remaining()) {
      throw new ProtocolDecodeError(`${what} length ${n} exceeds the ${this.remaining()} bytes left`);
    }
    return n;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new ProtocolDecodeError("null in a non-nullable string");
    return s;
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    return this.bytesRaw(this.checkedLength(n, "string")).toString("utf8");
  }
  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new ProtocolDecodeError("null in a non-nullable compact string");
    return s;
  }
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    return this.bytesRaw(this.checkedLength(n, "string")).toString("utf8");
  }

  bytes(): Buffer {
    const b = this.nullableBytes();
    if (b === null) throw new ProtocolDecodeError("null in non-nullable bytes");
    return b;
  }
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    return this.bytesRaw(this.checkedLength(n, "bytes"));
  }
  compactBytes(): Buffer {
    const b = this.compactNullableBytes();
    if (b === null) throw new ProtocolDecodeError("null in non-nullable compact bytes");
    return b;
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    return this.bytesRaw(this.checkedLength(n, "bytes"));
  }

  /** Array length (int32, -1 for null); each element takes at least one byte. */
  arrayLength(): number {
    const n = this.int32();
    if (n >= 0) this.checkedLength(n, "array");
    return n;
  }
  /** Compact array length (uvarint N+1, 0 for null). */
  compactArrayLength(): number {
    const n = this.uvarint() - 1;
    if (n >= 0) this.checkedLength(n, "array");
    return n;
  }
}
