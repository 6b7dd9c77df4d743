// The generated Prisma client is committed (a fresh clone needs no generation step); this
// regenerates it from prisma/schema.prisma into a temp dir and fails when they differ.
// Prisma's CLI wants a schema-engine binary it never runs for `generate`; offline it cannot
// download one, so PRISMA_SCHEMA_ENGINE_BINARY points at any existing file (node itself).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, expect, it } from "vitest";
import { describeRun, run } from "./helpers/run.ts";

const ROOT = join(import.meta.dirname, "..");
const COMMITTED = join(ROOT, "server", "db", "generated");
const tmp = mkdtempSync(join(tmpdir(), "samsa-prisma-"));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, "utf8"));
    }
  };
  walk(dir);
  return out;
}

it("the committed Prisma client matches prisma/schema.prisma (run `npm run db:generate` after changing it)", async () => {
  // The same layout in a temp dir, so the relative output path (kept in the client) is equal.
  mkdirSync(join(tmp, "prisma"));
  writeFileSync(join(tmp, "prisma", "schema.prisma"), readFileSync(join(ROOT, "prisma", "schema.prisma")));
  const r = await run(process.execPath, [join(ROOT, "node_modules", "prisma", "build", "index.js"), "generate", "--schema", join(tmp, "prisma", "schema.prisma")], {
    timeoutMs: 60_000,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
  });
  expect(r.code, describeRun(r)).toBe(0);
  const fresh = files(join(tmp, "server", "db", "generated"));
  const committed = files(COMMITTED);
  expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
  for (const [name, text] of fresh) expect(committed.get(name), `server/db/generated/${name} is out of date`).toBe(text);
});
