import { resolve } from "node:path";

/**
 * The console's settings, from the environment. `npm start` runs the embedded cluster unless
 * KAFKA_BROKERS names another one, and keeps the audit history in PGlite under the data dir
 * unless DATABASE_URL names a PostgreSQL server.
 */
export interface ConsoleConfig {
  /** HTTP port of the console (PORT, default 3000). */
  port: number;
  /** Interface to listen on (HOST; default: all). */
  host: string | undefined;
  /** Root of everything the console and the embedded cluster keep (SAMSA_DATA_DIR, ./data). */
  dataDir: string;
  /** Bootstrap servers of the cluster to show; null: the embedded cluster is started. */
  kafkaBrokers: string[] | null;
  /** Listener port of the embedded cluster's node (SAMSA_KAFKA_PORT, default 9092). */
  embeddedKafkaPort: number;
  /** Display name of the cluster, written in every audit record (SAMSA_CLUSTER_NAME). */
  clusterName: string;
  /** PostgreSQL server; null: PGlite in `<dataDir>/console`. */
  databaseUrl: string | null;
  /** Initial admin password instead of a generated one (SAMSA_ADMIN_PASSWORD). */
  adminPassword: string | null;
  /** Metadata refresh period for snapshot diffs on clusters without __state_changes (ms). */
  metadataIntervalMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const brokers = env.KAFKA_BROKERS?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];
  const embeddedKafkaPort = int(env.SAMSA_KAFKA_PORT, 9092);
  const kafkaBrokers = brokers.length > 0 ? brokers : null;
  return {
    port: int(env.PORT, 3000),
    host: env.HOST || undefined,
    dataDir: resolve(/*turbopackIgnore: true*/ env.SAMSA_DATA_DIR ?? "data"),
    kafkaBrokers,
    embeddedKafkaPort,
    clusterName: env.SAMSA_CLUSTER_NAME || (kafkaBrokers ? kafkaBrokers.join(",") : "local"),
    databaseUrl: env.DATABASE_URL || null,
    adminPassword: env.SAMSA_ADMIN_PASSWORD || null,
    metadataIntervalMs: int(env.SAMSA_METADATA_INTERVAL_MS, 5000),
  };
}

/** Where the console connects: KAFKA_BROKERS, or the embedded node on localhost. */
export function bootstrapServers(config: ConsoleConfig): string[] {
  return config.kafkaBrokers ?? [`localhost:${config.embeddedKafkaPort}`];
}

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}
