import { describe, expect, it } from "vitest";
import { Reader, ProtocolDecodeError } from "./reader.ts";
import { SPLICE_MIN_BYTES, Writer } from "./writer.ts";

describe("wire primitives", () => {
  it("round-trips unsigned and zigzag varints at their boundaries", () => {
    const u = [0, 1, 127, 128, 16383, 16384, 2 ** 31 - 1, 2 ** 32 - 1];
    const s = [0, -1, 1, -64, 63, -65, 2 ** 31 - 1, -(2 ** 31)];
    const l = [0n, -1n, 1n, 2n ** 63n - 1n, -(2n ** 63n), 1700000000000n];
    const w = new Writer(4);
    u.forEach((v) => w.uvarint(v));
    s.forEach((v) => w.varint(v));
    l.forEach((v) => w.varlong(v));
    const r = new Reader(w.finish());
    expect(u.map(() => r.uvarint())).toEqual(u);
    expect(s.map(() => r.varint())).toEqual(s);
    expect(l.map(() => r.varlong())).toEqual(l);
    expect(r.remaining()).toBe(0);
  });

  it("keeps room after a large write, so the small fields after a fetch's records do not copy them again", () => {
    const records = Buffer.alloc(1 << 20, 7);
    const w = new Writer(256).int32(1).compactNullableBytes(records).uvarint(0).int32(-1).uvarint(0);
    const out = w.finish();
    // One buffer a little larger than the bytes written, not one twice their size.
    expect(out.buffer.byteLength).toBeLessThan(out.length + 64 * 1024);
    expect(out.subarray(7, 7 + records.length).equals(records)).toBe(true);
  });

  it("splices large records into its chunks instead of copying them, with lengths that count them", () => {
    const a = Buffer.alloc(SPLICE_MIN_BYTES, 1);
    const b = Buffer.alloc(SPLICE_MIN_BYTES * 3, 2);
    const w = new Writer(16);
    const size = w.reserveInt32();
    w.int16(5).compactNullableRecords(a).int8(9);
    const inner = w.reserveInt32(); // a position after a splice
    w.nullableRecords(b).compactNullableRecords(null).int8(-1);
    w.patchInt32(inner, 77);
    w.patchInt32(size, w.offset - 4);
    const chunks = w.chunks();
    // The records are the caller's buffers, not copies.
    expect(chunks.map((c) => ([a, b] as Buffer[]).indexOf(c)).filter((i) => i >= 0)).toEqual([0, 1]);
    expect(chunks.length).toBe(5);
    const r = new Reader(Buffer.concat(chunks));
    expect(r.int32()).toBe(w.offset - 4);
    expect(r.int16()).toBe(5);
    expect(r.compactNullableBytes()!.equals(a)).toBe(true);
    expect(r.int8()).toBe(9);
    expect(r.int32()).toBe(77);
    expect(r.nullableBytes()!.equals(b)).toBe(true);
    expect(r.compactNullableBytes()).toBeNull();
    expect(r.int8()).toBe(-1);
    expect(r.remaining()).toBe(0);
    expect(w.finish().equals(Buffer.concat(chunks))).toBe(true);
  });

  it("copies small records (one buffer is cheaper than a write per tiny chunk)", () => {
    const small = Buffer.alloc(SPLICE_MIN_BYTES - 1, 3);
    const w = new Writer(16).int8(1).nullableRecords(small).int8(2);
    expect(w.chunks()).toHaveLength(1);
    expect(w.finish().equals(Buffer.concat([Buffer.from([1, 0, 0, 0x0f, 0xff]), small, Buffer.from([2])]))).toBe(true);
  });

  it("encodes zigzag varints as Kafka does", () => {
    expect([...new Writer().varint(-1).finish()]).toEqual([1]);
    expect([...new Writer().varint(1).finish()]).toEqual([2]);
    expect([...new Writer().varint(300).finish()]).toEqual([0xd8, 0x04]);
  });

  it("round-trips classic and compact strings, bytes and nulls", () => {
    const w = new Writer(1)
      .string("héllo")
      .nullableString(null)
      .compactString("")
      .compactNullableString(null)
      .bytes(Buffer.from([1, 2]))
      .compactNullableBytes(null)
      .compactBytes(Buffer.from([3]));
    const r = new Reader(w.finish());
    expect(r.string()).toBe("héllo");
    expect(r.nullableString()).toBeNull();
    expect(r.compactString()).toBe("");
    expect(r.compactNullableString()).toBeNull();
    expect([...r.bytes()]).toEqual([1, 2]);
    expect(r.compactNullableBytes()).toBeNull();
    expect([...r.compactBytes()]).toEqual([3]);
  });

  it("rejects truncated input and lengths beyond the buffer", () => {
    expect(() => new Reader(Buffer.from([0, 5, 65])).string()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(Buffer.from([0, 0, 0])).int32()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).arrayLength()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint()).toThrow(ProtocolDecodeError);
  });
  it("writes and reads uuids in Kafka's string form", () => {
    const bytes = Buffer.from("00112233445566778899aabbccddeeff", "hex");
    const s = "ABEiM0RVZneImaq7zN3u_w";
    const w = new Writer(4).uuidString(s).uuidString("AAAAAAAAAAAAAAAAAAAAAA");
    expect(w.finish()).toEqual(Buffer.concat([bytes, Buffer.alloc(16)]));
    const r = new Reader(w.finish());
    expect(r.uuidString()).toBe(s);
    expect(r.uuidString()).toBe("AAAAAAAAAAAAAAAAAAAAAA");
    // Wrong length, padding, non-url-safe alphabet, or stray low bits are not Kafka uuids.
    for (const bad of ["", "AAAA", "ABEiM0RVZneImaq7zN3u_w==", "ABEiM0RVZneImaq7zN3u/w", "ABEiM0RVZneImaq7zN3u_x"]) {
      expect(() => new Writer().uuidString(bad)).toThrow(RangeError);
    }
  });
});
