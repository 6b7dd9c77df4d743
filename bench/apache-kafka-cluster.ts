// Apache Kafka for the benches: scripts/apache-kafka.sh with N combined nodes on free ports
// (20000-32000, laid out as `samsa cluster` lays them out), up once every node printed
// "Kafka Server started" and Metadata lists all N brokers. Like test/helpers/apache-kafka.ts,
// which checks the brokers with kafkajs given the whole comma-joined bootstrap string as one
// broker (so it cannot start more than one node); this one asks with the project's WireConnection.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WireConnection } from "../broker/network/kafka-connection.ts";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { clusterPorts } from "../test/helpers/ports.ts";

const SCRIPT = fileURLToPath(new URL("../scripts/apache-kafka.sh", import.meta.url));

export class ApacheKafkaCluster {
  output = "";

  private constructor(
    private readonly child: ChildProcess,
    readonly ports: readonly number[],
    readonly dataDir: string,
  ) {}

  static async start(nodes: number, overrides: Record<string, string> = {}, timeoutMs = 180_000): Promise<ApacheKafkaCluster> {
    const ports = await clusterPorts(nodes);
    const dataDir = mkdtempSync(join(tmpdir(), "apache-kafka-bench-"));
    // The script makes a random base64url id when DIR/cluster.id is missing; one in 64 starts with
    // "-", which kafka-storage's argument parser takes for an option ("--cluster-id: expected one
    // argument"). Kafka's own Uuid.randomUuid() avoids those: so does this.
    let id: string;
    do id = randomBytes(16).toString("base64url");
    while (id.startsWith("-"));
    writeFileSync(join(dataDir, "cluster.id"), id);
    const args = ["--nodes", String(nodes), "--ports", ports.join(","), "--data-dir", dataDir];
    for (const [k, v] of Object.entries(overrides)) args.push("--override", `${k}=${v}`);
    // Its own process group, so that destroy() reaches the JVMs even if the script is gone.
    const child = spawn(SCRIPT, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    const cluster = new ApacheKafkaCluster(child, ports, dataDir);
    try {
      await cluster.waitUntilUp(nodes, Date.now() + timeoutMs);
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
    return cluster;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get bootstrap(): string {
    return this.ports.map((p) => `127.0.0.1:${p}`).join(",");
  }

  private async waitUntilUp(nodes: number, deadline: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Apache Kafka did not start in time:\n${this.output.slice(-4000)}`)), deadline - Date.now());
      this.child.stdout!.on("data", (d: Buffer) => {
        this.output = (this.output + d.toString()).slice(-100_000);
        if (this.output.split("Kafka Server started").length - 1 >= nodes) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.child.stderr!.on("data", (d: Buffer) => (this.output = (this.output + d.toString()).slice(-100_000)));
      this.child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`apache-kafka.sh exited with ${code ?? signal}:\n${this.output.slice(-4000)}`));
      });
    });
    const wire = await WireConnection.open(`127.0.0.1:${this.ports[0]}`, { timeoutMs: 30_000 });
    try {
      for (;;) {
        const md = await wire.request(ApiKey.Metadata, wire.version(ApiKey.Metadata, 1, 12), { topics: [], allowAutoTopicCreation: false });
        if (md.brokers.length >= nodes) return;
        if (Date.now() > deadline) throw new Error(`Apache Kafka: ${md.brokers.length} of ${nodes} brokers registered`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      wire.close();
    }
  }

  /** SIGTERM to the script's process group (it stops its JVMs), SIGKILL after 30 s; deletes the data. */
  async destroy(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      process.kill(-pid, "SIGTERM");
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 30_000))]);
      if (timedOut) process.kill(-pid, "SIGKILL");
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
