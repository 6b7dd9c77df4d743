// Minimal typings for the pure-JS codec packages we call, which ship none.

declare module "snappyjs" {
  /** Raw (unframed) snappy; returns a Buffer for Buffer input. */
  export function compress(data: Buffer): Buffer;
  export function uncompress(data: Buffer, maxLength?: number): Buffer;
  const snappy: { compress: typeof compress; uncompress: typeof uncompress };
  export default snappy;
}

// Only the tests use lz4js, as an independent LZ4 frame implementation.
declare module "lz4js" {
  export function compress(data: Uint8Array): Uint8Array;
  export function decompress(data: Uint8Array): Uint8Array;
  const lz4: { compress: typeof compress; decompress: typeof decompress };
  export default lz4;
}
