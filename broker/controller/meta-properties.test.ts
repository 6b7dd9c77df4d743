import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureMetaProperties, MetaPropertiesError, readMetaProperties, writeMetaProperties } from "./meta-properties.ts";
import { randomUuid } from "./uuid.ts";

const roots: string[] = [];
afterEach(() => {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true });
});

function root(): string {
  const d = mkdtempSync(join(tmpdir(), "samsa-meta-"));
  roots.push(d);
  return d;
}

describe("meta.properties", () => {
  it("formats every directory on first start and keeps the identity afterwards", () => {
    const r = root();
    const dirs = [join(r, "a"), join(r, "b")];
    const first = ensureMetaProperties({ dirs, nodeId: 4 });
    expect(first.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const text = readFileSync(join(dirs[0]!, "meta.properties"), "utf8");
    expect(text).toContain("version=1\n");
    expect(text).toContain(`cluster.id=${first.clusterId}\n`);
    expect(text).toContain("node.id=4\n");
    const ids = [...first.directoryIds.values()];
    expect(new Set(ids).size).toBe(2);
    expect(readMetaProperties(dirs[1]!)).toEqual({ version: 1, clusterId: first.clusterId, nodeId: 4, directoryId: ids[1] });

    const again = ensureMetaProperties({ dirs, nodeId: 4 });
    expect(again).toEqual(first);
    // A new directory joins the existing cluster.
    const more = ensureMetaProperties({ dirs: [...dirs, join(r, "c")], nodeId: 4 });
    expect(more.clusterId).toBe(first.clusterId);
    expect(readMetaProperties(join(r, "c"))!.clusterId).toBe(first.clusterId);
  });

  it("refuses a different node id or cluster id", () => {
    const r = root();
    const dirs = [join(r, "a"), join(r, "b")];
    const { clusterId } = ensureMetaProperties({ dirs, nodeId: 1 });
    expect(() => ensureMetaProperties({ dirs, nodeId: 2 })).toThrow(/Stored node id 1 doesn't match previous node id 2/);
    expect(() => ensureMetaProperties({ dirs, nodeId: 1, clusterId: randomUuid() })).toThrow(
      new RegExp(`Invalid cluster.id in: .*meta.properties. Expected .*, but read ${clusterId}`),
    );
    writeMetaProperties(dirs[1]!, { version: 1, clusterId: randomUuid(), nodeId: 1, directoryId: randomUuid() });
    expect(() => ensureMetaProperties({ dirs, nodeId: 1 })).toThrow(MetaPropertiesError);
  });

  it("rejects duplicate directory ids, bad versions and bad cluster ids", () => {
    const r = root();
    const dirs = [join(r, "a"), join(r, "b")];
    const clusterId = randomUuid();
    const dirId = randomUuid();
    for (const d of dirs) writeMetaProperties(d, { version: 1, clusterId, nodeId: 0, directoryId: dirId });
    expect(() => ensureMetaProperties({ dirs, nodeId: 0 })).toThrow(/Duplicate directory ID/);
    writeFileSync(join(dirs[0]!, "meta.properties"), "version=0\nbroker.id=0\ncluster.id=x\n");
    expect(() => readMetaProperties(dirs[0]!)).toThrow(/unsupported meta.properties version 0/);
    expect(() => ensureMetaProperties({ dirs: [join(r, "c")], nodeId: 0, clusterId: "not-a-uuid" })).toThrow(/not a valid Kafka Uuid/);
  });

  it("adds a directory id to a directory formatted without one", () => {
    const r = root();
    const clusterId = randomUuid();
    const dir = join(r, "old");
    writeMetaProperties(dir, { version: 1, clusterId, nodeId: 0, directoryId: "" });
    const result = ensureMetaProperties({ dirs: [dir], nodeId: 0 });
    expect(result.clusterId).toBe(clusterId);
    expect(readMetaProperties(dir)!.directoryId).toBe(result.directoryIds.get(dir));
    expect(result.directoryIds.get(dir)).toHaveLength(22);
  });
});
