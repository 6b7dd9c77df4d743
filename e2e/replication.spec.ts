// Replication in the browser: a three-node Samsa cluster (node 0 the controller, the others
// broker-only; __state_changes and the default replication factor at 3) with a console process
// of its own pointed at it, and a topic with three replicas and min.insync.replicas 3. The test
// SIGKILLs a broker (never node 0, the only controller) and the open overview and topic pages
// show its partitions under-replicated and under min ISR and its replicas offline without a
// reload; the create-topic form puts Kafka's refusal in words for the brokers left; then the
// broker restarts and both pages show the partitions back in sync.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { Kafka, logLevel, type Admin } from "kafkajs";
import type { Page } from "@playwright/test";
import { TestCluster } from "../test/helpers/cluster-nodes.ts";
import { freePort } from "../test/helpers/ports.ts";
import { startConsole, stopConsole } from "./support/console-process.ts";
import { expect, hydrated, shot, signIn, test as base } from "./support/fixtures.ts";
import { createTempPostgres, type TempPostgres } from "./support/postgres.ts";

const TOPIC = "e2e-replicated";
const PASSWORD = randomBytes(12).toString("base64url");

let cluster: TestCluster | null = null;
let db: TempPostgres | null = null;
let dataDir = "";
let consoleProcess: ChildProcess | null = null;
let consoleUrl = "";
let admin: Admin;

// This file's console, not the one global setup started on the embedded cluster.
const test = base.extend({
  baseURL: async ({}, use) => {
    await use(consoleUrl);
  },
});
test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  test.setTimeout(240_000);
  cluster = await TestCluster.start(3, {
    // A killed broker is fenced (and so out of every ISR) three seconds after its last heartbeat.
    "broker.session.timeout.ms": "3000",
    "broker.heartbeat.interval.ms": "500",
    "default.replication.factor": "3",
    "state.change.log.replication.factor": "3",
  });
  const kafka = new Kafka({ clientId: "e2e-replication", brokers: [cluster.node(0).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: false, topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: "min.insync.replicas", value: "3" }] }] });
  await expect
    .poll(async () => {
      const ps = (await admin.fetchTopicMetadata({ topics: [TOPIC] }).catch(() => null))?.topics[0]?.partitions ?? [];
      return ps.length === 3 && ps.every((p) => p.leader >= 0 && p.isr.length === 3);
    }, { timeout: 30_000 })
    .toBe(true);

  db = await createTempPostgres("samsa_e2e_repl");
  dataDir = mkdtempSync(join(tmpdir(), "samsa-e2e-repl-"));
  const port = await freePort();
  const started = await startConsole({
    PORT: String(port),
    KAFKA_BROKERS: cluster.bootstrap,
    SAMSA_CLUSTER_NAME: "replicated",
    SAMSA_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    SAMSA_ADMIN_PASSWORD: PASSWORD,
  });
  consoleProcess = started.child;
  consoleUrl = `http://localhost:${port}`;
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  await admin?.disconnect().catch(() => {});
  if (consoleProcess) await stopConsole(consoleProcess);
  await db?.drop().catch(() => {});
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await cluster?.destroy();
});

/** Marks the document, so a reload (which would lose the mark) is caught. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
}

async function sameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage === true);
}

test("a broker killed and restarted: its partitions under-replicated on the open overview and topic page, then back in sync, without a reload", async ({ page, context }) => {
  test.setTimeout(120_000);
  const c = cluster!;
  await signIn(page, "admin", PASSWORD);
  const count = (testId: string) => async () => Number((await page.getByTestId(testId).getByRole("link").innerText()).trim());
  await expect.poll(count("stat-under-replicated")).toBe(0);
  await markDocument(page);

  const topicPage = await context.newPage();
  await topicPage.goto(`/topics/${TOPIC}`);
  await hydrated(topicPage);
  const rows = topicPage.getByTestId("partition-row");
  await expect(rows).toHaveCount(3);
  for (let i = 0; i < 3; i++) await expect(rows.nth(i)).toHaveAttribute("data-under-replicated", "false");
  await expect(topicPage.getByTestId("replica")).toHaveCount(9);
  await markDocument(topicPage);

  // Not node 0 (the only controller), and not the state-change log's leader (the console's watcher reads it).
  const stateChanges = (await admin.fetchTopicMetadata({ topics: ["__state_changes"] })).topics[0]!.partitions[0]!;
  const victim = [1, 2].find((n) => n !== stateChanges.leader)!;
  const killedAt = Date.now();
  await c.node(victim).stop("SIGKILL");

  // The overview: all three partitions of the topic (and the state-change log's) under-replicated and under min ISR.
  await expect.poll(count("stat-under-replicated"), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  await expect.poll(count("stat-under-min-isr"), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
  expect(await count("stat-offline")()).toBe(0);
  await expect(page.getByTestId("offline-broker")).toHaveText(`${victim}: offline`);
  const seenOverview = (Date.now() - killedAt) / 1000;
  // The topic page: every partition under-replicated, the victim's replica offline, the others leader or in sync.
  for (let i = 0; i < 3; i++) {
    await expect(rows.nth(i)).toHaveAttribute("data-under-replicated", "true", { timeout: 20_000 });
    await expect(rows.nth(i).locator(`[data-testid="replica"][data-broker="${victim}"]`)).toHaveAttribute("data-state", "offline");
  }
  await expect(topicPage.getByTestId("topic-health")).toHaveText("3 / 0");
  await expect(topicPage.getByTestId("topic-under-min-isr")).toHaveText("3 (min.insync.replicas 3)");
  await expect(topicPage.locator('[data-testid="replica"][data-state="leader"]')).toHaveCount(3);
  const seenTopic = (Date.now() - killedAt) / 1000;
  expect(await sameDocument(page)).toBe(true);
  expect(await sameDocument(topicPage)).toBe(true);
  await shot(page, "replication-overview-under-replicated");
  await shot(topicPage, "replication-topic-under-replicated");

  // The overview's count links to the list of those partitions.
  const listPage = await context.newPage();
  await listPage.goto("/");
  await hydrated(listPage);
  await listPage.getByTestId("link-under-min-isr").click();
  await expect(listPage).toHaveURL(/\/partitions\?status=under-min-isr$/);
  await expect(listPage.getByTestId("problem-partition-row").filter({ hasText: TOPIC })).toHaveCount(3);
  await listPage.close();

  // Creating a topic with more replicas than brokers alive: Kafka's refusal in words, at the field.
  const form = await context.newPage();
  await form.goto("/topics/new");
  await hydrated(form);
  await expect(form.getByLabel("Replication factor")).toHaveAttribute("placeholder", "3");
  await form.getByLabel("Name").fill("e2e-too-many");
  await form.getByLabel("Replication factor").fill("0");
  await form.getByRole("button", { name: "Create topic" }).click();
  await expect(form.getByTestId("error-replicationFactor")).toHaveText("Replication factor must be between 1 and 32767");
  await form.getByLabel("Replication factor").fill("4");
  await form.getByRole("button", { name: "Create topic" }).click();
  await expect(form.getByTestId("error-replicationFactor")).toContainText("INVALID_REPLICATION_FACTOR: 4 replicas were asked for but only 2 brokers are alive");
  await form.close();

  const restartedAt = Date.now();
  await c.node(victim).launch();
  await expect.poll(count("stat-under-replicated"), { timeout: 45_000 }).toBe(0);
  await expect.poll(count("stat-under-min-isr")).toBe(0);
  await expect(page.getByTestId("offline-broker")).toHaveCount(0);
  for (let i = 0; i < 3; i++) {
    await expect(rows.nth(i)).toHaveAttribute("data-under-replicated", "false", { timeout: 20_000 });
    await expect(rows.nth(i).locator(`[data-testid="replica"][data-broker="${victim}"]`)).toHaveAttribute("data-state", /^(in-sync|leader)$/);
  }
  await expect(topicPage.getByTestId("topic-health")).toHaveText("0 / 0");
  const seenBack = (Date.now() - restartedAt) / 1000;
  expect(await sameDocument(page)).toBe(true);
  expect(await sameDocument(topicPage)).toBe(true);
  await shot(topicPage, "replication-topic-back-in-sync");
  const note = `under-replicated on the overview ${seenOverview.toFixed(1)} s and on the topic page ${seenTopic.toFixed(1)} s after the kill; back in sync ${seenBack.toFixed(1)} s after the restart`;
  test.info().annotations.push({ type: "replication seen", description: note });
  process.stdout.write(`e2e: broker ${victim} ${note}\n`);
});
