import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clusterPorts, freePort } from "../../test/helpers/ports.ts";
import { ROOT, startConsole } from "./console-process.ts";
import { createTempPostgres } from "./postgres.ts";
import { setState } from "./state.ts";

/** Starts the console with its embedded cluster and a fresh PostgreSQL database. */
export default async function globalSetup(): Promise<void> {
  const db = await createTempPostgres("samsa_e2e");
  const dataDir = mkdtempSync(join(tmpdir(), "samsa-e2e-"));
  const httpPort = await freePort();
  // The console starts a three-node cluster laid out from this port.
  const [kafkaPort] = await clusterPorts(3);
  const adminPassword = randomBytes(12).toString("base64url");
  const { child, output } = await startConsole({
    PORT: String(httpPort),
    SAMSA_KAFKA_PORT: String(kafkaPort),
    SAMSA_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    SAMSA_ADMIN_PASSWORD: adminPassword,
    SAMSA_METADATA_INTERVAL_MS: "1000",
  });
  setState({ pid: child.pid!, dataDir, databaseName: db.name, databaseUrl: db.url });
  // The console's and its cluster's output, kept as a test artifact for a failing run.
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  const log = createWriteStream(join(ROOT, "test-results", "console-output.log"));
  log.write(output());
  child.stdout?.on("data", (d: Buffer) => log.write(d));
  child.stderr?.on("data", (d: Buffer) => log.write(d));
  process.env.SAMSA_E2E_URL = `http://localhost:${httpPort}`;
  process.env.SAMSA_E2E_KAFKA = `localhost:${kafkaPort}`;
  process.env.SAMSA_E2E_ADMIN_PASSWORD = adminPassword;
  process.env.SAMSA_E2E_DATABASE_URL = db.url;
  process.stdout.write(`e2e: console on http://localhost:${httpPort}, broker on localhost:${kafkaPort}, database ${db.name}\n`);
  if (!output().includes("PostgreSQL at")) throw new Error(`the console is not using the test database:\n${output()}`);
}
