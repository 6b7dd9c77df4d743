// The console end to end: a real broker process (the embedded cluster `npm start` runs), a
// real PostgreSQL database for the audit history, Debian's chromium. One story, in order.
import { Kafka, logLevel, type Admin } from "kafkajs";
import { ADMIN_PASSWORD, KAFKA, expect, hydrated, shot, signIn, test } from "./support/fixtures.ts";

test.describe.configure({ mode: "serial" });

const TOPIC = "e2e-orders";
const VIEWER = { username: "vera", password: "vera-password-1" };
let kafka: Kafka;
let admin: Admin;

test.beforeAll(async () => {
  kafka = new Kafka({ clientId: "e2e", brokers: [KAFKA()], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  admin = kafka.admin();
  await admin.connect();
});

test.afterAll(async () => {
  await admin?.disconnect();
});

test("signing in: a wrong password is refused, the admin's is accepted", async ({ page }) => {
  await page.goto("/topics");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong" })).toHaveText("Wrong user name or password.");
  await shot(page, "sign-in");
  await signIn(page, "admin", ADMIN_PASSWORD());
  await expect(page.getByTestId("whoami")).toContainText("admin (admin)");
});

test("the overview shows the cluster and receives state changes live over SSE", async ({ page }) => {
  await signIn(page, "admin", ADMIN_PASSWORD());
  const cluster = await admin.describeCluster();
  await expect(page.getByTestId("cluster-id")).toHaveText(cluster.clusterId);
  await expect(page.getByTestId("stat-brokers")).toContainText("3");
  await expect(page.getByTestId("stat-offline-brokers")).toContainText("0");
  await expect(page.getByTestId("stat-controller")).toContainText(String(cluster.controller));
  await expect(page.getByTestId("stat-offline")).toContainText("0");
  // A topic created by another client: its partition's transitions arrive without a reload.
  await admin.createTopics({ topics: [{ topic: "e2e-live", numPartitions: 1 }] });
  const feed = page.getByTestId("event-feed");
  await expect(feed.getByTestId("event").filter({ hasText: "e2e-live-0" }).filter({ hasText: "OnlinePartition" }).first()).toBeVisible();
  await expect(page.getByTestId("stat-topics")).not.toContainText(/^Topics\s*0$/);
  await shot(page, "overview");
});

test("creating a topic: Kafka's errors appear next to the field, then it is created with its partitions and ISR", async ({ page }) => {
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto("/topics/new");
  await hydrated(page);
  await page.getByLabel("Name").fill(TOPIC);
  await page.getByLabel("Partitions").fill("3");
  // Four replicas on three brokers: Kafka's refusal, shown at the field.
  await page.getByLabel("Replication factor").fill("4");
  await page.getByRole("button", { name: "Create topic" }).click();
  await expect(page.getByTestId("error-replicationFactor")).toContainText("INVALID_REPLICATION_FACTOR");
  await expect(page.getByLabel("Replication factor")).toHaveAttribute("aria-invalid", "true");
  await shot(page, "create-topic-error");

  await page.getByLabel("Name").fill("bad name!");
  await page.getByLabel("Replication factor").fill("1");
  await page.getByRole("button", { name: "Create topic" }).click();
  await expect(page.getByTestId("error-name")).toContainText("INVALID_TOPIC_EXCEPTION");
  await expect(page.getByTestId("error-replicationFactor")).toHaveCount(0);

  await page.getByLabel("Name").fill(TOPIC);
  await page.getByLabel("retention.ms").fill("soon");
  await page.getByRole("button", { name: "Create topic" }).click();
  await expect(page.getByTestId("error-retentionMs")).toContainText("INVALID_CONFIG");

  await page.getByLabel("retention.ms").fill("3600000");
  await page.getByLabel("cleanup.policy").selectOption("delete");
  await page.getByLabel("Other configs").fill("max.message.bytes 2000000");
  await page.getByRole("button", { name: "Create topic" }).click();
  await expect(page.getByTestId("error-configs")).toContainText("write name=value");
  await page.getByLabel("Other configs").fill("max.message.bytes=2000000");
  await page.getByRole("button", { name: "Create topic" }).click();
  await expect(page).toHaveURL(new RegExp(`/topics/${TOPIC}\\?created=1$`));
  await expect(page.getByTestId("partition-count")).toHaveText("3");
  const rows = page.getByTestId("partition-row");
  await expect(rows).toHaveCount(3);
  // Three partitions over the three brokers: one led by each, each in sync with its one replica.
  const leaders: string[] = [];
  for (let i = 0; i < 3; i++) {
    const leader = (await rows.nth(i).getByTestId("leader").innerText()).trim();
    await expect(rows.nth(i).getByTestId("isr")).toHaveText(`[${leader}]`);
    leaders.push(leader);
  }
  expect(leaders.sort()).toEqual(["0", "1", "2"]);
  await expect(page.getByTestId("configs-table")).toContainText("retention.ms");
  await expect(page.getByTestId("configs-table")).toContainText("3600000");
  await expect(page.getByTestId("configs-table")).toContainText("2000000");
  await shot(page, "topic-detail");
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  expect(meta.topics[0]!.partitions).toHaveLength(3);

  // Edit a config on the topic: Kafka's refusal at the field, then the new value in the table.
  await hydrated(page);
  await page.getByLabel("Config").fill("retention.ms");
  await page.getByLabel("Value").fill("soon");
  await page.getByRole("button", { name: "Set config" }).click();
  await expect(page.getByTestId("error-value")).toContainText("INVALID_CONFIG");
  await page.getByLabel("Value").fill("7200000");
  await page.getByRole("button", { name: "Set config" }).click();
  await expect(page.getByTestId("config-form").getByRole("status")).toContainText(`Set retention.ms = 7200000 on topic ${TOPIC}.`);
  await expect(page.getByTestId("configs-table")).toContainText("7200000");
  expect((await admin.describeConfigs({ resources: [{ type: 2, name: TOPIC, configNames: ["retention.ms"] }], includeSynonyms: false })).resources[0]!.configEntries[0]!.configValue).toBe("7200000");
});

test("messages produced with kafkajs show in the message browser and the offsets", async ({ page }) => {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: [{ partition: 1, key: "order-1", value: '{"total":42}' }, { partition: 1, key: "order-2", value: '{"total":7}' }] });
  await producer.disconnect();
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto(`/topics/${TOPIC}/messages`);
  const rows = page.getByTestId("message-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText("order-2");
  await expect(rows.nth(1)).toContainText('{"total":42}');
  // And one produced from the console.
  await hydrated(page);
  await page.getByLabel("Key").fill("from-console");
  await page.getByLabel("Value").fill("hello");
  await page.locator("#partition").selectOption("0");
  await page.getByRole("button", { name: "Produce test message" }).click();
  await expect(page.getByRole("status")).toContainText("Produced to partition");
  await expect(page.getByTestId("message-row").filter({ hasText: "from-console" })).toHaveCount(1);
  await shot(page, "messages");
  await page.goto(`/topics/${TOPIC}`);
  await expect(page.getByTestId("partition-row").nth(1).getByTestId("latest-offset")).toHaveText("2");
});

test("the topics list searches and pages on the server", async ({ page }) => {
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto(`/topics?q=${TOPIC}`);
  await expect(page.getByTestId("topics-table").getByRole("link", { name: TOPIC })).toBeVisible();
  await expect(page.getByTestId("topic-count")).toContainText("1 of");
  await page.goto("/topics?internal=1");
  await expect(page.getByTestId("topics-table")).toContainText("__state_changes");
  await shot(page, "topics");
  await page.goto("/brokers");
  await expect(page.getByTestId("brokers-table")).toContainText("controller");
  await shot(page, "brokers");
});

test("an admin adds a viewer", async ({ page }) => {
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto("/users");
  await hydrated(page);
  await page.getByLabel("User name").fill(VIEWER.username);
  await page.getByLabel("Password", { exact: true }).fill(VIEWER.password);
  await page.getByLabel("Role").selectOption("viewer");
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status")).toContainText(`Added ${VIEWER.username}`);
  await expect(page.getByTestId("users-table")).toContainText(VIEWER.username);
  await shot(page, "users");
});

test("a viewer cannot delete: the server refuses the delete action itself, not just the button", async ({ browser }) => {
  // The admin's browser: capture the delete action's request as the form sends it, and stop it.
  const adminCtx = await browser.newContext();
  const adminPage = await adminCtx.newPage();
  await signIn(adminPage, "admin", ADMIN_PASSWORD());
  await adminPage.goto(`/topics/${TOPIC}`);
  await hydrated(adminPage);
  let captured: { url: string; headers: Record<string, string>; body: Buffer } | null = null;
  await adminPage.route(`**/topics/${TOPIC}`, async (route) => {
    const req = route.request();
    if (req.method() === "POST" && req.headers()["next-action"]) {
      captured = { url: req.url(), headers: req.headers(), body: req.postDataBuffer()! };
      await route.abort();
    } else {
      await route.continue();
    }
  });
  await adminPage.getByLabel("Type the topic name to confirm").fill(TOPIC);
  await adminPage.getByRole("button", { name: "Delete topic" }).click();
  await expect.poll(() => captured !== null).toBe(true);
  await adminCtx.close();

  // The viewer: no delete form, no create page, no users page...
  const viewerCtx = await browser.newContext();
  const page = await viewerCtx.newPage();
  await signIn(page, VIEWER.username, VIEWER.password);
  await page.goto(`/topics/${TOPIC}`);
  await expect(page.getByTestId("partitions-table")).toBeVisible();
  await expect(page.getByRole("button", { name: "Delete topic" })).toHaveCount(0);
  await page.goto("/topics/new");
  await expect(page).toHaveURL(/\/forbidden\?need=operator$/);
  await page.goto("/users");
  await expect(page).toHaveURL(/\/forbidden\?need=admin$/);
  await shot(page, "viewer-forbidden");

  // ...and the same server action, sent with the viewer's session, is refused by the server.
  const c = captured!;
  const headers = Object.fromEntries(Object.entries(c.headers).filter(([k]) => ["next-action", "content-type", "accept", "next-router-state-tree"].includes(k)));
  const res = await viewerCtx.request.post(c.url, { headers, data: c.body });
  expect(res.status()).toBe(200);
  const text = await res.text();
  expect(text).toContain('"code":"FORBIDDEN"');
  expect(text).toContain("Your role (viewer) does not allow topic.delete");
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  expect(meta.topics[0]!.name).toBe(TOPIC);
  await viewerCtx.close();
});

test("an admin makes the viewer an operator, who then deletes the topic after typing its name", async ({ page, browser }) => {
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto("/users");
  await hydrated(page);
  const role = page.locator(`[data-testid="user-role"][data-user="${VIEWER.username}"]`);
  await role.getByLabel(`Role of ${VIEWER.username}`).selectOption("operator");
  await role.getByRole("button", { name: "Change" }).click();
  await expect(role.getByRole("status")).toHaveText("now operator");
  await page.reload();
  await expect(role.getByLabel(`Role of ${VIEWER.username}`)).toHaveValue("operator");

  // The role is read on every request: the same user may now delete.
  const ctx = await browser.newContext();
  const op = await ctx.newPage();
  await signIn(op, VIEWER.username, VIEWER.password);
  await op.goto(`/topics/${TOPIC}`);
  await hydrated(op);
  const button = op.getByRole("button", { name: "Delete topic" });
  await op.getByLabel("Type the topic name to confirm").fill(`${TOPIC}-typo`);
  await expect(button).toBeDisabled();
  await op.getByLabel("Type the topic name to confirm").fill(TOPIC);
  await button.click();
  await expect(op).toHaveURL(new RegExp(`/topics\\?deleted=${TOPIC}$`));
  await op.goto(`/topics?q=${TOPIC}`);
  await expect(op.getByTestId("topics-table")).toContainText("No topics match.");
  expect((await admin.listTopics()).includes(TOPIC)).toBe(false);
  await ctx.close();
});

test("consumer groups: state lit live, Kafka's empty-group rule for resets, reset and delete", async ({ page }) => {
  const topic = "e2e-group-topic";
  const groupId = "e2e-group";
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ partition: i % 2, value: `g${i}` })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await consumer.run({ eachMessage: async () => void seen++ });
  await expect.poll(() => seen, { timeout: 30_000 }).toBe(4);

  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto("/groups");
  const row = page.getByTestId("group-row").filter({ hasText: groupId });
  await expect(row).toContainText("Stable");
  await shot(page, "groups");
  await row.getByRole("link", { name: groupId }).click();
  await expect(page).toHaveURL(new RegExp(`/groups/${groupId}$`));
  await hydrated(page);
  await expect(page.getByTestId("group-state-diagram")).toHaveAttribute("data-state", "Stable");
  await expect(page.getByTestId("state-Stable")).toHaveAttribute("data-lit", "true");
  await expect(page.getByTestId("member-count")).toHaveText("1");
  await expect(page.getByTestId("members-table")).toContainText(`${topic}: [0, 1]`);
  await expect.poll(async () => (await page.reload(), await page.getByTestId("group-offset-row").getByTestId("committed").allTextContents()), { timeout: 20_000 }).toEqual(["2", "2"]);
  await hydrated(page);
  await expect(page.getByTestId("empty-rule")).toContainText("Stable with 1 member: stop its consumers first");
  await page.getByRole("button", { name: "Reset offsets" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "NON_EMPTY_GROUP" })).toContainText("only when it is Empty");
  await shot(page, "group-detail");

  // The consumer stops: the diagram follows the group to Empty over the SSE stream.
  await consumer.disconnect();
  await expect(page.getByTestId("group-state-diagram")).toHaveAttribute("data-state", "Empty", { timeout: 30_000 });
  await expect(page.getByTestId("state-Empty")).toHaveAttribute("data-lit", "true");
  await page.getByLabel("Reset to").selectOption("earliest");
  await page.getByRole("button", { name: "Reset offsets" }).click();
  await expect(page.getByRole("status")).toContainText("Offsets reset: 0→0, 1→0");
  await page.reload();
  await expect(page.getByTestId("group-offset-row").getByTestId("lag")).toHaveText(["2", "2"]);

  // The topic's page lists the group among its consumers, with its lag on the topic.
  await page.goto(`/topics/${topic}`);
  const consumerRow = page.locator(`[data-testid="topic-consumer-row"][data-group="${groupId}"]`);
  await expect(consumerRow).toContainText("Empty");
  await expect(consumerRow).toContainText("2 of 2");
  await expect(consumerRow.getByTestId("topic-consumer-lag")).toHaveText("4");
  await page.goto(`/groups/${groupId}`);
  await hydrated(page);
  await page.getByLabel("Type the group id to confirm").fill(groupId);
  await page.getByRole("button", { name: "Delete group" }).click();
  await expect(page).toHaveURL(new RegExp(`/groups\\?deleted=${groupId}$`));
  await expect(page.getByTestId("groups-table")).not.toContainText(groupId);
});

test("the audit page lists each action with its actor and outcome, and filters", async ({ page }) => {
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto("/audit");
  const rows = page.getByTestId("audit-row");
  const row = (action: string, actor: string, outcome: string) => rows.and(page.locator(`[data-action="${action}"][data-actor="${actor}"][data-outcome="${outcome}"]`));
  await expect(row("topic.create", "admin", "error")).toHaveCount(3);
  await expect(row("topic.create", "admin", "error").filter({ hasText: "INVALID_REPLICATION_FACTOR" })).toHaveCount(1);
  await expect(row("topic.create", "admin", "ok")).toHaveCount(1);
  await expect(row("topic.create", "admin", "ok")).toContainText(`"topic":"${TOPIC}"`);
  await expect(row("message.produce", "admin", "ok")).toHaveCount(1);
  await expect(row("topic.alterConfig", "admin", "error")).toContainText("INVALID_CONFIG");
  await expect(row("topic.alterConfig", "admin", "ok")).toContainText('"value":"7200000"');
  await expect(row("user.create", "admin", "ok")).toContainText(VIEWER.username);
  await expect(row("topic.delete", VIEWER.username, "error")).toContainText("forbidden");
  await expect(row("user.setRole", "admin", "ok")).toContainText('"role":"operator"');
  await expect(row("topic.delete", VIEWER.username, "ok")).toHaveCount(1);
  await expect(row("group.resetOffsets", "admin", "error")).toContainText("NON_EMPTY_GROUP");
  await expect(row("group.resetOffsets", "admin", "ok")).toHaveCount(1);
  await expect(row("group.delete", "admin", "ok")).toContainText("e2e-group");
  await expect(rows.filter({ hasText: "pending" })).toHaveCount(0);
  await shot(page, "audit");
  await page.goto(`/audit?actor=${VIEWER.username}`);
  await expect(rows).not.toHaveCount(0);
  for (const actor of await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-actor")))) expect(actor).toBe(VIEWER.username);
  await page.goto("/audit?outcome=error&action=topic.create");
  await expect(rows).toHaveCount(3);
});
