// The console's live pages against the real broker and database of the global setup: a group
// page following a rebalance as a second consumer joins, the state-changes page (live stream,
// filters, stored history for a time range) and the broker detail page (partitions, log dirs,
// configs, a dynamic config change). Nothing here is counted by console.spec.ts's audit test:
// topics are created with kafkajs, and broker config changes are their own action.
import { Kafka, logLevel, type Admin, type Consumer } from "kafkajs";
import { ADMIN_PASSWORD, KAFKA, expect, hydrated, shot, signIn, test } from "./support/fixtures.ts";

test.describe.configure({ mode: "serial" });

let kafka: Kafka;
let admin: Admin;
const consumers: Consumer[] = [];

test.beforeAll(async () => {
  kafka = new Kafka({ clientId: "e2e-live", brokers: [KAFKA()], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  admin = kafka.admin();
  await admin.connect();
});

test.afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => {});
  await admin?.disconnect();
});

async function startConsumer(groupId: string, topic: string): Promise<Consumer> {
  const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  consumers.push(c);
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({ eachMessage: async () => {} });
  return c;
}

test("a second consumer joins: the open group page follows the rebalance live, without a reload", async ({ page }) => {
  const topic = "e2e-rebalance";
  const groupId = "e2e-rebalance-group";
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  await startConsumer(groupId, topic);
  await expect
    .poll(async () => {
      const [g] = (await admin.describeGroups([groupId])).groups;
      return `${g?.state}/${g?.members.length}`;
    }, { timeout: 30_000 })
    .toBe("Stable/1");

  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto(`/groups/${groupId}`);
  await hydrated(page);
  const diagram = page.getByTestId("group-state-diagram");
  await expect(diagram).toHaveAttribute("data-state", "Stable");
  await expect(page.getByTestId("member-count")).toHaveText("1");
  await expect(page.getByTestId("member-assignment")).toHaveText(`${topic}: [0, 1]`);
  // Marks this document: a reload would lose it.
  await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));

  const started = Date.now();
  await startConsumer(groupId, topic);

  // The diagram followed Stable → PreparingRebalance → CompletingRebalance → Stable and is lit on Stable.
  await expect(diagram).toHaveAttribute("data-path", /Stable>PreparingRebalance PreparingRebalance>CompletingRebalance CompletingRebalance>Stable$/, { timeout: 20_000 });
  await expect(diagram).toHaveAttribute("data-state", "Stable");
  await expect(page.getByTestId("state-Stable")).toHaveAttribute("data-lit", "true");
  // The timeline (newest first) lists the three transitions in order.
  const timeline = page.getByTestId("event-feed").getByTestId("event");
  await expect(timeline.nth(0)).toHaveAttribute("data-to", "Stable");
  await expect(timeline.nth(0)).toHaveAttribute("data-from", "CompletingRebalance");
  await expect(timeline.nth(1)).toHaveAttribute("data-to", "CompletingRebalance");
  await expect(timeline.nth(1)).toHaveAttribute("data-from", "PreparingRebalance");
  await expect(timeline.nth(2)).toHaveAttribute("data-to", "PreparingRebalance");
  await expect(timeline.nth(2)).toHaveAttribute("data-from", "Stable");
  // The members table (server-rendered, refreshed when the group changed) shows the new split.
  await expect(page.getByTestId("member-count")).toHaveText("2");
  await expect(page.getByTestId("member-row")).toHaveCount(2);
  // The CompletingRebalance refresh may render the members before their assignment; the Stable one follows.
  await expect.poll(async () => (await page.getByTestId("member-assignment").allTextContents()).sort(), { timeout: 10_000 }).toEqual([`${topic}: [0]`, `${topic}: [1]`]);
  const seconds = (Date.now() - started) / 1000;
  expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);
  test.info().annotations.push({ type: "rebalance seen", description: `${seconds.toFixed(1)} s after the second consumer started` });
  process.stdout.write(`e2e: the group page showed the rebalance and the new split ${seconds.toFixed(1)} s after the second consumer started\n`);
  await shot(page, "group-rebalance");
  for (const c of consumers.splice(0)) await c.disconnect();
});

test("state changes: a topic's transitions arrive live, filter by machine, topic and broker, and the stored history for a time range", async ({ page }) => {
  const topic = "e2e-sc";
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto("/state-changes");
  await hydrated(page);
  const before = Date.now() - 1000;
  // Its one replica on broker 1, a broker-only node: the controller reports it all the same.
  await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [1] }] }] });
  const live = page.getByTestId("live-event");
  const ev = (subject: string, to: string) => live.and(page.locator(`[data-subject="${subject}"][data-to="${to}"]`));
  for (const to of ["NewPartition", "OnlinePartition"]) await expect(ev(`${topic}-0`, to)).toHaveCount(1);
  for (const to of ["NewReplica", "OnlineReplica"]) await expect(ev(`${topic}-0@1`, to)).toHaveCount(1);
  await shot(page, "state-changes");

  // Filter by machine: only replica transitions remain (a client-side navigation; the stream stays open).
  await page.getByLabel("Machine").selectOption("replica");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/machine=replica/);
  await expect(ev(`${topic}-0`, "OnlinePartition")).toHaveCount(0);
  await expect(ev(`${topic}-0@1`, "OnlineReplica")).toHaveCount(1);
  expect(new Set(await live.evaluateAll((els) => els.map((e) => e.getAttribute("data-machine"))))).toEqual(new Set(["replica"]));
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");

  // And by topic: partition transitions of this topic only.
  await page.getByLabel("Machine").selectOption("partition");
  await page.getByLabel("Topic").fill(topic);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/machine=partition&topic=/);
  await expect(live).toHaveCount(2);
  expect(await live.evaluateAll((els) => els.map((e) => `${e.getAttribute("data-subject")} ${e.getAttribute("data-to")}`))).toEqual([`${topic}-0 OnlinePartition`, `${topic}-0 NewPartition`]);

  // By broker: the replicas broker 1 hosts and its own transitions, whatever the topic.
  await page.getByLabel("Machine").selectOption("");
  await page.getByLabel("Topic").fill("");
  await page.getByLabel("Broker").fill("1");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/\?broker=1$/);
  await expect(ev(`${topic}-0@1`, "OnlineReplica")).toHaveCount(1);
  const onBroker = await live.evaluateAll((els) => els.map((e) => [e.getAttribute("data-machine"), e.getAttribute("data-subject")]));
  expect(onBroker.every(([machine, subject]) => (machine === "replica" && subject!.endsWith("@1")) || (machine === "broker" && subject === "1"))).toBe(true);
  await page.getByLabel("Broker").fill("");
  await page.getByLabel("Topic").fill(topic);

  // The stored history for a time range entered in the browser's time zone.
  const local = (ms: number) =>
    page.evaluate((t) => {
      const d = new Date(t);
      const p = (n: number) => String(n).padStart(2, "0");
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    }, ms);
  await page.getByLabel("Machine").selectOption("");
  await page.getByLabel("History from").fill(await local(before - 60_000));
  await page.getByLabel("History to").fill(await local(Date.now() + 120_000));
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/from=.*&to=/);
  const history = page.getByTestId("history-row");
  const stored = (to: string) => history.and(page.locator(`[data-subject="${topic}-0"][data-to="${to}"]`));
  await expect
    .poll(async () => (await page.reload(), await stored("OnlinePartition").count()), { timeout: 20_000 })
    .toBe(1);
  await expect(stored("NewPartition")).toHaveCount(1);
  await expect(history.and(page.locator(`[data-subject="${topic}-0@1"][data-to="OnlineReplica"]`))).toHaveCount(1);
  await expect(page.getByTestId("history-range")).toContainText(" to ");
  await shot(page, "state-changes-history");

  // A range that ends before the topic existed does not list it.
  const url = new URL(page.url());
  url.searchParams.set("to", new Date(before - 30_000).toISOString());
  await page.goto(url.pathname + url.search);
  await expect(page.getByTestId("history-range")).toBeVisible();
  await expect(history.and(page.locator(`[data-subject="${topic}-0"]`))).toHaveCount(0);
});

test("broker detail: partitions led, log dirs with sizes, configs with synonyms, a dynamic config set and removed", async ({ page }) => {
  const topic = "e2e-broker-topic";
  // Both partitions on broker 0, whose page this test reads (the cluster has three brokers).
  await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [0] }, { partition: 1, replicas: [0] }] }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `value-${i}`.repeat(20) })) });
  await producer.disconnect();

  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto("/brokers");
  await page.getByRole("link", { name: "broker 0" }).click();
  await expect(page).toHaveURL(/\/brokers\/0$/);
  await hydrated(page);
  await expect(page.getByTestId("stat-led")).not.toContainText(/Leader of\s*0$/);
  const dir = page.getByTestId("log-dir-row");
  await expect(dir).toHaveCount(1);
  await expect(dir.getByTestId("log-dir-partitions")).not.toHaveText("0");
  await expect(dir).toContainText("online");
  await shot(page, "broker-detail");

  await page.getByLabel("Filter partitions by topic").fill(topic);
  await page.getByRole("button", { name: "Filter" }).click();
  const rows = page.getByTestId("broker-partition-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText(`${topic}-0`);
  await expect(rows.first()).toContainText("leader");
  await expect(rows.first()).toContainText("in sync");
  await expect(rows.first().getByTestId("partition-size")).not.toHaveText("0 B");
  await expect(rows.nth(1).getByTestId("partition-size")).toHaveText("0 B");

  // Configs: static ones with their synonyms; then a dynamic override, and its removal.
  const config = (name: string) => page.locator(`[data-testid="broker-config-row"][data-name="${name}"]`);
  await expect(config("log.dirs")).toContainText("read-only");
  await page.getByLabel("Config").fill("log.dirs");
  await page.getByLabel("Value").fill("/tmp/elsewhere");
  await page.getByRole("button", { name: "Set dynamic config" }).click();
  await expect(page.getByTestId("error-name")).toContainText("log.dirs is read-only: Kafka changes it only in server.properties, with a restart");

  await page.getByLabel("Config").fill("log.cleaner.backoff.ms");
  await page.getByLabel("Value").fill("20000");
  await page.getByRole("button", { name: "Set dynamic config" }).click();
  await expect(page.getByRole("status")).toContainText("Set log.cleaner.backoff.ms = 20000 on broker 0.");
  await expect(config("log.cleaner.backoff.ms")).toHaveAttribute("data-source", "dynamic broker");
  await expect(config("log.cleaner.backoff.ms").getByTestId("config-value")).toHaveText("20000");
  await expect(config("log.cleaner.backoff.ms").getByTestId("config-synonyms")).toContainText("log.cleaner.backoff.ms=15000 (default)");
  await shot(page, "broker-config");

  await page.getByLabel("Config").fill("log.cleaner.backoff.ms");
  await page.getByRole("button", { name: "Remove override" }).click();
  await expect(page.getByRole("status")).toContainText("Removed the override of log.cleaner.backoff.ms");
  await expect(config("log.cleaner.backoff.ms")).toHaveCount(0); // back at its default, hidden
  await page.goto("/audit?action=broker.alterConfig");
  await expect(page.getByTestId("audit-row")).toHaveCount(3);
});
