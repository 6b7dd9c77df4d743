import { describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "../errors.ts";
import { Writer } from "../primitives/writer.ts";
import { decodeRecord, encodeRecord, newRecordScan, recordSize, scanRecord, type Record } from "./record.ts";

function encode(r: Record): Buffer {
  const w = new Writer(8);
  encodeRecord(w, r);
  return Buffer.from(w.finish());
}

function expectInvalid(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KafkaError);
    expect((e as KafkaError).code).toBe(ErrorCode.INVALID_RECORD);
    return;
  }
  expect.unreachable("expected INVALID_RECORD");
}

const SAMPLES: [string, Record][] = [
  ["minimal", { offsetDelta: 0, timestampDelta: 0, key: null, value: null, headers: [] }],
  ["key and value", { offsetDelta: 3, timestampDelta: 17, key: Buffer.from("k"), value: Buffer.from("v".repeat(300)), headers: [] }],
  ["empty key and value", { offsetDelta: 1, timestampDelta: 0, key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [] }],
  [
    "headers incl. null value and utf8 key",
    {
      offsetDelta: 2,
      timestampDelta: 5,
      key: Buffer.from("key"),
      value: null,
      headers: [
        { key: "trace-id", value: Buffer.from("abc") },
        { key: "ключ", value: null },
        { key: "", value: Buffer.alloc(0) },
      ],
    },
  ],
  ["negative timestamp delta", { offsetDelta: 0, timestampDelta: -5000, key: null, value: Buffer.from("x"), headers: [] }],
  ["large deltas", { offsetDelta: 2 ** 31 - 1, timestampDelta: 2 ** 50 + 3, key: null, value: null, headers: [] }],
  ["min int32 offset delta", { offsetDelta: -(2 ** 31), timestampDelta: -(2 ** 52 - 1), key: null, value: null, headers: [] }],
];

describe("record", () => {
  it.each(SAMPLES)("round-trips %s", (_name, r) => {
    const bytes = encode(r);
    expect(bytes.length).toBe(recordSize(r));
    const { record, next } = decodeRecord(bytes, 0);
    expect(next).toBe(bytes.length);
    expect(record).toEqual(r);
    const scan = newRecordScan();
    scanRecord(bytes, 0, bytes.length, scan);
    expect(scan).toEqual({ next: bytes.length, timestampDelta: r.timestampDelta, offsetDelta: r.offsetDelta, hasKey: r.key !== null });
  });

  it("matches the spec's byte layout", () => {
    const r: Record = { offsetDelta: 1, timestampDelta: 2, key: Buffer.from("k"), value: Buffer.from("vv"), headers: [{ key: "h", value: Buffer.from("x") }] };
    // length 13 (zigzag 26 = 0x1a), attributes 0, ts 2 (4), offset 1 (2), key len 1 (2) "k",
    // value len 2 (4) "vv", 1 header (2): key len 1 "h", value len 1 "x".
    expect(encode(r).toString("hex")).toBe("1a" + "00" + "04" + "02" + "026b" + "047676" + "02" + "0268" + "0278");
  });

  it("decodes values as views into the source buffer", () => {
    const bytes = encode(SAMPLES[1]![1]);
    const { record } = decodeRecord(bytes, 0);
    expect(record.value!.buffer).toBe(bytes.buffer);
  });

  it("reads records back to back", () => {
    const bytes = Buffer.concat(SAMPLES.map(([, r]) => encode(r)));
    let p = 0;
    for (const [, r] of SAMPLES) {
      const d = decodeRecord(bytes, p);
      expect(d.record).toEqual(r);
      p = d.next;
    }
    expect(p).toBe(bytes.length);
  });

  it("rejects structural damage with INVALID_RECORD", () => {
    const good = encode(SAMPLES[3]![1]);
    const scan = newRecordScan();
    for (const bad of [
      good.subarray(0, good.length - 1), // truncated
      Buffer.concat([Buffer.from([good[0]! + 2]), good.subarray(1), Buffer.from([0])]), // size larger than the fields
      Buffer.from([0x00]), // empty body
      Buffer.from([0x0c, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00]), // key length -2
      Buffer.from([0x0a, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01]), // header count -1
      Buffer.from([0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01]), // null header key
      Buffer.from([0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x7e, 0x00]), // header key overruns
      Buffer.from([0x0e, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]), // varlong > 10 bytes
    ]) {
      expectInvalid(() => decodeRecord(bad, 0));
      expectInvalid(() => scanRecord(bad, 0, bad.length, scan));
    }
  });

  it("refuses to encode deltas that cannot be represented", () => {
    const w = new Writer();
    expect(() => encodeRecord(w, { ...SAMPLES[0]![1], timestampDelta: 2 ** 52 })).toThrow(RangeError);
    expect(() => encodeRecord(w, { ...SAMPLES[0]![1], timestampDelta: 0.5 })).toThrow(RangeError);
    expect(() => encodeRecord(w, { ...SAMPLES[0]![1], offsetDelta: 2 ** 31 })).toThrow(RangeError);
  });
});
