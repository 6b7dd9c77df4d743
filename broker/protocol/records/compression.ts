/**
 * Record batch compression codecs (attributes bits 0-2). A compressed v2 batch holds one
 * compressed stream of its whole records section (everything after the 61-byte header).
 *
 * All codecs run synchronously. Only zstd *compression* needs the WebAssembly module to be
 * loaded first: call `await initCompression()` once at startup (idempotent). Decompression
 * of every codec, including zstd, works without it, so the produce path never depends on it.
 *
 * Errors: an unknown codec id is UNSUPPORTED_COMPRESSION_TYPE; any failure to decompress
 * (corrupt, truncated, or larger than `maxOutput`) is CORRUPT_MESSAGE, never another kind
 * of exception.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { ErrorCode, KafkaError } from "../errors.ts";
import { lz4FrameCompress, lz4FrameDecompress } from "./lz4-frame.ts";
import { snappyDecompress, snappyXerialCompress } from "./snappy.ts";
import { initZstd, zstdCompress, zstdDecompress } from "./zstd.ts";

export const Compression = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;
export type CompressionCodec = (typeof Compression)[keyof typeof Compression];

const NAMES = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

/**
 * Default ceiling on one batch's decompressed records: far above anything a sane
 * producer sends (Kafka's max.message.bytes defaults to 1 MiB compressed), low enough
 * that a decompression bomb can't take the broker's memory.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export function codecName(codec: number): string {
  return NAMES[codec] ?? `codec-${codec}`;
}

export function isKnownCodec(codec: number): codec is CompressionCodec {
  return Number.isInteger(codec) && codec >= 0 && codec <= 4;
}

/** Loads the zstd encoder (WebAssembly). Await once before zstd `compress`. */
export function initCompression(): Promise<void> {
  return initZstd();
}

function unsupported(codec: number): KafkaError {
  return new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unsupported compression codec ${codec}`);
}

export function compress(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Compression.NONE:
      return data;
    case Compression.GZIP:
      return gzipSync(data);
    case Compression.SNAPPY:
      return snappyXerialCompress(data);
    case Compression.LZ4:
      return lz4FrameCompress(data);
    case Compression.ZSTD:
      return zstdCompress(data);
    default:
      throw unsupported(codec);
  }
}

export function decompress(codec: number, data: Buffer, maxOutput = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  try {
    switch (codec) {
      case Compression.NONE:
        return data;
      case Compression.GZIP:
        // Node's gunzip also reads concatenated gzip members, as GZIPInputStream does.
        return gunzipSync(data, { maxOutputLength: maxOutput });
      case Compression.SNAPPY:
        return snappyDecompress(data, maxOutput);
      case Compression.LZ4:
        return lz4FrameDecompress(data, maxOutput);
      case Compression.ZSTD:
        return zstdDecompress(data, maxOutput);
      default:
        throw unsupported(codec);
    }
  } catch (e) {
    if (e instanceof KafkaError) throw e;
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `corrupt ${codecName(codec)} data: ${(e as Error)?.message ?? String(e)}`);
  }
}
