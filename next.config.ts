import type { NextConfig } from "next";

const config: NextConfig = {
  // Packages that load native code, WebAssembly or files next to themselves stay plain Node
  // requires instead of being bundled.
  serverExternalPackages: [
    "kafkajs",
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "@prisma/client",
    "@prisma/adapter-pg",
    "pg",
    "bcryptjs",
    "@node-rs/crc32",
    "@bokuweb/zstd-wasm",
    "fzstd",
    "lz4js",
    "snappyjs",
    "pino",
  ],
  // The console's own TypeScript settings (bundler resolution, JSX, DOM). `npm run typecheck`
  // checks them together with the rest of the repository, so the build does not repeat it.
  typescript: { tsconfigPath: "tsconfig.console.json", ignoreBuildErrors: true },
  poweredByHeader: false,
};

export default config;
