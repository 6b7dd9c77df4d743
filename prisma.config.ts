import { defineConfig } from "prisma/config";

// The console applies prisma/migrations itself at start-up (server/db/migrate.ts): Prisma's
// migration engine is a native download. This config serves `prisma generate`.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/samsa" },
});
