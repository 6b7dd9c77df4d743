import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { clusterPorts, freePort } from "./helpers/ports.ts";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { withWire } from "./helpers/groups.ts";
import { kcat, run } from "./helpers/run.ts";

const SAMSA = fileURLToPath(new URL("../bin/samsa.js", import.meta.url));
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "samsa-cli-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Starts a samsa command, resolves once `ready` appears in its output. */
function startCommand(args: string[], ready: string) {
  const child = spawn(process.execPath, [SAMSA, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const started = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes(ready)) resolve();
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then((code) => reject(new Error(`exited with ${code} before "${ready}":\n${output}`)));
  });
  return { child, started, exited, output: () => output };
}

describe("the samsa command", () => {
  it("`samsa broker --config` reads Kafka's server.properties keys, with --override taking precedence", async () => {
    const dir = tempDir();
    const port = await freePort();
    const config = join(dir, "server.properties");
    writeFileSync(config, `# a Kafka-style file\nnode.id=7\nlisteners=PLAINTEXT://127.0.0.1:${port}\nlog.dirs=${join(dir, "logs")}\nnum.partitions=1\n`);
    const node = startCommand(["broker", "--config", config, "--override", "num.partitions=4"], "started, listening");
    await node.started;
    const md = await kcat(`127.0.0.1:${port}`, ["-L", "-J", "-t", "auto-created"]);
    await kcat(`127.0.0.1:${port}`, ["-P", "-t", "auto-created"], { input: "x\n" });
    const after = JSON.parse((await kcat(`127.0.0.1:${port}`, ["-L", "-J", "-t", "auto-created"])).stdout);
    expect(md.code).toBe(0);
    expect(after.brokers).toEqual([{ id: 7, name: `127.0.0.1:${port}` }]);
    expect(after.topics[0].partitions).toHaveLength(4);
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
    // A clean shutdown leaves Kafka's marker so the next start skips recovery.
    expect(existsSync(join(dir, "logs", ".kafka_cleanshutdown"))).toBe(true);
    expect(readFileSync(join(dir, "logs", "meta.properties"), "utf8")).toMatch(/node\.id=7/);
  });

  it("`samsa cluster --nodes 3` runs a controller and two broker nodes sharing one cluster id, and stops them all on SIGTERM", async () => {
    const dir = tempDir();
    const ports = await clusterPorts(3);
    const args = ["cluster", "--nodes", "3", "--ports", ports.join(","), "--advertised-host", "127.0.0.1", "--data-dir", dir];
    const cluster = startCommand(args, "cluster started");
    await cluster.started;
    expect(cluster.output()).toContain(`bootstrap servers ${ports.map((p) => `127.0.0.1:${p}`).join(",")}`);
    const md = JSON.parse((await kcat(`127.0.0.1:${ports[2]}`, ["-L", "-J"])).stdout);
    expect(md.brokers).toEqual(ports.map((p, id) => ({ id, name: `127.0.0.1:${p}` })));

    // Production-like defaults: three replicas of an auto-created topic and of every internal
    // topic, and two of them must be in sync for acks=all.
    const bootstrap = `127.0.0.1:${ports[0]}`;
    expect((await kcat(bootstrap, ["-P", "-t", "auto-replicated"], { input: "x\n" })).code).toBe(0);
    const admin = new Kafka({ clientId: "cli-it", brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.describeGroups(["creates-the-offsets-topic"]);
    const minIsr = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: "auto-replicated", configNames: ["min.insync.replicas"] }], includeSynonyms: false });
    await admin.disconnect();
    expect(minIsr.resources[0]!.configEntries[0]!.configValue).toBe("2");
    const replicated = JSON.parse((await kcat(bootstrap, ["-L", "-J"])).stdout) as { topics: { topic: string; partitions: { replicas: unknown[] }[] }[] };
    for (const name of ["auto-replicated", "__consumer_offsets", "__state_changes"]) {
      const topic = replicated.topics.find((t) => t.topic === name);
      expect(topic?.partitions.every((p) => p.replicas.length === 3), name).toBe(true);
    }
    cluster.child.kill("SIGTERM");
    expect(await cluster.exited).toBe(0);
    const props = (id: number) => readFileSync(join(dir, `node-${id}`, "server.properties"), "utf8");
    expect(props(0)).toMatch(/process\.roles=broker,controller/);
    expect(props(1)).toMatch(/process\.roles=broker\n/);
    expect(props(2)).toContain(`controller.quorum.voters=0@127.0.0.1:${ports[0]! + 1}`);
    const clusterIds = [0, 1, 2].map((id) => /cluster\.id=(\S+)/.exec(readFileSync(join(dir, `node-${id}`, "logs", "meta.properties"), "utf8"))![1]);
    expect(new Set(clusterIds).size).toBe(1);
    for (const id of [0, 1, 2]) expect(existsSync(join(dir, `node-${id}`, "logs", ".kafka_cleanshutdown"))).toBe(true);

    // A restart on the same data dir reuses the cluster id and finds its topics.
    const again = startCommand(args, "cluster started");
    await again.started;
    const after = JSON.parse((await kcat(`127.0.0.1:${ports[1]}`, ["-L", "-J"])).stdout);
    expect(after.brokers).toHaveLength(3);
    expect(after.topics.map((t: { topic: string }) => t.topic)).toContain("__state_changes");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("`samsa cluster --nodes 3 --controllers 3` runs three voting nodes; killing the active controller elects another and metadata changes go on", async () => {
    const dir = tempDir();
    const ports = await clusterPorts(3);
    const args = ["cluster", "--nodes", "3", "--controllers", "3", "--ports", ports.join(","), "--advertised-host", "127.0.0.1", "--data-dir", dir];
    const cluster = startCommand(args, "cluster started");
    await cluster.started;
    const voters = ports.map((p, id) => `${id}@127.0.0.1:${p + 1}`).join(",");
    for (const id of [0, 1, 2]) {
      const props = readFileSync(join(dir, `node-${id}`, "server.properties"), "utf8");
      expect(props).toMatch(/process\.roles=broker,controller\n/);
      expect(props).toContain(`controller.quorum.voters=${voters}`);
    }
    const quorum = async (port: number) =>
      withWire(`127.0.0.1:${port}`, async (c) => {
        const res = await c.request(ApiKey.DescribeQuorum, c.version(ApiKey.DescribeQuorum, 0, 2), { topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }] });
        const p = res.topics[0]?.partitions[0];
        return p && p.errorCode === 0 && p.leaderId >= 0 ? { leader: p.leaderId, epoch: p.leaderEpoch, voters: p.currentVoters.map((v) => v.replicaId).sort() } : null;
      }).catch(() => null);
    const before = await quorum(ports[0]!);
    expect(before?.voters).toEqual([0, 1, 2]);

    // SIGKILL the active controller's node process (each node prints its pid when it has started).
    const victim = new RegExp(`samsa: node ${before!.leader} started, listening on .* \\(pid (\\d+)\\)`).exec(cluster.output())![1]!;
    process.kill(Number(victim), "SIGKILL");
    const survivor = ports.find((_, id) => id !== before!.leader)!;
    let after = await quorum(survivor);
    for (let i = 0; i < 60 && (!after || after.leader === before!.leader); i++) {
      await new Promise((r) => setTimeout(r, 500));
      after = await quorum(survivor);
    }
    expect(after?.leader).not.toBe(before!.leader);
    expect(after!.epoch).toBeGreaterThan(before!.epoch);
    const admin = new Kafka({ clientId: "cli-it", brokers: [`127.0.0.1:${survivor}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "after-failover", numPartitions: 2 }], waitForLeaders: false });
    await admin.disconnect();
    // The acknowledged topic reaches every node as it replays the committed metadata.
    const partitionsSeen = async () => (JSON.parse((await kcat(`127.0.0.1:${survivor}`, ["-L", "-J", "-t", "after-failover"])).stdout) as { topics: { partitions?: unknown[] }[] }).topics[0]?.partitions?.length ?? 0;
    let seen = await partitionsSeen();
    for (let i = 0; i < 40 && seen !== 2; i++) {
      await new Promise((r) => setTimeout(r, 250));
      seen = await partitionsSeen();
    }
    expect(seen).toBe(2);
    cluster.child.kill("SIGTERM");
    await cluster.exited;
  });

  it("refuses what it cannot do with a clear message and a non-zero exit", async () => {
    const sameIds = await run(process.execPath, [SAMSA, "cluster", "--nodes", "3", "--node-ids", "1,1,2", "--data-dir", tempDir()]);
    expect(sameIds.code).not.toBe(0);
    expect(sameIds.stderr).toMatch(/--node-ids must be distinct/);
    const voterWithoutListener = await run(process.execPath, [SAMSA, "broker", "--override", "controller.quorum.voters=0@h:1,1@h:2", "--override", "node.id=0", "--override", `log.dirs=${tempDir()}`]);
    expect(voterWithoutListener.code).not.toBe(0);
    expect(voterWithoutListener.stderr).toMatch(/node 0 is a voter but has no controller listener/);
    const tooManyVoters = await run(process.execPath, [SAMSA, "cluster", "--nodes", "2", "--controllers", "3", "--data-dir", tempDir()]);
    expect(tooManyVoters.code).not.toBe(0);
    expect(tooManyVoters.stderr).toMatch(/--controllers must be between 1 and --nodes \(2\)/);
    const adjacentPorts = await run(process.execPath, [SAMSA, "cluster", "--nodes", "2", "--controllers", "2", "--ports", "9092,9093", "--data-dir", tempDir()]);
    expect(adjacentPorts.code).not.toBe(0);
    expect(adjacentPorts.stderr).toMatch(/controller listener would use port 9093/);
    const badConfig = await run(process.execPath, [SAMSA, "broker", "--override", "num.partitions=many", "--override", `log.dirs=${tempDir()}`]);
    expect(badConfig.code).not.toBe(0);
    expect(badConfig.stderr).toMatch(/num\.partitions/);
    const unknown = await run(process.execPath, [SAMSA, "frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/usage/);
  });
});
