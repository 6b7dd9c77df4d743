import { readFileSync } from "node:fs";
import { parseArgs, parseOverrides } from "./args.ts";
import { parseProperties } from "../config/properties.ts";
import { BrokerConfig } from "../config/broker-config.ts";
import { Broker } from "../server/broker.ts";
import { LocalCluster, type LocalClusterOptions } from "../cluster/local-cluster.ts";
import { REASSIGN_USAGE, runReassign } from "./reassign.ts";

const USAGE = `usage:
  samsa broker --config server.properties [--override key=value ...] [--cluster-id ID]
  samsa cluster --nodes N [--controllers K] [--node-ids 0,1,2] [--ports 9092,9095,9098] [--advertised-host H]
                [--data-dir DIR] [--override key=value ...]
${REASSIGN_USAGE}`;

async function runBroker(flags: Map<string, string[]>): Promise<void> {
  const configPath = flags.get("config")?.[0];
  const props = configPath ? parseProperties(readFileSync(configPath, "utf8")) : new Map<string, string>();
  for (const [k, v] of parseOverrides(flags.get("override") ?? [])) props.set(k, v);
  // Like kafka-storage format -t: new log directories get this cluster id (every node of a cluster needs the same).
  const broker = await Broker.start(new BrokerConfig(props), { clusterId: flags.get("cluster-id")?.[0] });
  // The launcher and tests wait for this line.
  process.stdout.write(`samsa: node ${broker.nodeId} started, listening on ${broker.describeListeners()} (pid ${process.pid})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`samsa: node ${broker.nodeId} stopping (${signal})\n`);
    broker.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`samsa: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

function list(flags: Map<string, string[]>, name: string): string[] | undefined {
  return flags.get(name)?.[0]?.split(",").map((s) => s.trim());
}

async function runCluster(flags: Map<string, string[]>): Promise<void> {
  const options: LocalClusterOptions = {
    nodes: Number(flags.get("nodes")?.[0] ?? "1"),
    controllers: flags.has("controllers") ? Number(flags.get("controllers")?.[0]) : undefined,
    nodeIds: list(flags, "node-ids")?.map(Number),
    ports: list(flags, "ports")?.map(Number),
    advertisedHost: flags.get("advertised-host")?.[0],
    dataDir: flags.get("data-dir")?.[0],
    overrides: parseOverrides(flags.get("override") ?? []),
  };
  const cluster = new LocalCluster(options);
  await cluster.start();
  process.stdout.write(`samsa: cluster started, bootstrap servers ${cluster.bootstrapServers()}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    cluster.stop().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

async function main(): Promise<void> {
  // Its switches (--generate, --list, ...) take no value, so it parses its own arguments.
  if (process.argv[2] === "reassign") return void (process.exitCode = await runReassign(process.argv.slice(3), process.stdout, process.stderr));
  const { command, flags } = parseArgs(process.argv.slice(2));
  if (command === "broker") await runBroker(flags);
  else if (command === "cluster") await runCluster(flags);
  else {
    process.stderr.write(`${USAGE}\n`);
    process.exit(command === undefined || command === "help" ? 0 : 2);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`samsa: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
