import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  DEFAULT_OUT_DIR,
  DEFAULT_SCHEMA_DIR,
  HEADER,
  SCHEMA_FOLDERS,
  generate,
  parseVersions,
  stripJsonComments,
} from "./generate-protocol.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SCHEMA_DIR = resolve(process.env.SAMSA_PROTOCOL_DIR ?? DEFAULT_SCHEMA_DIR);
const HAVE_SCHEMAS = SCHEMA_FOLDERS.every((f) => existsSync(join(SCHEMA_DIR, f)));
if (!HAVE_SCHEMAS) console.warn(`generate-protocol.test: skipping drift checks, no schemas at ${SCHEMA_DIR}`);

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "samsa-gen-"));
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

describe("schema parsing helpers", () => {
  it("parses Kafka version ranges", () => {
    expect(parseVersions("0+")).toEqual({ lo: 0, hi: 32767 });
    expect(parseVersions("3-7")).toEqual({ lo: 3, hi: 7 });
    expect(parseVersions("5")).toEqual({ lo: 5, hi: 5 });
    expect(parseVersions("none")).toBeNull();
    expect(() => parseVersions("1..2")).toThrow();
  });

  it("strips // comments but not // inside strings", () => {
    const text = `// head\n{ "a": "http://x", // tail\n "b": "q\\"//" }`;
    expect(JSON.parse(stripJsonComments(text))).toEqual({ a: "http://x", b: 'q"//' });
  });
});

describe("generator on synthetic schemas", () => {
  function schemaDir(message: object, extra: Record<string, object> = {}): string {
    const dir = tempDir();
    for (const f of SCHEMA_FOLDERS) mkdirSync(join(dir, f));
    writeFileSync(join(dir, "message", "ThingRequest.json"), `// c\n${JSON.stringify(message)}`);
    for (const [name, m] of Object.entries(extra)) writeFileSync(join(dir, "metadata", `${name}.json`), JSON.stringify(m));
    return dir;
  }
  const base = { type: "data", name: "ThingRequest", validVersions: "0-3", flexibleVersions: "2+" };

  it("renames locals that would clash with reserved words and parses hex/int64 defaults", () => {
    const dir = schemaDir({
      ...base,
      fields: [
        { name: "Default", type: "int32", versions: "0+", default: "0x7fffffff" },
        { name: "Delete", type: "int64", versions: "1+", default: "-1" },
        { name: "Version", type: "string", versions: "0+" },
      ],
    });
    const out = generate(dir).files.get("message/ThingRequest.ts")!;
    expect(out.startsWith(HEADER)).toBe(true);
    expect(out).toContain("return { default: 2147483647, delete: -1n, version: \"\" };");
    expect(out).toContain("const default_: number = r.int32();");
    expect(out).toContain("let delete_: bigint = -1n;");
    expect(out).toContain("return { default: default_, delete: delete_, version: version_ };");
    expect(out).not.toContain("about");
  });

  it("rejects schemas it cannot represent faithfully", () => {
    expect(() => generate(schemaDir({ ...base, fields: [{ name: "X", type: "[]Nope", versions: "0+" }] }))).toThrow(/unknown struct/);
    expect(() =>
      generate(schemaDir({ ...base, fields: [{ name: "X", type: "string", versions: "0+", nullableVersions: "1+", default: "null" }] })),
    ).toThrow(/null default/);
    expect(() => generate(schemaDir({ ...base, fields: [{ name: "X", type: "int32", versions: "0+", tag: 0, taggedVersions: "1+" }] }))).toThrow(
      /tagged versions outside flexible/,
    );
    expect(() => generate(schemaDir({ ...base, validVersions: "0-x", fields: [] }))).toThrow(/invalid versions/);
  });

  it("is deterministic", () => {
    const dir = schemaDir({ ...base, fields: [{ name: "A", type: "[]Sub", versions: "0+", fields: [{ name: "B", type: "uuid", versions: "0+" }] }] });
    const a = generate(dir).files;
    const b = generate(dir).files;
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(b.get(k)).toBe(v);
  });
});

describe.skipIf(!HAVE_SCHEMAS)("committed output", () => {
  it("is what the generator produces now (no drift)", () => {
    const out = tempDir();
    const tsx = join(REPO, "node_modules", ".bin", "tsx");
    const run = spawnSync(tsx, [join(REPO, "scripts", "generate-protocol.ts"), "--out", out], {
      env: { ...process.env, SAMSA_PROTOCOL_DIR: SCHEMA_DIR },
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const fresh = listFiles(out);
    const committed = listFiles(DEFAULT_OUT_DIR);
    expect(committed).toEqual(fresh);
    const differing = fresh.filter((f) => !readFileSync(join(out, f)).equals(readFileSync(join(DEFAULT_OUT_DIR, f))));
    expect(differing, "run `npm run generate` and commit the result").toEqual([]);
  }, 60_000);

  it("writes one module per schema plus the registries", () => {
    const files = listFiles(DEFAULT_OUT_DIR);
    let schemas = 0;
    for (const f of SCHEMA_FOLDERS) schemas += readdirSync(join(SCHEMA_DIR, f)).filter((n) => n.endsWith(".json")).length;
    expect(files.length).toBe(schemas + 4);
    expect(files).toEqual(expect.arrayContaining(["apis.ts", "index.ts", "support.ts", "metadata-records.ts", "message/ProduceRequest.ts"]));
    for (const f of files) expect(readFileSync(join(DEFAULT_OUT_DIR, f), "utf8").startsWith(HEADER)).toBe(true);
  });
});
