import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "../errors.ts";
import { Compression, compress, decompress, initCompression } from "./compression.ts";
import { noise, readHexFixture, sampleText } from "./fixtures/fixtures.ts";
import { snappyRawCompress } from "./snappy.ts";
import { xxh32 } from "./xxhash32.ts";

beforeAll(async () => {
  await initCompression();
});

const CODECS = [
  ["gzip", Compression.GZIP],
  ["snappy", Compression.SNAPPY],
  ["lz4", Compression.LZ4],
  ["zstd", Compression.ZSTD],
] as const;

const INPUTS: [string, Buffer][] = [
  ["empty", Buffer.alloc(0)],
  ["one byte", Buffer.from("x")],
  ["small text", Buffer.from("hello hello hello kafka records")],
  ["1 MiB text", sampleText(1 << 20)],
  ["1 MiB noise", noise(1 << 20)],
  ["1 MiB zeros", Buffer.alloc(1 << 20)],
];

function expectCorrupt(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected a throw").toBeInstanceOf(KafkaError);
  expect((thrown as KafkaError).code).toBe(ErrorCode.CORRUPT_MESSAGE);
}

describe.each(CODECS)("%s", (_name, codec) => {
  it.each(INPUTS)("round-trips %s", (_label, input) => {
    const packed = compress(codec, input);
    expect(decompress(codec, packed).equals(input)).toBe(true);
  });

  it("compresses text", () => {
    const text = sampleText(1 << 20);
    expect(compress(codec, text).length).toBeLessThan(text.length / 2);
  });

  it("rejects truncated input with CORRUPT_MESSAGE", () => {
    const packed = compress(codec, sampleText(200_000));
    for (const cut of [0, 1, 5, 20, packed.length >> 1, packed.length - 1]) {
      expectCorrupt(() => decompress(codec, packed.subarray(0, cut)));
    }
  });

  it("rejects garbage with CORRUPT_MESSAGE", () => {
    expectCorrupt(() => decompress(codec, noise(1000, 7)));
    expectCorrupt(() => decompress(codec, Buffer.from("definitely not compressed")));
  });

  it("answers any bit flip with data or CORRUPT_MESSAGE, never another error", () => {
    const packed = compress(codec, sampleText(100_000));
    let seed = 12345;
    for (let i = 0; i < 300; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const bad = Buffer.from(packed);
      bad[seed % bad.length] ^= 1 << (seed >>> 29);
      try {
        expect(Buffer.isBuffer(decompress(codec, bad))).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(KafkaError);
        expect((e as KafkaError).code).toBe(ErrorCode.CORRUPT_MESSAGE);
      }
    }
  });

  it("enforces the output limit", () => {
    const packed = compress(codec, Buffer.alloc(1 << 20));
    expect(decompress(codec, packed, 1 << 20).length).toBe(1 << 20);
    expectCorrupt(() => decompress(codec, packed, (1 << 20) - 1));
  });
});

describe("codec ids", () => {
  it("NONE passes data through", () => {
    const b = Buffer.from("abc");
    expect(compress(Compression.NONE, b)).toBe(b);
    expect(decompress(Compression.NONE, b)).toBe(b);
  });

  it.each([5, 6, 7, -1, 99])("codec %i is UNSUPPORTED_COMPRESSION_TYPE", (codec) => {
    for (const f of [() => compress(codec, Buffer.from("a")), () => decompress(codec, Buffer.from("a"))]) {
      expect(f).toThrow(KafkaError);
      try {
        f();
      } catch (e) {
        expect((e as KafkaError).code).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
      }
    }
  });
});

describe("gzip", () => {
  it("reads concatenated members, as GZIPInputStream does", () => {
    const both = Buffer.concat([gzipSync(Buffer.from("one ")), gzipSync(Buffer.from("two"))]);
    expect(decompress(Compression.GZIP, both).toString()).toBe("one two");
  });
});

describe("snappy", () => {
  const XERIAL_HEADER = "82534e4150505900" + "00000001" + "00000001";

  it("writes xerial framing: magic, version 1, compatible 1, length-prefixed 32 KiB chunks", () => {
    const input = sampleText(100_000);
    const framed = compress(Compression.SNAPPY, input);
    expect(framed.subarray(0, 16).toString("hex")).toBe(XERIAL_HEADER);
    let p = 16;
    let chunks = 0;
    while (p < framed.length) {
      p += 4 + framed.readInt32BE(p);
      chunks++;
    }
    expect(p).toBe(framed.length);
    expect(chunks).toBe(Math.ceil(100_000 / 32_768));
    expect(compress(Compression.SNAPPY, Buffer.alloc(0)).toString("hex")).toBe(XERIAL_HEADER);
  });

  it("reads raw (unframed) snappy, as librdkafka writes it", () => {
    const input = sampleText(300_000);
    expect(decompress(Compression.SNAPPY, snappyRawCompress(input)).equals(input)).toBe(true);
  });

  it("decodes hand-assembled raw blocks (literal, 1-byte-offset copy)", () => {
    expect(decompress(Compression.SNAPPY, Buffer.from([0x05, 0x10, ...Buffer.from("hello")])).toString()).toBe("hello");
    // "abc" literal, then copy length 9 at offset 3 (tag 0x15, offset byte 0x03).
    const abc = Buffer.from([0x0c, 0x08, 0x61, 0x62, 0x63, 0x15, 0x03]);
    expect(decompress(Compression.SNAPPY, abc).toString()).toBe("abcabcabcabc");
  });

  it("reads hand-built xerial streams, including concatenated ones", () => {
    const header = Buffer.from(XERIAL_HEADER, "hex");
    const chunk = (s: string) => {
      const raw = snappyRawCompress(Buffer.from(s));
      const len = Buffer.alloc(4);
      len.writeInt32BE(raw.length);
      return Buffer.concat([len, raw]);
    };
    const one = Buffer.concat([header, chunk("first "), chunk("second ")]);
    expect(decompress(Compression.SNAPPY, one).toString()).toBe("first second ");
    const two = Buffer.concat([one, header, chunk("third")]);
    expect(decompress(Compression.SNAPPY, two).toString()).toBe("first second third");
  });

  it("rejects a copy reaching before the output start, and a short block", () => {
    expectCorrupt(() => decompress(Compression.SNAPPY, Buffer.from([0x08, 0x15, 0x03])));
    expectCorrupt(() => decompress(Compression.SNAPPY, Buffer.from([0x06, 0x10, ...Buffer.from("hello")])));
  });
});

describe("lz4", () => {
  const text = sampleText(150_000);

  it("writes Kafka's frame: version 1, independent blocks, no checksums, 64 KiB blocks", () => {
    const frame = compress(Compression.LZ4, text);
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4]).toBe(0x60);
    expect(frame[5]).toBe(0x40);
    expect(frame[6]).toBe((xxh32(frame, 4, 6) >>> 8) & 0xff);
    expect(frame.readUInt32LE(frame.length - 4)).toBe(0);
  });

  it("reads the reference tool's linked blocks with block and content checksums and content size", () => {
    const frame = readHexFixture("lz4-cli-linked-checksums.hex");
    expect(frame[4]).toBe(0x5c);
    expect(decompress(Compression.LZ4, frame).equals(text)).toBe(true);
  });

  it("reads the reference tool's independent blocks", () => {
    expect(decompress(Compression.LZ4, readHexFixture("lz4-cli-independent.hex")).equals(text)).toBe(true);
  });

  it("verifies the descriptor, block and content checksums", () => {
    const frame = readHexFixture("lz4-cli-linked-checksums.hex");
    const badHeader = Buffer.from(frame);
    badHeader[14] ^= 0xff; // the header checksum byte (7 + 8 content-size bytes - 1)
    expectCorrupt(() => decompress(Compression.LZ4, badHeader));
    const badContent = Buffer.from(frame);
    badContent[badContent.length - 1] ^= 1;
    expectCorrupt(() => decompress(Compression.LZ4, badContent));
    const badBlock = Buffer.from(frame);
    badBlock[100] ^= 1;
    expectCorrupt(() => decompress(Compression.LZ4, badBlock));
  });

  it("skips skippable frames and reads concatenated frames", () => {
    const skippable = Buffer.from("502a4d1803000000abcdef", "hex");
    const a = compress(Compression.LZ4, Buffer.from("left "));
    const b = compress(Compression.LZ4, Buffer.from("right"));
    expect(decompress(Compression.LZ4, Buffer.concat([a, skippable, b])).toString()).toBe("left right");
  });

  it("stores incompressible blocks uncompressed", () => {
    const input = noise(70_000);
    const frame = compress(Compression.LZ4, input);
    expect(frame.readUInt32LE(7) >>> 31).toBe(1);
    expect(decompress(Compression.LZ4, frame).equals(input)).toBe(true);
  });
});

describe("zstd", () => {
  const text = sampleText(150_000);

  it("reads a streaming frame without content size (as Java's zstd-jni writes)", () => {
    const frame = readHexFixture("zstd-cli-stream.hex");
    expect(frame[4]! >>> 6).toBe(0);
    expect(decompress(Compression.ZSTD, frame).equals(text)).toBe(true);
  });

  it("reads a one-shot frame with content size and checksum", () => {
    expect(decompress(Compression.ZSTD, readHexFixture("zstd-cli-sized.hex")).equals(text)).toBe(true);
  });

  it("reads concatenated and skippable frames", () => {
    const skippable = Buffer.from("512a4d1802000000ffff", "hex");
    const frames = Buffer.concat([readHexFixture("zstd-cli-stream.hex"), skippable, compress(Compression.ZSTD, Buffer.from("tail"))]);
    expect(decompress(Compression.ZSTD, frames).equals(Buffer.concat([text, Buffer.from("tail")]))).toBe(true);
  });

  it("rejects a frame declaring more content than its blocks can hold", () => {
    // Single-segment frame, 4-byte content size 1 GiB, one last raw block of 1 byte.
    const frame = Buffer.from("28b52ffda0" + "00000040" + "090000" + "61", "hex");
    expectCorrupt(() => decompress(Compression.ZSTD, frame));
  });
});
