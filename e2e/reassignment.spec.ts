// Reassignment in the browser, on the console global setup started with its embedded
// three-node cluster: an operator (the admin) fills the topic page's reassignment form (a
// duplicate broker is refused as typed), moves a one-replica partition onto brokers 1 and 2
// and sees the partitions table follow without a reload; the Reassignments page lists nothing
// left in progress; a preferred election on a partition already led by its preferred replica
// says so rather than failing; the audit page lists both actions.
import { Kafka, logLevel } from "kafkajs";
import { ADMIN_PASSWORD, KAFKA, expect, hydrated, shot, signIn, test } from "./support/fixtures.ts";

const TOPIC = "e2e-reassigned";

test("an operator moves a partition through the topic page's form and sees it complete; a preferred election that is not needed says so", async ({ page }) => {
  test.setTimeout(120_000);
  const kafka = new Kafka({ clientId: "e2e-reassignment", brokers: [KAFKA()], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [0] }] }] });
  } finally {
    await admin.disconnect();
  }
  await signIn(page, "admin", ADMIN_PASSWORD());
  await page.goto(`/topics/${TOPIC}`);
  await hydrated(page);
  await page.evaluate(() => ((window as unknown as { __samePage: boolean }).__samePage = true));
  const replicasCell = page.getByTestId("partition-row").first().locator("td").nth(2);
  await expect(replicasCell).toHaveText("[0]");

  const field = page.getByLabel("Replicas of partition 0");
  await expect(field).toHaveValue("0");
  await field.fill("1, 1");
  await expect(page.getByTestId("error-replicas-0")).toHaveText("Broker 1 is listed twice: a partition has one replica per broker");
  await expect(page.getByRole("button", { name: /^Reassign/ })).toBeDisabled();
  await field.fill("1, 2");
  await page.getByRole("button", { name: "Reassign 1 partition" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Reassignment started for partition 0" })).toBeVisible();
  await expect(replicasCell).toHaveText("[1, 2]", { timeout: 30_000 });
  await expect(page.getByTestId("partition-row").first().getByTestId("isr")).toHaveText(/^\[(1, 2|2, 1)\]$/, { timeout: 30_000 });
  expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage === true)).toBe(true);
  await shot(page, "reassignment-topic-moved");

  // Once broker 1, the preferred replica, leads (the move or the first election puts it there), an election is not needed.
  await page.getByRole("button", { name: "Elect preferred leaders" }).click();
  await expect(page.getByTestId("election-result")).toBeVisible();
  await page.getByRole("button", { name: "Elect preferred leaders" }).click();
  await expect(page.getByTestId("election-result")).toHaveText("Partition 0 already led by the preferred replica.");

  await page.getByRole("link", { name: "Reassignments" }).click();
  await expect(page).toHaveURL(/\/reassignments$/);
  await expect(page.getByTestId("no-reassignments")).toBeVisible();

  await page.goto("/audit");
  const rows = page.getByTestId("audit-row");
  await expect(rows.filter({ hasText: "topic.reassign" }).first()).toContainText("ok");
  await expect(rows.filter({ hasText: "topic.electPreferredLeaders" }).first()).toContainText("ok");
});
