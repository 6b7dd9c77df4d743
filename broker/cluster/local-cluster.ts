import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { readMetaProperties } from "../controller/meta-properties.ts";
import { randomUuid } from "../controller/uuid.ts";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface LocalClusterOptions {
  nodes: number;
  /** How many of the nodes (the first ones) vote in the metadata quorum; the rest observe. Default 1. */
  controllers?: number | undefined;
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
 * and stops them together. The first K nodes (`controllers`, default 1) are combined nodes:
 * broker and a voter of the metadata quorum, with a CONTROLLER listener on the port after
 * their broker port; with several the active controller is whichever the Raft quorum elects.
 * The others are broker-only nodes that observe the quorum. All share one cluster id, kept in the
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
    const k = options.controllers ?? 1;
    if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`--controllers must be between 1 and --nodes (${n}), got ${options.controllers}`);
    this.specs = ids.map((id, i) => ({ id, port: ports[i]!, dir: join(dataDir, `node-${id}`) }));
    this.voters = this.specs.slice(0, k);
    const taken = new Set(ports);
    const clash = this.voters.find((v) => taken.has(v.port + 1));
    if (clash) throw new Error(`node ${clash.id}'s controller listener would use port ${clash.port + 1}, which another node's broker listener has: space --ports by at least 2`);
    this.clusterId = this.specs.map((s) => readMetaProperties(join(s.dir, "logs"))?.clusterId).find((c) => c !== undefined) ?? randomUuid();
  }

  private readonly voters: NodeSpec[];

  bootstrapServers(): string {
    return this.specs.map((s) => `${this.host}:${s.port}`).join(",");
  }

  private writeConfig(spec: NodeSpec): string {
    mkdirSync(spec.dir, { recursive: true });
    const isVoter = this.voters.includes(spec);
    const props = new Map<string, string>([
      ["node.id", String(spec.id)],
      ["process.roles", isVoter ? "broker,controller" : "broker"],
      ["listeners", isVoter ? `PLAINTEXT://:${spec.port},CONTROLLER://:${spec.port + 1}` : `PLAINTEXT://:${spec.port}`],
      ["advertised.listeners", `PLAINTEXT://${this.host}:${spec.port}`],
      ["controller.listener.names", "CONTROLLER"],
      ["controller.quorum.voters", this.voters.map((v) => `${v.id}@${this.host}:${v.port + 1}`).join(",")],
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
    // The voters first, together (several must elect a leader before any finishes starting);
    // the other nodes register with the active controller and follow its metadata log.
    await Promise.all(this.voters.map((spec) => this.startNode(spec)));
    await Promise.all(this.specs.filter((spec) => !this.voters.includes(spec)).map((spec) => this.startNode(spec)));
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
   * SIGTERM to every node (each flushes its log): the broker-only nodes first, whose
   * controlled shutdown needs the controller, then the voters; waits for all to exit.
   */
  async stop(): Promise<void> {
    const voters = new Set(this.voters.map((v) => v.id));
    await Promise.all([...this.children].filter(([id]) => !voters.has(id)).map(([, child]) => terminate(child)));
    await Promise.all([...this.children].filter(([id]) => voters.has(id)).map(([, child]) => terminate(child)));
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
