import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { clusterPorts } from "./ports.ts";
import { type RunOptions, type RunResult, run } from "./run.ts";

const SCRIPTS = fileURLToPath(new URL("../../scripts/", import.meta.url));

/**
 * Apache Kafka itself (`scripts/apache-kafka.sh`: KRaft, combined nodes, jars from Maven
 * Central), the reference the tests compare Samsa with. One per test file: a JVM node takes a
 * few seconds and a few hundred MB to start.
 */
export class ApacheKafka {
  output = "";
  /** How long start() waits for every node to be up and registered. */
  static startTimeoutMs = 120_000;

  private constructor(
    private readonly child: ChildProcess,
    readonly ports: readonly number[],
    readonly dataDir: string,
  ) {}

  static async start(options: { nodes?: number; overrides?: Record<string, string> } = {}): Promise<ApacheKafka> {
    const nodes = options.nodes ?? 1;
    const ports = await clusterPorts(nodes);
    const dataDir = mkdtempSync(join(tmpdir(), "apache-kafka-it-"));
    const args = ["--nodes", String(nodes), "--ports", ports.join(","), "--data-dir", dataDir];
    for (const [k, v] of Object.entries(options.overrides ?? {})) args.push("--override", `${k}=${v}`);
    // Its own process group, so that destroy() reaches the JVMs even if the script is gone.
    const child = spawn(join(SCRIPTS, "apache-kafka.sh"), args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    const kafka = new ApacheKafka(child, ports, dataDir);
    try {
      await kafka.waitUntilUp(nodes);
    } catch (e) {
      await kafka.destroy();
      throw e;
    }
    return kafka;
  }

  /** The script's pid (its JVMs are its children, in its process group). */
  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error("apache-kafka.sh is not running");
    return pid;
  }

  /** Every node's address, as kafkajs and the console take them. */
  get brokers(): string[] {
    return this.ports.map((p) => `127.0.0.1:${p}`);
  }

  /** The same as one bootstrap.servers string, as Kafka's tools, kcat and librdkafka take it. */
  get bootstrap(): string {
    return this.brokers.join(",");
  }

  /** Every node printed "Kafka Server started" and the cluster's metadata lists them all. */
  private async waitUntilUp(nodes: number): Promise<void> {
    const deadline = Date.now() + ApacheKafka.startTimeoutMs;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Apache Kafka did not start within ${ApacheKafka.startTimeoutMs} ms:\n${this.output.slice(-4000)}`)),
        ApacheKafka.startTimeoutMs,
      );
      const onData = (d: Buffer) => {
        this.output += d.toString();
        if (this.output.split("Kafka Server started").length - 1 >= nodes) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.child.stdout?.on("data", onData);
      this.child.stderr?.on("data", (d: Buffer) => (this.output += d.toString()));
      this.child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`apache-kafka.sh exited with ${code ?? signal}:\n${this.output.slice(-4000)}`));
      });
    });
    const admin = new Kafka({ brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    try {
      await admin.connect();
      for (;;) {
        const cluster = await admin.describeCluster().catch(() => undefined);
        if (cluster && cluster.brokers.length >= nodes) return;
        if (Date.now() > deadline) throw new Error(`Apache Kafka: ${cluster?.brokers.length ?? 0} of ${nodes} brokers registered`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Runs one of Kafka's command-line tools (`scripts/kafka-tool.sh`), e.g. `kafka-topics`. */
  static tool(tool: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(join(SCRIPTS, "kafka-tool.sh"), [tool, ...args], { timeoutMs: 60_000, ...opts });
  }

  /** Stops every node (SIGTERM to the script, which stops its JVMs) and deletes the data. */
  async destroy(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
      process.kill(-pid, "SIGTERM");
      const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 20_000))]);
      if (timedOut) process.kill(-pid, "SIGKILL");
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
