import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Database, SqlSession } from "./database.ts";

/** The lock id `prisma migrate` takes, so this runner and Prisma's never migrate at once. */
const PRISMA_ADVISORY_LOCK = 72707369;

/** `_prisma_migrations` as Prisma's schema engine creates it on PostgreSQL. */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  /** sha256 of the file, hex: Prisma's checksum. */
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  /** Applied earlier whose file has changed since (Prisma warns about these too). */
  modified: string[];
}

export class MigrationError extends Error {}

export function defaultMigrationsDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.cwd(), "prisma", "migrations");
}

/** The migrations in Prisma's layout, in name (timestamp) order. */
export function readMigrations(dir: string = defaultMigrationsDir()): MigrationFile[] {
  // (The turbopackIgnore comments keep Next's file tracing from copying the whole project.)
  if (!existsSync(/*turbopackIgnore: true*/ dir)) throw new MigrationError(`no migrations directory at ${dir}`);
  return readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(/*turbopackIgnore: true*/ join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(/*turbopackIgnore: true*/ join(dir, name, "migration.sql"));
      return { name, sql: bytes.toString("utf8"), checksum: createHash("sha256").update(bytes).digest("hex") };
    });
}

interface AppliedRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
  logs: string | null;
}

/**
 * Applies the migrations the database lacks, as `prisma migrate deploy` would: under Prisma's
 * advisory lock, each one recorded in `_prisma_migrations` (a row when it starts, finished_at
 * and applied_steps_count = 1 when it succeeds, the error in `logs` when it fails). Unlike
 * Prisma, each script runs in a transaction, so a failed one leaves no half-applied schema.
 * A failed migration blocks later runs until it is resolved, as Prisma's P3009 does.
 */
export async function migrate(db: Database, migrations: MigrationFile[] = readMigrations()): Promise<MigrationResult> {
  return db.withSession(async (s) => {
    await s.query("SELECT pg_advisory_lock($1)", [PRISMA_ADVISORY_LOCK]);
    try {
      return await applyPending(s, migrations);
    } finally {
      await s.query("SELECT pg_advisory_unlock($1)", [PRISMA_ADVISORY_LOCK]);
    }
  });
}

async function applyPending(s: SqlSession, migrations: MigrationFile[]): Promise<MigrationResult> {
  await s.exec(CREATE_MIGRATIONS_TABLE);
  const rows = await s.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" ORDER BY started_at`,
  );
  const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed.length > 0) {
    throw new MigrationError(
      `migration ${failed[0]!.migration_name} failed earlier (${(failed[0]!.logs ?? "").split("\n")[0]}); ` +
        `fix the database, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '...') or applied`,
    );
  }
  const done = new Map(rows.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r.checksum]));
  const result: MigrationResult = { applied: [], modified: [] };
  for (const m of migrations) {
    const checksum = done.get(m.name);
    if (checksum !== undefined) {
      if (checksum !== m.checksum) result.modified.push(m.name);
      continue;
    }
    const id = randomUUID();
    await s.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
      [id, m.checksum, m.name],
    );
    try {
      await s.exec("BEGIN");
      await s.exec(m.sql);
      await s.exec("COMMIT");
    } catch (err) {
      await s.exec("ROLLBACK").catch(() => {});
      const message = err instanceof Error ? err.message : String(err);
      await s.query(`UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1`, [id, `Migration ${m.name} failed: ${message}`]);
      throw new MigrationError(`migration ${m.name} failed: ${message}`);
    }
    await s.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
    result.applied.push(m.name);
  }
  return result;
}
