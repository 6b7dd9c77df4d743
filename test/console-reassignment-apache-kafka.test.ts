// The console's reassignment actions and progress against Apache Kafka 3.9 (three combined
// nodes), the same APIs as on Samsa: a partition moved through topic.reassign completes; one
// held back by Kafka's replication throttle (1 KB/s, every replica of the topic) is listed
// with its adding replica partly caught up, then cancelled back to its replica; a preferred
// election of partitions led by their preferred replicas is "not needed"; Kafka's own refusal
// of a cancel of nothing comes back in words.
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelReassignment, electPreferredLeaders, reassignTopic } from "../server/actions/definitions.ts";
import { runAction } from "../server/actions/run-action.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { listReassignments } from "../server/kafka/reassignments.ts";
import { reassignmentProgress } from "../server/queries/reassignments.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { auditedActions, createAssignedTopic, type AuditedActions } from "./helpers/console-actions.ts";
import { waitFor } from "./helpers/groups.ts";

let ak: ApacheKafka;
let conn: ClusterConnection;
let kafka: Kafka;
let actions: AuditedActions;
const operator = { username: "otto", role: "operator" as const };

beforeAll(async () => {
  ak = await ApacheKafka.start({ nodes: 3 });
  conn = new ClusterConnection("ak", ak.brokers);
  kafka = new Kafka({ clientId: "console-reassignment-ak", brokers: ak.brokers, logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200 } });
  actions = await auditedActions(conn, "ak");
}, 180_000);

afterAll(async () => {
  await conn?.close();
  await actions?.close();
  await ak?.destroy();
});


const partition = async (topic: string, p = 0) => (await conn.snapshot(0)).byName.get(topic)?.partitions.find((x) => x.partition === p);

describe("reassignment from the console on Apache Kafka", () => {
  it("moves a partition through topic.reassign and sees it complete; a preferred election is not needed; a cancel of nothing in words", async () => {
    const topic = "ak-moving";
    await createAssignedTopic(kafka, topic, [[0, 1]], { count: 100, bytes: 100 });
    expect(await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": "1,2" })).toEqual({ ok: true, data: { topic, started: [0] } });
    await waitFor("the move complete", async () => {
      const p = await partition(topic);
      return (await listReassignments(conn)).length === 0 && p?.replicas.join() === "1,2" && [...p.isr].sort().join() === "1,2";
    }, 60_000);
    // Kafka moves the lead to the first target replica when the old leader leaves.
    await waitFor("broker 1 leading", async () => (await partition(topic))?.leader === 1);
    expect(await runAction(electPreferredLeaders, actions.deps, operator, { topic })).toEqual({ ok: true, data: { topic, elected: [], notNeeded: [0] } });
    const nothing = await runAction(cancelReassignment, actions.deps, operator, { topic, partition: "0" });
    expect(nothing).toMatchObject({ ok: false, code: "NO_REASSIGNMENT_IN_PROGRESS" });
    expect(!nothing.ok && nothing.error).toMatch(/^NO_REASSIGNMENT_IN_PROGRESS: partition 0: no reassignment is in progress for it/);
  }, 90_000);

  it("shows a throttled reassignment's partial catch-up and cancels it back to the original replica", async () => {
    const topic = "ak-throttled";
    // 4 MB: more than a follower's first fetch (replica.fetch.max.bytes, 1 MB) before the throttle holds it.
    await createAssignedTopic(kafka, topic, [[0]], { count: 4000, bytes: 1000 });
    for (const b of [0, 1, 2]) {
      await conn.alterBrokerConfig(b, "leader.replication.throttled.rate", "1024");
      await conn.alterBrokerConfig(b, "follower.replication.throttled.rate", "1024");
    }
    await conn.alterTopicConfig(topic, "leader.replication.throttled.replicas", "*");
    await conn.alterTopicConfig(topic, "follower.replication.throttled.replicas", "*");

    expect(await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": "0,2" })).toEqual({ ok: true, data: { topic, started: [0] } });
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

    expect(await runAction(cancelReassignment, actions.deps, operator, { topic, partition: "0" })).toEqual({ ok: true, data: { topic, partition: 0 } });
    await waitFor("back to its one replica", async () => (await listReassignments(conn)).length === 0 && (await partition(topic))?.replicas.join() === "0", 30_000);
    expect(await partition(topic)).toMatchObject({ leader: 0, isr: [0] });
  }, 120_000);
});
