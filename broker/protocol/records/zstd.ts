/**
 * Zstandard for Kafka batches (standard frames; Java writes streaming frames without a
 * content size, librdkafka one-shot frames with it).
 *
 * Decompression: fzstd (pure JS, synchronous, streaming frames, concatenated and skippable
 * frames). Before handing data to it we walk the frame and block headers ourselves, which
 * rejects truncated input early and bounds the output size: a 1 MB batch could otherwise
 * declare (or RLE-expand to) gigabytes.
 *
 * Compression: the reference C library compiled to WebAssembly (@bokuweb/zstd-wasm). Its
 * module can only be instantiated asynchronously, so `initZstd()` must have resolved
 * before the first `zstdCompress()`; decompression needs no initialisation.
 */
import { compress as wasmCompress, init as wasmInit } from "@bokuweb/zstd-wasm";
import { decompress as fzstdDecompress } from "fzstd";
import { ErrorCode, KafkaError } from "../errors.ts";

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const MAX_BLOCK = 128 * 1024;
/** Kafka's default compression.zstd.level. */
export const ZSTD_DEFAULT_LEVEL = 3;

let ready = false;
let loading: Promise<void> | undefined;

export function initZstd(): Promise<void> {
  loading ??= wasmInit().then(() => {
    ready = true;
  });
  return loading;
}

export function zstdCompress(data: Buffer, level = ZSTD_DEFAULT_LEVEL): Buffer {
  if (!ready) throw new Error("zstd compression used before `await initCompression()`");
  const out = wasmCompress(data, level);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function corrupt(detail: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `corrupt zstd data: ${detail}`);
}

export function zstdDecompress(src: Buffer, maxOutput: number): Buffer {
  const { total, exact } = scanFrames(src);
  if (total > maxOutput) throw corrupt(`decompressed size ${total} exceeds the ${maxOutput}-byte limit`);
  let out: Uint8Array;
  try {
    // With every frame's size known, decode straight into one exact buffer.
    out = exact ? fzstdDecompress(src, Buffer.allocUnsafe(total)) : fzstdDecompress(src);
  } catch (e) {
    throw corrupt((e as Error).message);
  }
  if (exact && out.length !== total) throw corrupt(`frames declare ${total} bytes but hold ${out.length}`);
  if (out.length > maxOutput) throw corrupt(`decompressed size exceeds the ${maxOutput}-byte limit`);
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Walks frame and block headers without decoding. `total` is the sum of declared content
 * sizes, or for frames without one an upper bound from the block headers; `exact` says
 * every frame declared its size.
 */
function scanFrames(src: Buffer): { total: number; exact: boolean } {
  if (src.length === 0) throw corrupt("empty input");
  let p = 0;
  let total = 0;
  let exact = true;
  while (p < src.length) {
    if (p + 4 > src.length) throw corrupt("truncated frame magic");
    const magic = src.readUInt32LE(p);
    p += 4;
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      if (p + 4 > src.length) throw corrupt("truncated skippable frame");
      p += 4 + src.readUInt32LE(p);
      if (p > src.length) throw corrupt("truncated skippable frame");
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
    if (p >= src.length) throw corrupt("truncated frame header");
    const fhd = src[p++]!;
    if (fhd & 0x08) throw corrupt("reserved frame header bit set");
    const fcsFlag = fhd >>> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const hasChecksum = (fhd & 0x04) !== 0;
    const dictIdBytes = [0, 1, 2, 4][fhd & 3]!;
    const fcsBytes = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    const headerRest = (singleSegment ? 0 : 1) + dictIdBytes + fcsBytes;
    if (p + headerRest > src.length) throw corrupt("truncated frame header");
    p += (singleSegment ? 0 : 1) + dictIdBytes;
    let declared = -1;
    if (fcsBytes === 1) declared = src[p]!;
    else if (fcsBytes === 2) declared = src.readUInt16LE(p) + 256;
    else if (fcsBytes === 4) declared = src.readUInt32LE(p);
    else if (fcsBytes === 8) {
      const v = src.readBigUInt64LE(p);
      declared = v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
    }
    p += fcsBytes;
    let bound = 0;
    for (;;) {
      if (p + 3 > src.length) throw corrupt("truncated block header");
      const header = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16);
      p += 3;
      const size = header >>> 3;
      const type = (header >>> 1) & 3;
      if (type === 3) throw corrupt("reserved block type");
      if (size > MAX_BLOCK) throw corrupt(`block of ${size} bytes exceeds 128 KiB`);
      if (type === 0) {
        bound += size;
        p += size;
      } else if (type === 1) {
        bound += size; // RLE: one byte repeated `size` times
        p += 1;
      } else {
        bound += MAX_BLOCK;
        p += size;
      }
      if (p > src.length) throw corrupt("truncated block");
      if (header & 1) break;
    }
    if (hasChecksum) {
      p += 4;
      if (p > src.length) throw corrupt("truncated content checksum");
    }
    if (declared >= 0) {
      if (declared > bound) throw corrupt(`frame declares ${declared} bytes but its blocks hold at most ${bound}`);
      total += declared;
    } else {
      exact = false;
      total += bound;
    }
  }
  return { total, exact };
}
