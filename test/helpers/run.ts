import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer;
  /** Kills the child with SIGKILL after this many ms (default 30 s). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion and captures its output; never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    child.stdin.on("error", () => {}); // the child may exit before reading its input
    child.stdin.end(opts.input ?? "");
  });
}

/** Formats a result for an assertion message. */
export function describeRun(r: RunResult): string {
  return `exit ${r.code ?? r.signal}\n--- stdout ---\n${r.stdout.slice(-4000)}\n--- stderr ---\n${r.stderr.slice(-4000)}`;
}

export const PYTHON = "/usr/bin/python3";

/** Runs test/python/<script> with the given arguments. */
export function runPython(script: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const path = fileURLToPath(new URL(`../python/${script}`, import.meta.url));
  return run(PYTHON, [path, ...args], { timeoutMs: 60_000, ...opts });
}

/** The last line of stdout that parses as a JSON object (the scripts' summary). */
export function lastJson(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.trim().split("\n").reverse();
  for (const line of lines) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      return JSON.parse(t) as Record<string, unknown>;
    } catch {
      // not the summary line
    }
  }
  return undefined;
}

/** Runs kcat against a broker; quiet unless it fails. */
export function kcat(bootstrap: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run("kcat", ["-b", bootstrap, "-q", ...args], opts);
}

/** One message as `kcat -C -J` prints it. */
export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  tstype?: string;
  ts?: number;
  broker?: number;
  headers?: string[];
  key: string | null;
  payload: string | null;
}

/** Parses `kcat -C -J` output (one JSON object per line). */
export function parseKcatJson(stdout: string): KcatMessage[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as KcatMessage);
}
