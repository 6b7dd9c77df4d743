/**
 * Snappy as Kafka carries it. The Java client writes xerial snappy-java framing:
 *   magic 82 'S' 'N' 'A' 'P' 'P' 'Y' 00, int32 version 1, int32 min-compatible 1,
 *   then chunks of [int32 BE compressed length][raw snappy block].
 * librdkafka and several other clients write a bare raw snappy block instead, which the
 * Java broker accepts because SnappyInputStream falls back to raw when the magic is
 * missing; we do the same.
 *
 * Compression of raw blocks comes from snappyjs; the framing and a strict, bounds-checked
 * raw decoder are ours (snappyjs' decoder writes garbage on some corrupt inputs rather
 * than failing).
 */
import snappy from "snappyjs";
import { ErrorCode, KafkaError } from "../errors.ts";

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size; each chunk compresses this much input. */
const XERIAL_CHUNK = 32 * 1024;

function corrupt(detail: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `corrupt snappy data: ${detail}`);
}

export function snappyXerialCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let p = 0; p < data.length; p += XERIAL_CHUNK) {
    const block = snappy.compress(data.subarray(p, Math.min(p + XERIAL_CHUNK, data.length)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

export function snappyRawCompress(data: Buffer): Buffer {
  return snappy.compress(data);
}

function isXerialMagicAt(src: Buffer, p: number): boolean {
  return p + XERIAL_MAGIC.length <= src.length && src.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, p, p + XERIAL_MAGIC.length) === 0;
}

/** Decompresses xerial-framed or raw snappy (chosen by the leading magic, as Kafka does). */
export function snappyDecompress(src: Buffer, maxOutput: number): Buffer {
  if (!(src.length >= XERIAL_HEADER_SIZE && isXerialMagicAt(src, 0))) {
    const len = rawUncompressedLength(src, 0, src.length);
    if (len.size > maxOutput) throw corrupt(`decompressed size ${len.size} exceeds the ${maxOutput}-byte limit`);
    const out = Buffer.allocUnsafe(len.size);
    decodeRaw(src, len.next, src.length, out, 0, len.size);
    return out;
  }
  // First pass: find the chunks and their sizes, so the output is allocated once.
  const chunks: { end: number; dataStart: number; size: number }[] = [];
  let total = 0;
  let p = XERIAL_HEADER_SIZE;
  while (p < src.length) {
    // snappy-java also reads streams concatenated after one another, header and all.
    if (isXerialMagicAt(src, p)) {
      if (p + XERIAL_HEADER_SIZE > src.length) throw corrupt("truncated xerial header");
      p += XERIAL_HEADER_SIZE;
      continue;
    }
    if (p + 4 > src.length) throw corrupt("truncated xerial chunk length");
    const n = src.readInt32BE(p);
    p += 4;
    if (n < 0 || p + n > src.length) throw corrupt(`xerial chunk length ${n} out of bounds`);
    const len = rawUncompressedLength(src, p, p + n);
    total += len.size;
    if (total > maxOutput) throw corrupt(`decompressed size exceeds the ${maxOutput}-byte limit`);
    chunks.push({ end: p + n, dataStart: len.next, size: len.size });
    p += n;
  }
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const c of chunks) {
    decodeRaw(src, c.dataStart, c.end, out, o, o + c.size);
    o += c.size;
  }
  return out;
}

/** The varint uncompressed length that starts every raw snappy block. */
function rawUncompressedLength(src: Buffer, p: number, end: number): { size: number; next: number } {
  let size = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (p >= end) throw corrupt("truncated length preamble");
    const b = src[p++]!;
    size += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (size > 0xffffffff) break;
      return { size, next: p };
    }
  }
  throw corrupt("bad length preamble");
}

/** Decodes raw snappy elements src[s, sEnd) into exactly dst[d, dEnd). */
function decodeRaw(src: Buffer, s: number, sEnd: number, dst: Buffer, d: number, dEnd: number): void {
  const dStart = d;
  while (s < sEnd) {
    const tag = src[s++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = (tag >>> 2) + 1;
      if (len > 60) {
        const n = len - 60; // 1-4 little-endian length bytes follow
        if (s + n > sEnd) throw corrupt("truncated literal length");
        len = 0;
        for (let i = 0; i < n; i++) len += src[s + i]! * 2 ** (8 * i);
        len += 1;
        s += n;
      }
      if (s + len > sEnd || d + len > dEnd) throw corrupt("literal out of bounds");
      if (len < 16) {
        for (let i = 0; i < len; i++) dst[d + i] = src[s + i]!;
      } else {
        src.copy(dst, d, s, s + len);
      }
      s += len;
      d += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (s + 1 > sEnd) throw corrupt("truncated copy");
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[s++]!;
    } else if (kind === 2) {
      if (s + 2 > sEnd) throw corrupt("truncated copy");
      len = (tag >>> 2) + 1;
      offset = src.readUInt16LE(s);
      s += 2;
    } else {
      if (s + 4 > sEnd) throw corrupt("truncated copy");
      len = (tag >>> 2) + 1;
      offset = src.readUInt32LE(s);
      s += 4;
    }
    if (offset === 0 || offset > d - dStart) throw corrupt(`copy offset ${offset} out of range`);
    if (d + len > dEnd) throw corrupt("copy out of bounds");
    let from = d - offset;
    if (offset >= len && len >= 32) {
      dst.copyWithin(d, from, from + len);
      d += len;
    } else {
      const stop = d + len;
      while (d < stop) dst[d++] = dst[from++]!;
    }
  }
  if (d !== dEnd) throw corrupt(`block yields ${d - dStart} bytes, preamble says ${dEnd - dStart}`);
}
