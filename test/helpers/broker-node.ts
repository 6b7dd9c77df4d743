import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./ports.ts";

const SAMSA_BIN = fileURLToPath(new URL("../../bin/samsa.js", import.meta.url));

/**
 * One real broker process (`samsa broker`) on a free port with its own data dir, for
 * integration tests. Restartable on the same data dir to test recovery.
 */
export class BrokerNode {
  private child: ChildProcess | undefined;
  output = "";
  /** How long launch() waits for the "started, listening" line. */
  static startTimeoutMs = 60_000;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly overrides: Record<string, string>,
    private readonly args: readonly string[],
    private readonly listeners: (port: number) => string,
  ) {}

  /** `args` go to `samsa broker`; `listeners` replaces the one PLAINTEXT listener on the node's port. */
  static async start(
    overrides: Record<string, string> = {},
    options: { args?: readonly string[]; listeners?: (port: number) => string } = {},
  ): Promise<BrokerNode> {
    const listeners = options.listeners ?? ((port: number) => `PLAINTEXT://127.0.0.1:${port}`);
    const node = new BrokerNode(await freePort(), mkdtempSync(join(tmpdir(), "samsa-it-")), overrides, options.args ?? [], listeners);
    await node.launch();
    return node;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    const props: Record<string, string> = {
      "node.id": "0",
      listeners: this.listeners(this.port),
      "log.dirs": join(this.dataDir, "logs"),
      // One node: internal topics with one replica, as Kafka's single-node quickstart config.
      "offsets.topic.replication.factor": "1",
      "transaction.state.log.replication.factor": "1",
      "transaction.state.log.min.isr": "1",
      "state.change.log.replication.factor": "1",
      ...this.overrides,
    };
    const args = [SAMSA_BIN, "broker", ...Object.entries(props).flatMap(([k, v]) => ["--override", `${k}=${v}`]), ...this.args];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const from = this.output.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`broker did not start within ${BrokerNode.startTimeoutMs} ms:\n${this.output.slice(from)}`));
      }, BrokerNode.startTimeoutMs);
      const onData = (d: Buffer) => {
        this.output += d.toString();
        if (this.output.includes("started, listening", from)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", (d: Buffer) => (this.output += d.toString()));
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`broker exited with ${code ?? signal} before starting:\n${this.output.slice(from)}`));
      });
    });
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error("broker is not running");
    return pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops the process with a signal and waits for it to exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop("SIGKILL");
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
