import { rmSync } from "node:fs";
import pg from "pg";
import { POSTGRES_ADMIN_URL } from "./postgres.ts";
import { takeState } from "./state.ts";

/** Stops the console (Ctrl-C: it stops its cluster too), drops the database, removes the data. */
export default async function globalTeardown(): Promise<void> {
  const s = takeState();
  if (!s) return;
  try {
    process.kill(s.pid, "SIGINT");
    const end = Date.now() + 30_000;
    while (Date.now() < end && alive(s.pid)) await new Promise((r) => setTimeout(r, 100));
    if (alive(s.pid)) process.kill(s.pid, "SIGKILL");
  } catch {
    // already gone
  }
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${s.databaseName}" WITH (FORCE)`).finally(() => client.end());
  rmSync(s.dataDir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
