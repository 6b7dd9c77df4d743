import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface LocalClusterOptions {
  nodes: number;
  nodeIds?: number[] | undefined;
  ports?: number[] | undefined;
  advertisedHost?: string | undefined;
  dataDir?: string | undefined;
  overrides?: ReadonlyMap<string, string>;
}

interface NodeSpec {
  id: number;
  port: number;
  dir: string;
}

const SAMSA_BIN = fileURLToPath(new URL("../../bin/samsa.js", import.meta.url));

/**
 * Runs N broker nodes as child processes, each with its own server.properties and data
 * directory, and stops them together. Each node's output is prefixed with its id.
 */
export class LocalCluster {
  private readonly specs: NodeSpec[];
  private readonly children = new Map<number, ChildProcess>();
  private readonly host: string;

  constructor(private readonly options: LocalClusterOptions) {
    const n = options.nodes;
    if (!Number.isInteger(n) || n < 1) throw new Error(`--nodes must be a positive integer, got ${n}`);
    if (n > 1) {
      throw new Error("multi-node clusters need replication and the Raft quorum, which are not built yet; use --nodes 1");
    }
    const ids = options.nodeIds ?? Array.from({ length: n }, (_, i) => i);
    const ports = options.ports ?? Array.from({ length: n }, (_, i) => 9092 + 3 * i);
    if (ids.length !== n || ports.length !== n) throw new Error(`--node-ids and --ports must list ${n} values`);
    const dataDir = resolve(options.dataDir ?? "data");
    this.host = options.advertisedHost ?? "localhost";
    this.specs = ids.map((id, i) => ({ id, port: ports[i]!, dir: join(dataDir, `node-${id}`) }));
  }

  bootstrapServers(): string {
    return this.specs.map((s) => `${this.host}:${s.port}`).join(",");
  }

  private writeConfig(spec: NodeSpec): string {
    mkdirSync(spec.dir, { recursive: true });
    const props = new Map<string, string>([
      ["node.id", String(spec.id)],
      ["process.roles", "broker,controller"],
      ["listeners", `PLAINTEXT://:${spec.port}`],
      ["advertised.listeners", `PLAINTEXT://${this.host}:${spec.port}`],
      ["log.dirs", join(spec.dir, "logs")],
      // Internal topics can have no more replicas than the cluster has nodes.
      ["offsets.topic.replication.factor", String(Math.min(3, this.specs.length))],
      ["transaction.state.log.replication.factor", String(Math.min(3, this.specs.length))],
      ["transaction.state.log.min.isr", String(Math.min(2, this.specs.length))],
      ...(this.options.overrides ?? new Map<string, string>()),
    ]);
    const file = join(spec.dir, "server.properties");
    writeFileSync(file, [...props].map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
    return file;
  }

  /** Starts every node and resolves once each has reported that it is listening. */
  async start(): Promise<void> {
    await Promise.all(this.specs.map((spec) => this.startNode(spec)));
  }

  private startNode(spec: NodeSpec): Promise<void> {
    const config = this.writeConfig(spec);
    const child = spawn(process.execPath, [SAMSA_BIN, "broker", "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    this.children.set(spec.id, child);
    const prefix = `[node ${spec.id}] `;
    child.stderr?.on("data", (d: Buffer) => process.stderr.write(prefixLines(prefix, d)));
    return new Promise((resolvePromise, reject) => {
      let started = false;
      child.stdout?.on("data", (d: Buffer) => {
        process.stdout.write(prefixLines(prefix, d));
        if (!started && d.toString().includes("started, listening")) {
          started = true;
          resolvePromise();
        }
      });
      child.on("exit", (code, signal) => {
        this.children.delete(spec.id);
        if (!started) reject(new Error(`node ${spec.id} exited before starting (code ${code}, signal ${signal})`));
      });
    });
  }

  /** SIGTERM to every node (each flushes its log), then waits for all to exit. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((done) => {
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      ),
    );
  }
}

function prefixLines(prefix: string, data: Buffer): string {
  return data
    .toString()
    .split("\n")
    .map((line, i, all) => (line === "" && i === all.length - 1 ? "" : prefix + line))
    .join("\n");
}
