// The console in a browser against Apache Kafka itself (3.9, KRaft, three combined nodes): a
// second console process pointed at it with KAFKA_BROKERS, with its own PostgreSQL database,
// and its main pages showing Apache Kafka's data: the overview, topics with partitions, ISR
// and configs, groups with members and lag, brokers with configs and synonyms, and the state
// changes the console derives by diffing (Apache Kafka has no __state_changes topic).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { Kafka, logLevel, type Admin, type Consumer } from "kafkajs";
import { ApacheKafka } from "../test/helpers/apache-kafka.ts";
import { freePort } from "../test/helpers/ports.ts";
import { startConsole, stopConsole } from "./support/console-process.ts";
import { expect, hydrated, shot, signIn, test as base } from "./support/fixtures.ts";
import { createTempPostgres, type TempPostgres } from "./support/postgres.ts";

const TOPIC = "ak-e2e-orders";
const LIVE = "ak-e2e-live";
const LAGGING = "ak-e2e-lagging";
const PASSWORD = randomBytes(12).toString("base64url");

let ak: ApacheKafka | null = null;
let addresses: string[] = [];
let db: TempPostgres | null = null;
let dataDir = "";
let consoleProcess: ChildProcess | null = null;
let consoleUrl = "";
let kafka: Kafka;
let admin: Admin;
const consumers: Consumer[] = [];

// This file's console, not the one global setup started on the embedded cluster.
const test = base.extend({
  baseURL: async ({}, use) => {
    await use(consoleUrl);
  },
});
test.describe.configure({ mode: "serial" });

/**
 * Every partition of the topic has a leader and all three replicas in sync. (kafkajs's own
 * waitForLeaders gives up when the broker it asks has not heard of the new topic yet.)
 */
async function inSync(topic: string, partitions: number): Promise<void> {
  await expect
    .poll(
      async () => {
        const m = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null);
        const ps = m?.topics[0]?.partitions ?? [];
        return ps.length === partitions && ps.every((p) => p.leader >= 0 && p.isr.length === 3);
      },
      { timeout: 60_000 },
    )
    .toBe(true);
}

test.beforeAll(async () => {
  // A JVM cluster and a console process: minutes on a loaded two-core machine, seconds otherwise.
  test.setTimeout(300_000);
  ak = await ApacheKafka.start({ nodes: 3, overrides: { "message.max.bytes": "2000000", "offsets.topic.num.partitions": "3" } });
  addresses = ak.brokers;
  kafka = new Kafka({ clientId: "e2e-ak", brokers: addresses, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: false, topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: "retention.ms", value: "3600000" }] }] });
  await inSync(TOPIC, 3);
  // Idempotent, so a send retried after a timeout is not written twice (CI once saw 6 on a partition).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 9 }, (_, i) => ({ partition: i % 3, value: `order-${i}` })) });
  await producer.disconnect();
  // A group without members, committed at the start: 3 behind on each partition.
  await admin.setOffsets({ groupId: LAGGING, topic: TOPIC, partitions: [0, 1, 2].map((partition) => ({ partition, offset: "0" })) });

  db = await createTempPostgres("samsa_e2e_ak");
  dataDir = mkdtempSync(join(tmpdir(), "samsa-e2e-ak-"));
  const port = await freePort();
  const started = await startConsole({
    PORT: String(port),
    KAFKA_BROKERS: addresses.join(","),
    SAMSA_CLUSTER_NAME: "apache-kafka",
    SAMSA_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    SAMSA_ADMIN_PASSWORD: PASSWORD,
    SAMSA_METADATA_INTERVAL_MS: "1000",
  });
  consoleProcess = started.child;
  consoleUrl = `http://localhost:${port}`;
  expect(started.output()).toContain(`showing the cluster at ${addresses.join(",")}`);
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  for (const c of consumers.splice(0)) await c.disconnect().catch(() => {});
  await admin?.disconnect().catch(() => {});
  if (consoleProcess) await stopConsole(consoleProcess);
  await db?.drop().catch(() => {});
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await ak?.destroy();
});

test("overview: Apache Kafka's cluster id, three brokers, the quorum leader as controller, derived events", async ({ page }) => {
  await signIn(page, "admin", PASSWORD);
  const cluster = await admin.describeCluster();
  await expect(page.getByTestId("cluster-id")).toHaveText(cluster.clusterId);
  await expect(page.getByTestId("stat-brokers")).toContainText("3");
  await expect(page.getByTestId("stat-offline-brokers")).toContainText("0");
  const quorum = await ApacheKafka.tool("kafka-metadata-quorum", ["--bootstrap-server", addresses[0]!, "describe", "--status"]);
  const leader = /LeaderId:\s+(\d+)/.exec(quorum.stdout)?.[1];
  expect(leader, quorum.stdout + quorum.stderr).toBeDefined();
  await expect(page.getByTestId("stat-controller")).toContainText(leader!);
  await expect(page.getByTestId("stat-under-replicated")).toContainText("0");
  await expect(page.getByText("derived from metadata and group descriptions").first()).toBeVisible();

  // A consumer starting now: the console sees its group appear and settle, without a reload.
  const consumer = kafka.consumer({ groupId: LIVE, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
  const feed = page.getByTestId("event-feed");
  await expect(feed.locator(`[data-testid="event"][data-machine="group"][data-subject="${LIVE}"][data-to="Stable"]`).first()).toBeVisible({ timeout: 60_000 });
  await shot(page, "apache-kafka-overview");
});

test("topics: the list, and a topic's partitions with leaders, three replicas, the ISR and its configs", async ({ page }) => {
  await signIn(page, "admin", PASSWORD);
  await page.goto("/topics");
  const row = page.getByTestId("topic-row").filter({ hasText: TOPIC });
  await expect(row).toHaveCount(1);
  await expect(row.locator("td").nth(1)).toHaveText("3"); // partitions
  await expect(row.locator("td").nth(2)).toHaveText("3"); // replication factor
  await expect(page.getByTestId("topic-row").filter({ hasText: "__consumer_offsets" })).toHaveCount(0);
  await shot(page, "apache-kafka-topics");
  await page.getByLabel("include internal topics").check();
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/internal=1/);
  await expect(page.getByTestId("topic-row").filter({ hasText: "__consumer_offsets" })).toContainText("internal");
  await page.goto("/topics");

  await row.getByRole("link", { name: TOPIC }).click();
  await expect(page).toHaveURL(new RegExp(`/topics/${TOPIC}$`));
  await expect(page.getByTestId("partition-count")).toHaveText("3");
  const partitions = page.getByTestId("partition-row");
  await expect(partitions).toHaveCount(3);
  const described = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  for (const [i, p] of described.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId).entries()) {
    await expect(partitions.nth(i).getByTestId("leader")).toHaveText(String(p.leader));
    await expect(partitions.nth(i).getByTestId("isr")).toHaveText(`[${p.isr.join(", ")}]`);
    expect(p.isr).toHaveLength(3);
    await expect(partitions.nth(i).getByTestId("latest-offset")).toHaveText("3");
  }
  const configRow = (name: string) => page.getByTestId("configs-table").locator("tr").filter({ has: page.getByRole("cell", { name, exact: true }) });
  await expect(configRow("retention.ms").locator("td")).toHaveText(["retention.ms", "3600000", "topic"]);
  // Inherited from server.properties (message.max.bytes=2000000): Apache Kafka says STATIC_BROKER_CONFIG.
  await expect(configRow("max.message.bytes").locator("td")).toHaveText(["max.message.bytes", "2000000", "static broker"]);
  await expect(page.getByTestId("topic-consumer-row").and(page.locator(`[data-group="${LAGGING}"]`)).getByTestId("topic-consumer-lag")).toHaveText("9");
  await shot(page, "apache-kafka-topic");
});

test("groups: the list with lag, a running group's members and assignment, an empty group's lag", async ({ page }) => {
  await signIn(page, "admin", PASSWORD);
  await page.goto("/groups");
  const live = page.getByTestId("group-row").filter({ hasText: LIVE });
  const lagging = page.getByTestId("group-row").filter({ hasText: LAGGING });
  await expect(lagging.getByTestId("group-lag")).toHaveText("9");
  await expect(lagging).toContainText("Empty");
  await expect(live).toContainText("Stable");
  await expect(live).toContainText("RoundRobinAssigner");
  await shot(page, "apache-kafka-groups");

  await live.getByRole("link", { name: LIVE }).click();
  await expect(page).toHaveURL(new RegExp(`/groups/${LIVE}$`));
  await expect(page.getByTestId("group-state")).toHaveText("Stable");
  await expect(page.getByTestId("member-count")).toHaveText("1");
  await expect(page.getByTestId("member-row").getByTestId("member-assignment")).toContainText(`${TOPIC}: [`);
  await expect(page.getByTestId("group-offset-row")).toHaveCount(3);
  await expect(page.getByTestId("total-lag")).toHaveText("0");
  await shot(page, "apache-kafka-group");

  await page.goto(`/groups/${LAGGING}`);
  await expect(page.getByTestId("group-state")).toHaveText("Empty");
  await expect(page.getByTestId("member-count")).toHaveText("0");
  await expect(page.getByTestId("total-lag")).toHaveText("9");
  await expect(page.getByTestId("group-offset-row").getByTestId("lag")).toHaveText(["3", "3", "3"]);
});

test("brokers: three nodes, the controller marked, a broker's configs with their sources and synonyms", async ({ page }) => {
  await signIn(page, "admin", PASSWORD);
  await page.goto("/brokers");
  await expect(page.getByTestId("broker-row")).toHaveCount(3);
  for (const a of addresses) await expect(page.getByTestId("brokers-table")).toContainText(a);
  await expect(page.getByTestId("brokers-table").getByText("controller")).toHaveCount(1);
  await shot(page, "apache-kafka-brokers");

  await page.getByRole("link", { name: "broker 1" }).click();
  await expect(page).toHaveURL(/\/brokers\/1$/);
  await hydrated(page);
  const config = (name: string) => page.locator(`[data-testid="broker-config-row"][data-name="${name}"]`);
  await expect(config("message.max.bytes")).toHaveAttribute("data-source", "static broker");
  await expect(config("message.max.bytes").getByTestId("config-value")).toHaveText("2000000");
  await expect(config("message.max.bytes").getByTestId("config-synonyms")).toContainText("message.max.bytes=1048588 (default)");
  await expect(config("log.dirs")).toContainText("read-only");
  await expect(page.getByTestId("log-dir-row")).toHaveCount(1);
  await expect(page.getByTestId("broker-partitions-table")).toContainText(`${TOPIC}-`);
  await shot(page, "apache-kafka-broker");
});

test("state changes: a topic created by another client shows as derived partition events, live and stored", async ({ page }) => {
  await signIn(page, "admin", PASSWORD);
  await page.goto("/state-changes");
  await hydrated(page);
  await expect(page.getByText("derived from metadata and group descriptions").first()).toBeVisible();
  await admin.createTopics({ waitForLeaders: false, topics: [{ topic: "ak-e2e-later", numPartitions: 2, replicationFactor: 3 }] });
  const live = page.getByTestId("live-event");
  for (const p of [0, 1]) {
    await expect(live.and(page.locator(`[data-subject="ak-e2e-later-${p}"][data-from="NonExistentPartition"][data-to="OnlinePartition"]`))).toHaveCount(1);
  }
  await expect(live.and(page.locator(`[data-machine="group"][data-subject="${LIVE}"][data-to="Stable"]`)).first()).toBeVisible();
  // Stored in PostgreSQL too: the history lists them after a reload, marked derived (no offset).
  const stored = page.getByTestId("history-row").and(page.locator(`[data-subject="ak-e2e-later-0"][data-to="OnlinePartition"]`));
  await expect.poll(async () => (await page.reload(), await stored.count()), { timeout: 20_000 }).toBe(1);
  await expect(stored).toContainText("derived");
  await expect(stored).toContainText("topic ak-e2e-later created");
  // Nothing invented: no controller moves or broker changes while Apache Kafka stood still.
  await expect(page.getByTestId("history-row").and(page.locator('[data-machine="controller"]'))).toHaveCount(0);
  await expect(page.getByTestId("history-row").and(page.locator('[data-machine="broker"]'))).toHaveCount(0);
  await shot(page, "apache-kafka-state-changes");
});
