import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import pg from "pg";

/** The PostgreSQL server of development and CI machines (trust auth). */
export const POSTGRES_ADMIN_URL = process.env.SAMSA_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TempPostgres {
  name: string;
  url: string;
  /** A URL to a port where nothing listens. */
  unreachableUrl: string;
  /** Terminates its connections and drops it (idempotent). */
  drop(): Promise<void>;
}

/** A fresh database on the local server, for one test file. */
export async function createTempPostgres(prefix: string): Promise<TempPostgres> {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const base = new URL(POSTGRES_ADMIN_URL);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const dead = new URL(url);
  dead.port = String(await closedPort());
  let dropped = false;
  return {
    name,
    url: url.toString(),
    unreachableUrl: dead.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A loopback port that was free a moment ago (nothing listens on it). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address();
      const port = typeof a === "object" && a ? a.port : 1;
      srv.close(() => resolve(port));
    });
  });
}
