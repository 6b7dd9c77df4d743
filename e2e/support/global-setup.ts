import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startConsole } from "./console-process.ts";
import { createTempPostgres } from "./postgres.ts";
import { setState } from "./state.ts";

/** Starts the console with its embedded cluster and a fresh PostgreSQL database. */
export default async function globalSetup(): Promise<void> {
  const db = await createTempPostgres("samsa_e2e");
  const dataDir = mkdtempSync(join(tmpdir(), "samsa-e2e-"));
  const [httpPort, kafkaPort] = [await freePort(), await freePort()];
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
  // Keep the output for a failing run.
  child.stdout?.on("data", () => {});
  process.env.SAMSA_E2E_URL = `http://localhost:${httpPort}`;
  process.env.SAMSA_E2E_KAFKA = `localhost:${kafkaPort}`;
  process.env.SAMSA_E2E_ADMIN_PASSWORD = adminPassword;
  process.env.SAMSA_E2E_DATABASE_URL = db.url;
  process.stdout.write(`e2e: console on http://localhost:${httpPort}, broker on localhost:${kafkaPort}, database ${db.name}\n`);
  if (!output().includes("PostgreSQL at")) throw new Error(`the console is not using the test database:\n${output()}`);
}
