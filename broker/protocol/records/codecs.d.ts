// Minimal typings for snappyjs, which ships none.

declare module "snappyjs" {
  /** Raw (unframed) snappy; returns a Buffer for Buffer input. */
  export function compress(data: Buffer): Buffer;
  const snappy: { compress: typeof compress };
  export default snappy;
}
