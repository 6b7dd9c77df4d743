// The console runtime's first start on its default database (PGlite under the data dir, no
// DATABASE_URL, no SAMSA_ADMIN_PASSWORD): the migrations are applied, an admin password is
// generated and printed once, and it signs in; the next start prints no password. The
// cluster is unreachable here, which must not keep the console from starting.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { loadConfig } from "../server/config.ts";
import { startRuntime } from "../server/runtime.ts";

const dir = mkdtempSync(join(tmpdir(), "samsa-first-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(): Promise<{ printed: string[]; rt: Awaited<ReturnType<typeof startRuntime>> }> {
  const printed: string[] = [];
  const config = loadConfig({ SAMSA_DATA_DIR: dir, KAFKA_BROKERS: "127.0.0.1:1", PORT: "3999" });
  const rt = await startRuntime(config, { print: (s) => printed.push(s) });
  return { printed, rt };
}

it("generates the first admin's password, prints it once, and it signs in", async () => {
  const first = await start();
  let password: string;
  try {
    expect(first.rt.db.kind).toBe("pglite");
    expect(first.printed.some((l) => /applied migrations .*20251121000000_init/.test(l))).toBe(true);
    const line = first.printed.find((l) => l.includes("password:"));
    expect(line).toBeDefined();
    password = line!.split("password:")[1]!.trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(first.printed.join("\n")).toContain("This is shown only once. Sign in at http://localhost:3999/login");
    expect(await first.rt.users.verify("admin", password)).toEqual({ username: "admin", role: "admin" });
    expect(await first.rt.users.verify("admin", "not-the-password")).toBeNull();
  } finally {
    await first.rt.close();
  }

  const second = await start();
  try {
    expect(second.printed).toEqual([]); // nothing to migrate, no password shown again
    expect(await second.rt.users.verify("admin", password)).toEqual({ username: "admin", role: "admin" });
  } finally {
    await second.rt.close();
  }
});
