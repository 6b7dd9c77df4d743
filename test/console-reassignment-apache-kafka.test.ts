// The console's reassignment actions and progress against Apache Kafka 3.9 (three combined
// nodes), the same APIs as on Samsa: a partition moved through topic.reassign completes; one
// held back by Kafka's replication throttle (1 KB/s, every replica of the topic) is listed
// with its adding replica partly caught up, then cancelled back to its replica; a preferred
// election of partitions led by their preferred replicas is "not needed"; Kafka's own refusal
// of a cancel of nothing comes back in words.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelReassignment, electPreferredLeaders, reassignTopic, type ActionContext } from "../server/actions/definitions.ts";
import { runAction } from "../server/actions/run-action.ts";
import { UserStore } from "../server/auth/users.ts";
import { AuditStore } from "../server/db/audit.ts";
import { openDatabase, type Database } from "../server/db/database.ts";
import { migrate, readMigrations } from "../server/db/migrate.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { GroupsClient } from "../server/kafka/groups.ts";
import { listReassignments } from "../server/kafka/reassignments.ts";
import { reassignmentProgress } from "../server/queries/reassignments.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { waitFor } from "./helpers/groups.ts";

let ak: ApacheKafka;
let conn: ClusterConnection;
let kafka: Kafka;
let db: Database;
let dbDir: string;
let deps: { audit: AuditStore; clusterName: string; context: ActionContext };
const operator = { username: "otto", role: "operator" as const };

beforeAll(async () => {
  ak = await ApacheKafka.start({ nodes: 3 });
  conn = new ClusterConnection("ak", ak.brokers);
  kafka = new Kafka({ clientId: "console-reassignment-ak", brokers: ak.brokers, logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200 } });
  dbDir = mkdtempSync(join(tmpdir(), "samsa-console-reassignment-ak-"));
  db = await openDatabase({ pgliteDir: dbDir });
  await migrate(db, readMigrations(join(import.meta.dirname, "..", "prisma", "migrations")));
  deps = { audit: new AuditStore(db.prisma), clusterName: "ak", context: { cluster: conn, groups: new GroupsClient(conn), users: new UserStore(db.prisma) } };
}, 180_000);

afterAll(async () => {
  await conn?.close();
  await db?.close();
  await ak?.destroy();
  if (dbDir) rmSync(dbDir, { recursive: true, force: true });
});

async function createTopic(topic: string, assignments: number[][], records: { count: number; bytes: number }): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: assignments.map((replicas, partition) => ({ partition, replicas })) }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < records.count; i += 50) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(50, records.count - i) }, (_, j) => ({ partition: 0, value: `${i + j}`.padEnd(records.bytes, "x") })) });
    }
  } finally {
    await producer.disconnect();
  }
}

const partition = async (topic: string, p = 0) => (await conn.snapshot(0)).byName.get(topic)?.partitions.find((x) => x.partition === p);

describe("reassignment from the console on Apache Kafka", () => {
  it("moves a partition through topic.reassign and sees it complete; a preferred election is not needed; a cancel of nothing in words", async () => {
    const topic = "ak-moving";
    await createTopic(topic, [[0, 1]], { count: 100, bytes: 100 });
    expect(await runAction(reassignTopic, deps, operator, { topic, "replicas-0": "1,2" })).toEqual({ ok: true, data: { topic, started: [0] } });
    await waitFor("the move complete", async () => {
      const p = await partition(topic);
      return (await listReassignments(conn)).length === 0 && p?.replicas.join() === "1,2" && [...p.isr].sort().join() === "1,2";
    }, 60_000);
    // Kafka moves the lead to the first target replica when the old leader leaves.
    await waitFor("broker 1 leading", async () => (await partition(topic))?.leader === 1);
    expect(await runAction(electPreferredLeaders, deps, operator, { topic })).toEqual({ ok: true, data: { topic, elected: [], notNeeded: [0] } });
    const nothing = await runAction(cancelReassignment, deps, operator, { topic, partition: "0" });
    expect(nothing).toMatchObject({ ok: false, code: "NO_REASSIGNMENT_IN_PROGRESS" });
    expect(!nothing.ok && nothing.error).toMatch(/^NO_REASSIGNMENT_IN_PROGRESS: partition 0: no reassignment is in progress for it/);
  }, 90_000);

  it("shows a throttled reassignment's partial catch-up and cancels it back to the original replica", async () => {
    const topic = "ak-throttled";
    // 4 MB: more than a follower's first fetch (replica.fetch.max.bytes, 1 MB) before the throttle holds it.
    await createTopic(topic, [[0]], { count: 4000, bytes: 1000 });
    for (const b of [0, 1, 2]) {
      await conn.alterBrokerConfig(b, "leader.replication.throttled.rate", "1024");
      await conn.alterBrokerConfig(b, "follower.replication.throttled.rate", "1024");
    }
    await conn.alterTopicConfig(topic, "leader.replication.throttled.replicas", "*");
    await conn.alterTopicConfig(topic, "follower.replication.throttled.replicas", "*");

    expect(await runAction(reassignTopic, deps, operator, { topic, "replicas-0": "0,2" })).toEqual({ ok: true, data: { topic, started: [0] } });
    const moving = await waitFor("broker 2's copy started", async () => {
      const r = (await reassignmentProgress(conn, topic))[0];
      const c = r?.catchUp[0];
      return c && c.logEndOffset !== null && BigInt(c.logEndOffset) > 0n && r;
    }, 30_000);
    expect(moving).toMatchObject({ topic, partition: 0, replicas: [0, 2], adding: [2], removing: [], leader: 0 });
    const [c] = moving.catchUp;
    expect(c!.broker).toBe(2);
    expect(c!.percent).toBeGreaterThanOrEqual(0);
    expect(c!.percent).toBeLessThan(100);
    expect(BigInt(c!.behind!)).toBe(4000n - BigInt(c!.logEndOffset!));

    expect(await runAction(cancelReassignment, deps, operator, { topic, partition: "0" })).toEqual({ ok: true, data: { topic, partition: 0 } });
    await waitFor("back to its one replica", async () => (await listReassignments(conn)).length === 0 && (await partition(topic))?.replicas.join() === "0", 30_000);
    expect(await partition(topic)).toMatchObject({ leader: 0, isr: [0] });
  }, 120_000);
});
