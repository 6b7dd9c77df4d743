import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { startMetadataLayer } from "./metadata-layer.ts";
import { readMetaProperties } from "../controller/meta-properties.ts";

const roots: string[] = [];
afterEach(() => {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true });
});

function config(root: string, extra: Record<string, string> = {}): BrokerConfig {
  return new BrokerConfig(
    new Map(
      Object.entries({
        "node.id": "2",
        "log.dirs": `${join(root, "d1")},${join(root, "d2")}`,
        listeners: "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
        ...extra,
      }),
    ),
  );
}

describe("startMetadataLayer", () => {
  it("formats, starts, registers this node, and comes back with the same metadata after a restart", async () => {
    const root = mkdtempSync(join(tmpdir(), "samsa-layer-"));
    roots.push(root);
    const layer = await startMetadataLayer({ config: config(root) });
    expect(existsSync(join(root, "d1", "__cluster_metadata-0", "quorum-state"))).toBe(true);
    expect(readMetaProperties(join(root, "d2"))!.clusterId).toBe(layer.clusterId);
    const me = layer.controller.image.brokers.get(2)!;
    expect(me.listeners).toEqual([{ name: "PLAINTEXT", host: "127.0.0.1", port: 19092, securityProtocol: 0 }]);
    expect(me.directories).toEqual([...layer.directoryIds.values()].sort());
    expect(me.fenced).toBe(false);
    const [created] = await layer.controller.createTopics({
      topics: [{ name: "t", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      validateOnly: false,
    });
    expect(created!.errorCode).toBe(0);
    // Two log dirs: new replicas wait for the broker to report their directory.
    expect(layer.controller.image.partition("t", 0)!.directories).toEqual(["AAAAAAAAAAAAAAAAAAAAAA"]);
    await layer.close();

    const again = await startMetadataLayer({ config: config(root) });
    expect(again.clusterId).toBe(layer.clusterId);
    expect(again.controller.image.topic("t")!.id).toBe(created!.topicId);
    expect(again.controller.image.brokers.get(2)!.epoch).toBeGreaterThan(me.epoch);
    expect(again.quorum.leaderAndEpoch().epoch).toBe(2);
    await again.close();

    await expect(startMetadataLayer({ config: config(root, { "node.id": "3" }) })).rejects.toThrow(/Stored node id 2/);
  });

  it("uses metadata.log.dir and refuses a quorum that does not name this controller", async () => {
    const root = mkdtempSync(join(tmpdir(), "samsa-layer-"));
    roots.push(root);
    const layer = await startMetadataLayer({ config: config(root, { "metadata.log.dir": join(root, "meta") }) });
    expect(existsSync(join(root, "meta", "__cluster_metadata-0"))).toBe(true);
    expect(readMetaProperties(join(root, "meta"))!.nodeId).toBe(2);
    await layer.close();
    await expect(startMetadataLayer({ config: config(root, { "controller.quorum.voters": "5@h:1,6@h:2" }) })).rejects.toThrow(/does not name it/);
  });
});
