import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { readMetaProperties } from "../controller/meta-properties.ts";
import { randomUuid } from "../controller/uuid.ts";
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
 * Runs N nodes as child processes, each with its own server.properties and data directory,
 * and stops them together. The first node is the controller (combined mode: broker and the
 * metadata quorum's voter, with a CONTROLLER listener on the port after its broker port);
 * the others are broker-only nodes that follow it. All share one cluster id, kept in the
 * data directory's meta.properties files. Each node's output is prefixed with its id.
 */
export class LocalCluster {
  private readonly specs: NodeSpec[];
  private readonly children = new Map<number, ChildProcess>();
  private readonly host: string;
  private readonly clusterId: string;

  constructor(private readonly options: LocalClusterOptions) {
    const n = options.nodes;
    if (!Number.isInteger(n) || n < 1) throw new Error(`--nodes must be a positive integer, got ${n}`);
    const ids = options.nodeIds ?? Array.from({ length: n }, (_, i) => i);
    const ports = options.ports ?? Array.from({ length: n }, (_, i) => 9092 + 3 * i);
    if (ids.length !== n || ports.length !== n) throw new Error(`--node-ids and --ports must list ${n} values`);
    const dataDir = resolve(options.dataDir ?? "data");
    this.host = options.advertisedHost ?? "localhost";
    if (new Set(ids).size !== n) throw new Error(`--node-ids must be distinct, got ${ids.join(",")}`);
    this.specs = ids.map((id, i) => ({ id, port: ports[i]!, dir: join(dataDir, `node-${id}`) }));
    this.clusterId = this.specs.map((s) => readMetaProperties(join(s.dir, "logs"))?.clusterId).find((c) => c !== undefined) ?? randomUuid();
  }

  private get controller(): NodeSpec {
    return this.specs[0]!;
  }

  bootstrapServers(): string {
    return this.specs.map((s) => `${this.host}:${s.port}`).join(",");
  }

  private writeConfig(spec: NodeSpec): string {
    mkdirSync(spec.dir, { recursive: true });
    const isController = spec === this.controller;
    const controllerPort = this.controller.port + 1;
    const props = new Map<string, string>([
      ["node.id", String(spec.id)],
      ["process.roles", isController ? "broker,controller" : "broker"],
      ["listeners", isController ? `PLAINTEXT://:${spec.port},CONTROLLER://:${controllerPort}` : `PLAINTEXT://:${spec.port}`],
      ["advertised.listeners", `PLAINTEXT://${this.host}:${spec.port}`],
      ["controller.listener.names", "CONTROLLER"],
      ["controller.quorum.voters", `${this.controller.id}@${this.host}:${controllerPort}`],
      ["log.dirs", join(spec.dir, "logs")],
      ...replicationDefaults(this.specs.length),
      ...(this.options.overrides ?? new Map<string, string>()),
    ]);
    const file = join(spec.dir, "server.properties");
    writeFileSync(file, [...props].map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
    return file;
  }

  /** Starts every node and resolves once each has reported that it is listening (brokers: once unfenced). */
  async start(): Promise<void> {
    // The controller first: the other nodes register with it and follow its metadata log.
    await this.startNode(this.controller);
    await Promise.all(this.specs.slice(1).map((spec) => this.startNode(spec)));
  }

  private startNode(spec: NodeSpec): Promise<void> {
    const config = this.writeConfig(spec);
    const child = spawn(process.execPath, [SAMSA_BIN, "broker", "--config", config, "--cluster-id", this.clusterId], { stdio: ["ignore", "pipe", "pipe"] });
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

  /**
   * SIGTERM to every node (each flushes its log): the brokers first, whose controlled
   * shutdown needs the controller, then the controller; waits for all to exit.
   */
  async stop(): Promise<void> {
    const controller = this.controller.id;
    await Promise.all([...this.children].filter(([id]) => id !== controller).map(([, child]) => terminate(child)));
    const last = this.children.get(controller);
    if (last) await terminate(last);
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((done) => {
    child.once("exit", () => done());
    child.kill("SIGTERM");
  });
}

function prefixLines(prefix: string, data: Buffer): string {
  return data
    .toString()
    .split("\n")
    .map((line, i, all) => (line === "" && i === all.length - 1 ? "" : prefix + line))
    .join("\n");
}

/**
 * A production-like cluster when there are enough nodes: three replicas of everything with
 * two in sync required, so losing one broker loses nothing and stops nothing. Fewer nodes use
 * one replica per node and a min ISR of 1, so a single node keeps working on its own.
 */
export function replicationDefaults(nodes: number): [string, string][] {
  const factor = String(Math.min(3, nodes));
  const minIsr = nodes >= 3 ? "2" : "1";
  return [
    ["default.replication.factor", factor],
    ["min.insync.replicas", minIsr],
    ["offsets.topic.replication.factor", factor],
    ["transaction.state.log.replication.factor", factor],
    ["transaction.state.log.min.isr", minIsr],
    ["state.change.log.replication.factor", factor],
  ];
}
