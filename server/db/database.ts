import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/client.ts";

/** Plain SQL on the database's own driver, for the migration runner. */
export interface SqlSession {
  /** Runs a script of one or more statements (no parameters). */
  exec(sql: string): Promise<void>;
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface Database {
  readonly kind: "postgres" | "pglite";
  /** Where it is, for logs: the data dir or the server URL without its password. */
  readonly location: string;
  readonly prisma: PrismaClient;
  /** Runs `fn` on one session (one pooled connection on a server), for migrations. */
  withSession<T>(fn: (s: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL server (postgresql://...); when absent, PGlite in `pgliteDir`. */
  url?: string | null;
  pgliteDir?: string;
  /** How long to wait for a server connection before failing (ms). */
  connectTimeoutMs?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.connectTimeoutMs ?? 5000);
  if (!options.pgliteDir) throw new Error("openDatabase needs a URL or a PGlite directory");
  return openPglite(options.pgliteDir);
}

function openPostgres(url: string, connectTimeoutMs: number): Database {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, max: 10 });
  // An idle client whose server went away emits an error; the next query reports it instead.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    kind: "postgres",
    location: redact(url),
    prisma,
    async withSession(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (sql) => void (await client.query(sql)),
          query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        });
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(dir: string): Promise<Database> {
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  return {
    kind: "pglite",
    location: dir,
    prisma,
    async withSession(fn) {
      return fn({
        exec: async (sql) => void (await db.exec(sql)),
        query: async <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
      });
    },
    async close() {
      await prisma.$disconnect();
      if (!db.closed) await db.close();
    },
  };
}

/** The PGlite directory under the console's data dir. */
export function pgliteDirFor(dataDir: string): string {
  return join(dataDir, "console");
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable DATABASE_URL)";
  }
}
