/**
 * `npm start`: the one command. Builds the console if its build is missing or older than the
 * sources, starts the embedded three-node cluster (`samsa cluster --nodes 3`) unless
 * KAFKA_BROKERS names another cluster, opens the audit database (PGlite under the data dir,
 * or DATABASE_URL), applies migrations, creates the first admin (printing its password once)
 * and serves the console on http://localhost:$PORT. Ctrl-C (or SIGTERM) stops everything.
 *
 * `npm run dev` does the same with Next's development server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { loadConfig, type ConsoleConfig } from "./config.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dev = process.argv.includes("--dev");
process.chdir(ROOT);
process.env.NEXT_TELEMETRY_DISABLED = "1";

const log = (m: string) => process.stdout.write(`console: ${m}\n`);
const EMBEDDED_NODES = 3;

async function main(): Promise<void> {
  const config = loadConfig();
  if (!dev) await buildIfNeeded();

  let cluster: ChildProcess | null = null;
  let stopping = false;
  const server = createServer();

  let stoppingSince = 0;
  const stop = async (why: string, code = 0) => {
    if (stopping) {
      // A terminal's Ctrl-C reaches every process of the group, and npm and tsx relay it too:
      // copies arriving together are one request. A later one forces the exit.
      if (Date.now() - stoppingSince < 2000) return;
      log("stopping now");
      process.exit(1);
    }
    stopping = true;
    stoppingSince = Date.now();
    log(`stopping (${why})`);
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    // The runtime lives on globalThis (see runtime.ts), created by Next's server code.
    await (globalThis as { [k: symbol]: Promise<{ close(): Promise<void> }> | undefined })[Symbol.for("samsa.console.runtime")]
      ?.then((rt) => rt.close())
      .catch((e: unknown) => log(`closing: ${String(e)}`));
    if (cluster) await stopChild(cluster);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));

  if (config.kafkaBrokers) {
    log(`showing the cluster at ${config.kafkaBrokers.join(",")} (KAFKA_BROKERS)`);
  } else {
    cluster = await startEmbeddedCluster(config);
    cluster.once("exit", (code, signal) => {
      if (!stopping) log(`the embedded cluster exited (${code ?? signal}); the console keeps running and shows it unreachable`);
    });
  }

  const app = next({ dev, dir: ROOT, hostname: config.host ?? "localhost", port: config.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  server.on("request", (req, res) => void handle(req, res));
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolveListen());
  });
  // Starting the runtime (migrations, first admin, cluster connection and watcher) inside
  // Next's server code, so there is one copy of it; a failure stops the console.
  const self = !config.host || config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host.includes(":") ? `[${config.host}]` : config.host;
  const health = await fetch(`http://${self}:${config.port}/api/health`).then(
    async (r) => ({ ok: r.ok, body: (await r.json()) as { database?: string; error?: string } }),
    (e: unknown) => ({ ok: false, body: { error: String(e) } as { database?: string; error?: string } }),
  );
  if (!health.ok) {
    log(`cannot start: ${health.body.error ?? "unknown error"}`);
    await stop("start-up failed", 1);
    return;
  }
  log(`audit history in ${config.databaseUrl ? `PostgreSQL at ${redactUrl(config.databaseUrl)}` : `PGlite at ${join(config.dataDir, "console")}`}`);
  log(`ready on http://localhost:${config.port}`);
}

async function startEmbeddedCluster(config: ConsoleConfig): Promise<ChildProcess> {
  const dataDir = join(config.dataDir, "cluster");
  // samsa cluster's layout: broker ports 3 apart, the controller listener right after the first.
  const ports = Array.from({ length: EMBEDDED_NODES }, (_, i) => config.embeddedKafkaPort + 3 * i);
  log(`starting the embedded cluster (${EMBEDDED_NODES} nodes, ports ${ports.join(",")}, data in ${dataDir})`);
  const args = ["cluster", "--nodes", String(EMBEDDED_NODES), "--data-dir", dataDir, "--ports", ports.join(",")];
  const child = spawn(process.execPath, [join(ROOT, "bin", "samsa.js"), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolveStart, reject) => {
    let seen = "";
    const onData = (d: Buffer) => {
      process.stdout.write(d);
      seen += d.toString();
      if (seen.includes("cluster started")) {
        child.stdout?.off("data", onData);
        child.stdout?.on("data", (x: Buffer) => process.stdout.write(x));
        resolveStart();
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`the embedded cluster exited before starting (${code ?? signal})`)));
  });
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(timer);
      r();
    });
    child.kill("SIGTERM");
  });
}

/** Runs `next build` when .next is missing or older than any console source. */
async function buildIfNeeded(): Promise<void> {
  if (process.env.SAMSA_SKIP_BUILD === "1") return;
  const stamp = join(ROOT, ".next", "BUILD_ID");
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const sources = ["app", "components", "server", "next.config.ts", "postcss.config.mjs", "tsconfig.console.json", "package-lock.json"].map((p) => join(ROOT, p));
  const newest = Math.max(...sources.map(newestMtime));
  if (built >= newest) return;
  log(built === 0 ? "building the console (first start)…" : "sources changed since the last build, rebuilding…");
  await new Promise<void>((resolveBuild, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "node_modules", "next", "dist", "bin", "next"), "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    child.once("exit", (code) => (code === 0 ? resolveBuild() : reject(new Error(`next build failed (exit ${code})`))));
  });
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(DATABASE_URL)";
  }
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, e.name)));
  }
  return newest;
}

main().catch((err: unknown) => {
  process.stderr.write(`console: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
