// The console's audit store, migration runner and action path against both databases it
// supports: PGlite in a temp dir and a real PostgreSQL database created for the test.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ActionRefused, runAction, type ActionDefinition } from "../server/actions/run-action.ts";
import { UserStore } from "../server/auth/users.ts";
import { AuditStore } from "../server/db/audit.ts";
import { openDatabase, type Database } from "../server/db/database.ts";
import { migrate, readMigrations, MigrationError } from "../server/db/migrate.ts";
import { subjectParts } from "../server/kafka/state-change-subject.ts";
import { StateChangeStore } from "../server/db/state-changes.ts";
import { ClusterError } from "../server/kafka/errors.ts";
import { createTempPostgres, type TempPostgres } from "../e2e/support/postgres.ts";

const MIGRATIONS_DIR = join(import.meta.dirname, "..", "prisma", "migrations");

/** A stand-in cluster call that counts how often it ran. */
function probe(result: () => Promise<string>) {
  const calls: string[] = [];
  const def: ActionDefinition<z.ZodObject<{ name: z.ZodString }>, string, Record<string, never>> = {
    name: "topic.create",
    role: "operator",
    input: z.object({ name: z.string().min(1, "Enter a topic name") }),
    audit: (i) => ({ topic: i.name }),
    run: async (i) => {
      calls.push(i.name);
      return result();
    },
  };
  return { def, calls };
}

const operator = { username: "olga", role: "operator" as const };
const viewer = { username: "victor", role: "viewer" as const };

type Backend = { name: string; open: () => Promise<Database>; cleanup: () => Promise<void>; unreachable: () => Promise<Database> };

const dirs: string[] = [];
let pgTemp: TempPostgres;

beforeAll(async () => {
  pgTemp = await createTempPostgres("samsa_console_audit");
});

afterAll(async () => {
  await pgTemp?.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const backends: Backend[] = [
  {
    name: "PGlite",
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), "samsa-pglite-"));
      dirs.push(dir);
      return openDatabase({ pgliteDir: dir });
    },
    cleanup: async () => {},
    // An embedded database that is gone: the handle is closed under the console.
    unreachable: async () => {
      const dir = mkdtempSync(join(tmpdir(), "samsa-pglite-"));
      dirs.push(dir);
      const db = await openDatabase({ pgliteDir: dir });
      await migrate(db, readMigrations(MIGRATIONS_DIR));
      await db.close();
      return db;
    },
  },
  {
    name: "PostgreSQL",
    open: async () => openDatabase({ url: pgTemp.url }),
    cleanup: async () => {},
    // A server that does not answer (nothing listens on the port).
    unreachable: async () => openDatabase({ url: pgTemp.unreachableUrl, connectTimeoutMs: 2000 }),
  },
];

describe.each(backends)("console audit store on $name", (backend) => {
  let db: Database;
  let audit: AuditStore;

  beforeAll(async () => {
    db = await backend.open();
    await migrate(db, readMigrations(MIGRATIONS_DIR));
    audit = new AuditStore(db.prisma);
  });

  afterAll(async () => {
    await db?.close();
  });

  it("records applied migrations in _prisma_migrations as Prisma does, once", async () => {
    const again = await migrate(db, readMigrations(MIGRATIONS_DIR));
    expect(again.applied).toEqual([]);
    const rows = await db.withSession((s) => s.query<Record<string, unknown>>(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`));
    expect(rows.map((r) => r.migration_name)).toEqual(readMigrations(MIGRATIONS_DIR).map((m) => m.name));
    const row = rows[0]!;
    const file = readFileSync(join(MIGRATIONS_DIR, "20251121000000_init", "migration.sql"));
    expect(row.migration_name).toBe("20251121000000_init");
    expect(row.checksum).toBe(createHash("sha256").update(file).digest("hex"));
    expect(row.finished_at).not.toBeNull();
    expect(row.rolled_back_at).toBeNull();
    expect(row.logs).toBeNull();
    expect(row.applied_steps_count).toBe(1);
    expect(String(row.id)).toMatch(/^[0-9a-f-]{36}$/);
    // The columns Prisma's schema engine creates, with its types.
    const cols = await db.withSession((s) =>
      s.query<{ column_name: string; data_type: string }>(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
      ),
    );
    expect(cols.map((c) => `${c.column_name}:${c.data_type}`)).toEqual([
      "id:character varying",
      "checksum:character varying",
      "finished_at:timestamp with time zone",
      "migration_name:character varying",
      "logs:text",
      "rolled_back_at:timestamp with time zone",
      "started_at:timestamp with time zone",
      "applied_steps_count:integer",
    ]);
  });

  it("writes every model of the Prisma schema (the SQL migration matches it)", async () => {
    const users = new UserStore(db.prisma);
    await users.create(`u-${backend.name}`, "secret-password", "viewer");
    expect(await users.verify(`u-${backend.name}`, "secret-password")).toEqual({ username: `u-${backend.name}`, role: "viewer" });
    expect(await users.verify(`u-${backend.name}`, "wrong")).toBeNull();
    const changes = new StateChangeStore(db.prisma);
    const event = { machine: "partition", subject: "t-0", from: "NewPartition", to: "OnlinePartition", cause: "leader elected", details: { leader: 0, isr: [0] }, node: 0, epoch: 1, at: 1_700_000_000_000, source: "state-changes" as const };
    await changes.insert("cluster-a", [
      { ...event, offset: 41 },
      { ...event, offset: 42 },
    ]);
    expect(await changes.lastOffset("cluster-a")).toBe(42);
    expect(await changes.lastOffset("cluster-b")).toBeNull();
    const recent = (await changes.history("cluster-a", { pageSize: 5 })).rows;
    expect(recent[0]).toMatchObject({ machine: "partition", subject: "t-0", to: "OnlinePartition", details: { leader: 0, isr: [0] }, offset: 42 });
    await db.prisma.setting.create({ data: { key: "k", value: "v" } });
    expect((await db.prisma.setting.findUnique({ where: { key: "k" } }))?.value).toBe("v");
  });

  it("runs an allowed action once, with a pending record completed as ok", async () => {
    const { def, calls } = probe(async () => "done");
    const r = await runAction(def, { audit, clusterName: "local", context: {} }, operator, { name: "orders" });
    expect(r).toEqual({ ok: true, data: "done" });
    expect(calls).toEqual(["orders"]);
    const { rows } = await audit.list({ actor: "olga", action: "topic.create" });
    expect(rows[0]).toMatchObject({ actor: "olga", role: "operator", action: "topic.create", parameters: { topic: "orders" }, outcome: "ok", error: null, cluster: "local" });
    expect(rows[0]!.finishedAt).not.toBeNull();
  });

  it("records the cluster's refusal as the outcome, with Kafka's error", async () => {
    const { def } = probe(async () => {
      throw new ClusterError("INVALID_REPLICATION_FACTOR", "Replication factor 3 is larger than the 1 available brokers", "replicationFactor");
    });
    const r = await runAction(def, { audit, clusterName: "local", context: {} }, operator, { name: "bad" });
    expect(r).toMatchObject({ ok: false, code: "INVALID_REPLICATION_FACTOR", fieldErrors: { replicationFactor: expect.stringContaining("larger than") } });
    const { rows } = await audit.list({ outcome: "error", action: "topic.create" });
    expect(rows[0]).toMatchObject({ parameters: { topic: "bad" }, outcome: "error", error: "INVALID_REPLICATION_FACTOR: Replication factor 3 is larger than the 1 available brokers" });
  });

  it("refuses a role that is too low on the server, audits the refusal and never runs the action", async () => {
    const { def, calls } = probe(async () => "done");
    const r = await runAction(def, { audit, clusterName: "local", context: {} }, viewer, { name: "orders" });
    expect(r).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(calls).toEqual([]);
    const { rows } = await audit.list({ actor: "victor" });
    expect(rows[0]).toMatchObject({ action: "topic.create", outcome: "error", error: expect.stringContaining("forbidden") });
    expect((await runAction(def, { audit, clusterName: "local", context: {} }, null, { name: "x" })).ok).toBe(false);
    expect(calls).toEqual([]);
  });

  it("returns field errors for invalid input without auditing or running", async () => {
    const { def, calls } = probe(async () => "done");
    const before = (await audit.list()).total;
    const r = await runAction(def, { audit, clusterName: "local", context: {} }, operator, { name: "" });
    expect(r).toMatchObject({ ok: false, code: "INVALID_INPUT", fieldErrors: { name: "Enter a topic name" } });
    expect(calls).toEqual([]);
    expect((await audit.list()).total).toBe(before);
  });

  it("records console refusals (ActionRefused) with their field", async () => {
    const { def } = probe(async () => {
      throw new ActionRefused("USER_EXISTS", "User x already exists", "name");
    });
    const r = await runAction(def, { audit, clusterName: "local", context: {} }, operator, { name: "x" });
    expect(r).toMatchObject({ ok: false, code: "USER_EXISTS", fieldErrors: { name: "User x already exists" } });
  });

  it("filters the history by actor, action and outcome, newest first, paged", async () => {
    for (let i = 0; i < 3; i++) await audit.record({ actor: "pager", role: "admin", action: "user.create", parameters: { i }, cluster: "local", outcome: i === 1 ? "error" : "ok" });
    const all = await audit.list({ actor: "pager" });
    expect(all.total).toBe(3);
    expect(all.rows.map((r) => r.parameters.i)).toEqual([2, 1, 0]);
    expect((await audit.list({ actor: "pager", outcome: "error" })).rows.map((r) => r.parameters.i)).toEqual([1]);
    const page2 = await audit.list({ actor: "pager", page: 2, pageSize: 2 });
    expect(page2.rows.map((r) => r.parameters.i)).toEqual([0]);
    const facets = await audit.facets();
    expect(facets.actors).toEqual(expect.arrayContaining(["olga", "victor", "pager"]));
    expect(facets.actions).toEqual(expect.arrayContaining(["topic.create", "user.create"]));
  });

  it("does not run an action whose audit record cannot be written (database unreachable), and says why", async () => {
    const gone = await backend.unreachable();
    try {
      const { def, calls } = probe(async () => "done");
      const r = await runAction(def, { audit: new AuditStore(gone.prisma), clusterName: "local", context: {} }, operator, { name: "orders" });
      expect(r).toMatchObject({ ok: false, code: "AUDIT_UNAVAILABLE" });
      if (!r.ok) {
        expect(r.error).toMatch(/^The action was not run because its audit record could not be written \(the audit database is unreachable\)\.$/);
      }
      expect(calls).toEqual([]);
    } finally {
      await gone.close().catch(() => {});
    }
  });
});

describe("console audit store on PostgreSQL that goes away", () => {
  it("refuses to run once the server drops the connections", async () => {
    const temp = await createTempPostgres("samsa_console_gone");
    const db = await openDatabase({ url: temp.url, connectTimeoutMs: 2000 });
    try {
      await migrate(db, readMigrations(MIGRATIONS_DIR));
      const audit = new AuditStore(db.prisma);
      const { def, calls } = probe(async () => "done");
      expect((await runAction(def, { audit, clusterName: "local", context: {} }, operator, { name: "a" })).ok).toBe(true);
      await temp.drop(); // terminates the console's connections, then removes the database
      const r = await runAction(def, { audit, clusterName: "local", context: {} }, operator, { name: "b" });
      expect(r).toMatchObject({ ok: false, code: "AUDIT_UNAVAILABLE" });
      expect(calls).toEqual(["a"]);
    } finally {
      await db.close().catch(() => {});
      await temp.drop();
    }
  });
});

describe("migration runner", () => {
  it("upgrades stored state changes: the topic and broker columns are filled in for rows written before them", async () => {
    const db = await openDatabase({ pgliteDir: mkdtempSync(join(tmpdir(), "samsa-pglite-")) });
    try {
      const [init, ...later] = readMigrations(MIGRATIONS_DIR);
      expect(later.map((m) => m.name)).toContain("20261121000000_state_change_topic_broker");
      await migrate(db, [init!]);
      const rows: [string, string][] = [
        ["partition", "orders-3"],
        ["replica", "orders-archive-12@2"],
        ["reassignment", "a-b-0"],
        ["broker", "7"],
        ["group", "payments-1"],
        ["controller", "controller"],
      ];
      await db.withSession(async (s) => {
        for (const [machine, subject] of rows) {
          await s.query(`INSERT INTO "state_changes" ("cluster", "machine", "subject", "from", "to", "cause", "node", "epoch", "at") VALUES ('c', '${machine}', '${subject}', 'A', 'B', 'x', 0, 0, now())`);
        }
      });
      await migrate(db, readMigrations(MIGRATIONS_DIR));
      const upgraded = await db.withSession((s) => s.query<{ machine: string; subject: string; topic: string | null; broker: number | null }>(`SELECT machine, subject, topic, broker FROM "state_changes" ORDER BY id`));
      expect(upgraded.map((r) => [r.subject, r.topic, r.broker])).toEqual([
        ["orders-3", "orders", null],
        ["orders-archive-12@2", "orders-archive", 2],
        ["a-b-0", "a-b", null],
        ["7", null, 7],
        ["payments-1", null, null], // a group named like a partition is not one
        ["controller", null, null],
      ]);
      // The same answers as the code that fills them in for new rows.
      for (const r of upgraded) expect(subjectParts(r.machine, r.subject)).toEqual({ topic: r.topic, broker: r.broker });
    } finally {
      await db.close();
    }
  });

  it("records a failed migration with its error, leaves no half-applied schema, and refuses to go on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "samsa-migrations-"));
    dirs.push(dir);
    mkdirSync(join(dir, "20250101000000_one"));
    writeFileSync(join(dir, "20250101000000_one", "migration.sql"), `CREATE TABLE "one" ("id" INTEGER NOT NULL);\n`);
    mkdirSync(join(dir, "20250102000000_two"));
    writeFileSync(join(dir, "20250102000000_two", "migration.sql"), `CREATE TABLE "two" ("id" INTEGER);\nALTER TABLE "nope" ADD COLUMN "x" INTEGER;\n`);
    const db = await openDatabase({ pgliteDir: mkdtempSync(join(tmpdir(), "samsa-pglite-")) });
    try {
      await expect(migrate(db, readMigrations(dir))).rejects.toThrow(MigrationError);
      const rows = await db.withSession((s) => s.query<{ migration_name: string; finished_at: unknown; logs: string | null }>(`SELECT migration_name, finished_at, logs FROM "_prisma_migrations" ORDER BY migration_name`));
      expect(rows.map((r) => [r.migration_name, r.finished_at !== null])).toEqual([
        ["20250101000000_one", true],
        ["20250102000000_two", false],
      ]);
      expect(rows[1]!.logs).toMatch(/nope/);
      const two = await db.withSession((s) => s.query(`SELECT to_regclass('two') AS t`));
      expect(two[0]!.t).toBeNull();
      await expect(migrate(db, readMigrations(dir))).rejects.toThrow(/failed earlier/);
    } finally {
      await db.close();
    }
  });
});
