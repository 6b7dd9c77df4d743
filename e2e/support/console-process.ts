import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");

/**
 * `npm start`'s entry point (server/main.ts through tsx) with the given environment; resolves
 * once it prints "ready on", with everything it printed so far.
 */
export async function startConsole(env: Record<string, string>, timeoutMs = 240_000): Promise<{ child: ChildProcess; output: () => string }> {
  // One process (no tsx CLI wrapper), so a signal reaches the console itself.
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "server", "main.ts")], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the console did not start within ${timeoutMs} ms:\n${out.slice(-4000)}`)), timeoutMs);
    const check = () => {
      if (out.includes("console: ready on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the console exited (${code ?? signal}) before it was ready:\n${out.slice(-4000)}`));
    });
  });
  return { child, output: () => out };
}

/** Ctrl-C, as a user would; waits for the console (and its cluster) to exit. */
export function stopConsole(child: ChildProcess, timeoutMs = 30_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill("SIGINT");
  });
}
