/**
 * LZ4 frame format (magic 0x184D2204), the container Kafka uses for lz4-compressed v2
 * batches (KIP-57 fixed the header checksum, so magic 2 frames are standard frames).
 *
 * Writing: independent 64 KiB blocks, no block checksums, no content size or checksum:
 * exactly what Kafka's Java producer writes, so every reader (Java, librdkafka, Go, JS)
 * accepts it. The block compressor is our own greedy single-probe matcher: lz4js was
 * tried and rejected because it can place the last match closer than 12 bytes to the
 * block end, which the reference decoder (and so librdkafka) refuses.
 *
 * Reading: a bounds-checked decoder of our own (lz4js trusts its input) that accepts any
 * standard frame: linked or independent blocks, uncompressed blocks, block and content
 * checksums (verified), content size, concatenated and skippable frames. librdkafka
 * writes the content size; some writers add checksums.
 */
import { ErrorCode, KafkaError } from "../errors.ts";
import { xxh32 } from "./xxhash32.ts";

const MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_UNCOMPRESSED = 0x80000000;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
/** BD byte for 64 KiB blocks (max-size index 4 in bits 4-6). */
const BD_64KB = 4 << 4;
const WRITE_BLOCK_SIZE = 64 * 1024;
const MIN_MATCH = 4;
/** End-of-block rules of the block format: the last 5 bytes are literals and the last
 * match starts at least 12 bytes before the end. */
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const HASH_BITS = 16;

function corrupt(detail: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `corrupt lz4 data: ${detail}`);
}

export function lz4FrameCompress(data: Buffer): Buffer {
  const blocks = Math.ceil(data.length / WRITE_BLOCK_SIZE);
  // Worst case every block is stored uncompressed: 4-byte size + raw bytes.
  const out = Buffer.allocUnsafe(7 + blocks * 4 + data.length + 4);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENT;
  out[5] = BD_64KB;
  out[6] = (xxh32(out, 4, 6) >>> 8) & 0xff;
  let o = 7;
  const scratch = Buffer.allocUnsafe(WRITE_BLOCK_SIZE + (WRITE_BLOCK_SIZE >>> 8) + 16);
  const table = new Int32Array(1 << HASH_BITS);
  for (let p = 0; p < data.length; p += WRITE_BLOCK_SIZE) {
    const end = Math.min(p + WRITE_BLOCK_SIZE, data.length);
    const n = compressBlock(data, p, end, scratch, table);
    if (n < end - p) {
      out.writeUInt32LE(n, o);
      scratch.copy(out, o + 4, 0, n);
      o += 4 + n;
    } else {
      // Incompressible: store it (high bit of the size word marks a stored block).
      out.writeUInt32LE((BLOCK_UNCOMPRESSED | (end - p)) >>> 0, o);
      data.copy(out, o + 4, p, end);
      o += 4 + end - p;
    }
  }
  out.writeUInt32LE(0, o);
  return out.subarray(0, o + 4);
}

/**
 * One raw LZ4 block for src[start, end) into dst from 0; returns its size. Matches never
 * reach before `start`, so every block is independent. `table` maps a 4-byte hash to the
 * last position seen (offset by one so that the zeroed table means "none").
 */
function compressBlock(src: Buffer, start: number, end: number, dst: Buffer, table: Int32Array): number {
  table.fill(0);
  let d = 0;
  let anchor = start;
  const matchStartLimit = end - MF_LIMIT;
  const matchEndLimit = end - LAST_LITERALS;
  let p = start;
  while (p <= matchStartLimit) {
    const seq = src.readUInt32LE(p);
    const h = Math.imul(seq, 2654435761) >>> (32 - HASH_BITS);
    const ref = table[h]! - 1;
    table[h] = p + 1;
    if (ref < start || p - ref > 0xffff || src.readUInt32LE(ref) !== seq) {
      // Skip faster through data that keeps failing to match, as the reference does.
      p += 1 + ((p - anchor) >>> 6);
      continue;
    }
    let m = p + MIN_MATCH;
    let r = ref + MIN_MATCH;
    while (m < matchEndLimit && src[m] === src[r]) {
      m++;
      r++;
    }
    d = writeSequence(src, anchor, p, dst, d, p - ref, m - p);
    p = m;
    anchor = m;
  }
  return writeSequence(src, anchor, end, dst, d, 0, 0);
}

/** Token, literals src[litStart, litEnd), then (when matchLen > 0) offset and length. */
function writeSequence(src: Buffer, litStart: number, litEnd: number, dst: Buffer, d: number, offset: number, matchLen: number): number {
  const lit = litEnd - litStart;
  const ml = matchLen > 0 ? matchLen - MIN_MATCH : 0;
  dst[d++] = (Math.min(lit, 15) << 4) | Math.min(ml, 15);
  if (lit >= 15) d = writeLength(dst, d, lit - 15);
  if (lit < 16) {
    for (let i = 0; i < lit; i++) dst[d + i] = src[litStart + i]!;
  } else {
    src.copy(dst, d, litStart, litEnd);
  }
  d += lit;
  if (matchLen === 0) return d;
  dst[d++] = offset & 0xff;
  dst[d++] = offset >>> 8;
  if (ml >= 15) d = writeLength(dst, d, ml - 15);
  return d;
}

function writeLength(dst: Buffer, d: number, n: number): number {
  while (n >= 255) {
    dst[d++] = 255;
    n -= 255;
  }
  dst[d++] = n;
  return d;
}

/** Growable output shared by all blocks of all frames (linked blocks refer back into it). */
class Output {
  buf: Buffer;
  len = 0;
  constructor(
    initial: number,
    private readonly max: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(64, Math.min(initial, max)));
  }
  /** Makes room for `n` more bytes; fails once the caller's size limit would be passed. */
  reserve(n: number): void {
    const need = this.len + n;
    if (need > this.max) throw corrupt(`decompressed size exceeds the ${this.max}-byte limit`);
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(this.max, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  /** Room for up to `n` more bytes, short of `limit` (absolute); returns the end bound. */
  reserveUpTo(n: number, limit: number): number {
    const room = Math.max(0, Math.min(n, limit - this.len, this.max - this.len));
    this.reserve(room);
    return this.len + room;
  }
}

export function lz4FrameDecompress(src: Buffer, maxOutput: number): Buffer {
  const out = new Output(src.length * 4, maxOutput);
  let p = 0;
  if (src.length === 0) throw corrupt("empty input");
  while (p < src.length) {
    if (p + 4 > src.length) throw corrupt("truncated frame magic");
    const magic = src.readUInt32LE(p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (p + 8 > src.length) throw corrupt("truncated skippable frame");
      p += 8 + src.readUInt32LE(p + 4);
      if (p > src.length) throw corrupt("truncated skippable frame");
      continue;
    }
    if (magic !== MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
    p = readFrame(src, p + 4, out);
  }
  return out.buf.subarray(0, out.len);
}

function readFrame(src: Buffer, p: number, out: Output): number {
  const descStart = p;
  if (p + 3 > src.length) throw corrupt("truncated frame descriptor");
  const flg = src[p++]!;
  const bd = src[p++]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corrupt(`unsupported frame version in FLG 0x${flg.toString(16)}`);
  if (flg & FLG_RESERVED || bd & 0x8f) throw corrupt("reserved descriptor bits set");
  const sizeIndex = (bd >> 4) & 0x7;
  if (sizeIndex < 4) throw corrupt(`bad block max size index ${sizeIndex}`);
  const blockMax = 1 << (2 * sizeIndex + 8); // 4 -> 64 KiB ... 7 -> 4 MiB
  let contentSize = -1;
  if (flg & FLG_CONTENT_SIZE) {
    if (p + 8 > src.length) throw corrupt("truncated content size");
    const size = src.readBigUInt64LE(p);
    p += 8;
    if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt("content size out of range");
    contentSize = Number(size);
  }
  if (flg & FLG_DICT_ID) throw corrupt("preset dictionaries are not supported");
  if (p >= src.length) throw corrupt("truncated frame descriptor");
  if (src[p] !== ((xxh32(src, descStart, p) >>> 8) & 0xff)) throw corrupt("frame descriptor checksum mismatch");
  p++;

  const frameStart = out.len;
  if (contentSize >= 0) out.reserve(contentSize);
  const blockChecksums = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  // Independent blocks may not refer back past their own start; linked ones may reach
  // into earlier blocks of the same frame.
  const independent = (flg & FLG_BLOCK_INDEPENDENT) !== 0;
  for (;;) {
    if (p + 4 > src.length) throw corrupt("truncated block size");
    const word = src.readUInt32LE(p);
    p += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the frame's ${blockMax}-byte maximum`);
    if (p + size + (blockChecksums ? 4 : 0) > src.length) throw corrupt("truncated block");
    if (blockChecksums && src.readUInt32LE(p + size) !== xxh32(src, p, p + size)) {
      throw corrupt("block checksum mismatch");
    }
    if (word & BLOCK_UNCOMPRESSED) {
      out.reserve(size);
      src.copy(out.buf, out.len, p, p + size);
      out.len += size;
    } else {
      const end = out.reserveUpTo(blockMax, contentSize >= 0 ? frameStart + contentSize : Number.MAX_SAFE_INTEGER);
      out.len = decodeBlock(src, p, p + size, out.buf, out.len, end, independent ? out.len : frameStart);
    }
    p += size + (blockChecksums ? 4 : 0);
  }
  if (contentSize >= 0 && out.len - frameStart !== contentSize) {
    throw corrupt(`frame declares ${contentSize} bytes but holds ${out.len - frameStart}`);
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (p + 4 > src.length) throw corrupt("truncated content checksum");
    if (src.readUInt32LE(p) !== xxh32(out.buf, frameStart, out.len)) throw corrupt("content checksum mismatch");
    p += 4;
  }
  return p;
}

/**
 * Decodes one raw LZ4 block src[s, sEnd) into dst at d (not past dEnd); matches may
 * reach back to `windowStart`. Every read and write is bounds checked: a corrupt block
 * fails instead of producing garbage. Returns the new end of output.
 */
function decodeBlock(src: Buffer, s: number, sEnd: number, dst: Buffer, d: number, dEnd: number, windowStart: number): number {
  for (;;) {
    if (s >= sEnd) throw corrupt("block ends without a final literal run");
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= sEnd) throw corrupt("truncated literal length");
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (s + lit > sEnd || d + lit > dEnd) throw corrupt("literal run out of bounds");
    if (lit < 16) {
      for (let i = 0; i < lit; i++) dst[d + i] = src[s + i]!;
    } else {
      src.copy(dst, d, s, s + lit);
    }
    s += lit;
    d += lit;
    if (s === sEnd) return d; // the last sequence is literals only
    if (s + 2 > sEnd) throw corrupt("truncated match offset");
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d - windowStart) throw corrupt(`match offset ${offset} out of range`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (s >= sEnd) throw corrupt("truncated match length");
        b = src[s++]!;
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    if (d + len > dEnd) throw corrupt("match out of bounds");
    let from = d - offset;
    if (offset >= len && len >= 32) {
      dst.copyWithin(d, from, from + len);
      d += len;
    } else {
      // Overlapping matches repeat the last `offset` bytes, so copy forward byte by byte.
      const stop = d + len;
      while (d < stop) dst[d++] = dst[from++]!;
    }
  }
}
