// The console's reassignment and preferred election actions on a real three-node cluster
// (node 0 is the controller), run through the audited action path with the audit store on
// PGlite: a partition moved from {0,1} to {1,2} completes; a reassignment held in progress by
// a SIGSTOPped target broker is listed with its adding replicas' catch-up and cancelled back
// to the original replica; the console's and Kafka's refusals in words; a preferred election
// after the preferred leader's restart (ELECTION_NOT_NEEDED is no failure); a viewer refused;
// every attempt in the audit history.
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelReassignment, electPreferredLeaders, reassignTopic } from "../server/actions/definitions.ts";
import { runAction } from "../server/actions/run-action.ts";
import { ClusterConnection } from "../server/kafka/cluster.ts";
import { catchUp, listReassignments } from "../server/kafka/reassignments.ts";
import { replicaKey } from "../server/kafka/replica-status.ts";
import { parseReplicaList } from "../server/kafka/replica-list-input.ts";
import { reassignmentProgress } from "../server/queries/reassignments.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { auditedActions, createAssignedTopic, type AuditedActions } from "./helpers/console-actions.ts";
import { waitFor } from "./helpers/groups.ts";

let cluster: TestCluster;
let conn: ClusterConnection;
let kafka: Kafka;
let actions: AuditedActions;
const operator = { username: "otto", role: "operator" as const };
const viewer = { username: "vera", role: "viewer" as const };

beforeAll(async () => {
  cluster = await TestCluster.start(3, { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500", "auto.leader.rebalance.enable": "false" });
  conn = new ClusterConnection("it", [cluster.node(0).bootstrap]);
  kafka = new Kafka({ clientId: "console-reassignment-it", brokers: [cluster.node(0).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 200 } });
  actions = await auditedActions(conn, "it");
}, 120_000);

afterAll(async () => {
  await conn?.close();
  await actions?.close();
  await cluster?.destroy();
});


async function partition(topic: string, p = 0) {
  return (await conn.snapshot(0)).byName.get(topic)?.partitions.find((x) => x.partition === p);
}

describe("reassignment from the console", () => {
  it("moves a partition from {0,1} to {1,2} through topic.reassign and sees it complete; refusals name the field", async () => {
    const topic = "console-moving";
    await createAssignedTopic(kafka, topic, [[0, 1]], { count: 50, bytes: 10 });

    // The console's own checks, before Kafka is asked.
    const twice = await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": "1, 1" });
    expect(twice).toMatchObject({ ok: false, code: "INVALID_INPUT", fieldErrors: { "replicas-0": "Broker 1 is listed twice: a partition has one replica per broker" } });
    expect(await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": " " })).toMatchObject({ ok: false, fieldErrors: { "replicas-0": "Enter at least one broker id" } });
    const unknown = await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": "1,9" });
    expect(unknown).toMatchObject({ ok: false, code: "INVALID_REPLICA_ASSIGNMENT", fieldErrors: { "replicas-0": "No broker 9 in the cluster (brokers: 0, 1, 2)" } });
    expect(await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": "0,1" })).toMatchObject({ ok: false, code: "NO_CHANGE" });
    // Kafka's refusal in words: nothing to cancel.
    const nothing = await runAction(cancelReassignment, actions.deps, operator, { topic, partition: "0" });
    expect(nothing).toMatchObject({ ok: false, code: "NO_REASSIGNMENT_IN_PROGRESS" });
    expect(!nothing.ok && nothing.error).toBe("NO_REASSIGNMENT_IN_PROGRESS: partition 0: no reassignment is in progress for it (it may have just completed) (NO_REASSIGNMENT_IN_PROGRESS)");

    const moved = await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": "1, 2" });
    expect(moved).toEqual({ ok: true, data: { topic, started: [0] } });
    await waitFor("the reassignment complete", async () => (await listReassignments(conn)).length === 0 && (await partition(topic))?.replicas.join() === "1,2", 60_000);
    const p = await waitFor("both new replicas in the ISR", async () => {
      const x = await partition(topic);
      return x && [...x.isr].sort().join() === "1,2" && x;
    });
    expect([1, 2]).toContain(p.leader);
    expect(await reassignmentProgress(conn, topic)).toEqual([]);
  }, 90_000);

  it("lists a reassignment kept in progress by a stopped target broker with its catch-up, and cancels it back to the original replica", async () => {
    const topic = "console-held";
    await createAssignedTopic(kafka, topic, [[0]], { count: 100, bytes: 10 });
    process.kill(cluster.node(2).pid, "SIGSTOP");
    try {
      expect(await runAction(reassignTopic, actions.deps, operator, { topic, "replicas-0": "0,1,2" })).toEqual({ ok: true, data: { topic, started: [0] } });
      await waitFor("broker 1 caught up and in the ISR", async () => (await partition(topic))?.isr.includes(1));
      const [moving, ...others] = await waitFor("broker 1's catch-up complete in the progress", async () => {
        const all = await reassignmentProgress(conn);
        return all.find((r) => r.topic === topic)?.catchUp.find((c) => c.broker === 1)?.percent === 100 && all;
      });
      expect(others).toEqual([]);
      expect(moving).toMatchObject({ topic, partition: 0, replicas: [0, 1, 2], adding: [1, 2], removing: [], leader: 0 });
      // Broker 1 holds the leader's 100 records; broker 2, stopped, cannot say.
      expect(moving!.catchUp).toEqual([
        { broker: 1, logEndOffset: "100", behind: "0", percent: 100 },
        { broker: 2, logEndOffset: null, behind: null, percent: null },
      ]);
      expect(await runAction(cancelReassignment, actions.deps, operator, { topic, partition: "0" })).toEqual({ ok: true, data: { topic, partition: 0 } });
    } finally {
      process.kill(cluster.node(2).pid, "SIGCONT");
    }
    expect(await listReassignments(conn)).toEqual([]);
    await waitFor("back to the one original replica", async () => {
      const x = await partition(topic);
      return x?.replicas.join() === "0" && x.isr.join() === "0" && x.leader === 0;
    });
  }, 90_000);
});

describe("preferred leader election from the console", () => {
  it("moves the lead back to a restarted preferred replica; a partition already led by it is 'not needed', not a failure", async () => {
    const topic = "console-elect";
    // Broker 1 is the preferred leader of partition 0; partition 1 is led by broker 2 throughout.
    await createAssignedTopic(kafka, topic, [
      [1, 2, 0],
      [2, 0, 1],
    ], { count: 10, bytes: 10 });
    await cluster.node(1).stop("SIGKILL");
    await waitFor("broker 1 out of the topic's leaders and ISRs", async () => {
      const t = (await conn.snapshot(0)).byName.get(topic);
      return t?.partitions.every((p) => p.leader >= 0 && p.leader !== 1 && !p.isr.includes(1));
    });
    await cluster.node(1).launch();
    await waitFor("broker 1 back in every ISR of the topic", async () => (await conn.snapshot(0)).byName.get(topic)?.partitions.every((p) => p.isr.includes(1)), 60_000);
    expect((await partition(topic, 0))?.leader).not.toBe(1);

    const refused = await runAction(electPreferredLeaders, actions.deps, viewer, { topic });
    expect(refused).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect((await partition(topic, 0))?.leader).not.toBe(1);

    expect(await runAction(electPreferredLeaders, actions.deps, operator, { topic })).toEqual({ ok: true, data: { topic, elected: [0], notNeeded: [1] } });
    await waitFor("broker 1 leading partition 0 again", async () => (await partition(topic, 0))?.leader === 1);
    expect(await runAction(electPreferredLeaders, actions.deps, operator, { topic })).toEqual({ ok: true, data: { topic, elected: [], notNeeded: [0, 1] } });
  }, 90_000);

  it("refuses a viewer's reassignment and cancel, and writes every attempt to the audit history", async () => {
    expect(await runAction(reassignTopic, actions.deps, viewer, { topic: "console-moving", "replicas-0": "0" })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await runAction(cancelReassignment, actions.deps, viewer, { topic: "console-moving", partition: "0" })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect((await partition("console-moving"))?.replicas.join()).toBe("1,2");

    const rows = async (action: string) =>
      (await actions.audit.list({ action, pageSize: 100 })).rows.reverse().map((r) => [r.actor, r.outcome, r.parameters, r.error?.replace(/:.*/s, "") ?? null]);
    expect(await rows("topic.reassign")).toEqual([
      // The zod refusals (duplicate, empty) never reach the audit: the input was not valid.
      ["otto", "error", { topic: "console-moving", replicas: { 0: [1, 9] } }, "INVALID_REPLICA_ASSIGNMENT"],
      ["otto", "error", { topic: "console-moving", replicas: { 0: [0, 1] } }, "NO_CHANGE"],
      ["otto", "ok", { topic: "console-moving", replicas: { 0: [1, 2] } }, null],
      ["otto", "ok", { topic: "console-held", replicas: { 0: [0, 1, 2] } }, null],
      ["vera", "error", { topic: "console-moving", replicas: { 0: [0] } }, "forbidden"],
    ]);
    expect(await rows("partition.cancelReassignment")).toEqual([
      ["otto", "error", { topic: "console-moving", partition: 0 }, "NO_REASSIGNMENT_IN_PROGRESS"],
      ["otto", "ok", { topic: "console-held", partition: 0 }, null],
      ["vera", "error", { topic: "console-moving", partition: 0 }, "forbidden"],
    ]);
    expect(await rows("topic.electPreferredLeaders")).toEqual([
      ["vera", "error", { topic: "console-elect" }, "forbidden"],
      ["otto", "ok", { topic: "console-elect" }, null],
      ["otto", "ok", { topic: "console-elect" }, null],
    ]);
  });
});

describe("pure parts", () => {
  it("parses an ordered replica list as the form and the action check it", () => {
    expect(parseReplicaList(" 2, 0 ,1 ")).toEqual({ ok: true, replicas: [2, 0, 1] });
    expect(parseReplicaList("2,,0")).toEqual({ ok: true, replicas: [2, 0] });
    expect(parseReplicaList("")).toEqual({ ok: false, error: "Enter at least one broker id" });
    expect(parseReplicaList("1,x")).toEqual({ ok: false, error: '"x" is not a broker id' });
    expect(parseReplicaList("-1")).toEqual({ ok: false, error: '"-1" is not a broker id' });
    expect(parseReplicaList("3,1,3")).toEqual({ ok: false, error: "Broker 3 is listed twice: a partition has one replica per broker" });
    expect(parseReplicaList("0,4,5", new Set([1, 0]))).toEqual({ ok: false, error: "No broker 4, 5 in the cluster (brokers: 0, 1)" });
  });

  it("measures each adding replica's catch-up against the leader's log from its log start", () => {
    const ends = new Map([
      [replicaKey("t", 3, 0), 1100n],
      [replicaKey("t", 3, 1), 600n],
      [replicaKey("t", 3, 2), 1100n],
    ]);
    const r = { topic: "t", partition: 3, adding: [1, 2, 4] };
    expect(catchUp(r, 0, 100n, ends)).toEqual([
      { broker: 1, logEndOffset: "600", behind: "500", percent: 50 },
      { broker: 2, logEndOffset: "1100", behind: "0", percent: 100 },
      { broker: 4, logEndOffset: null, behind: null, percent: null },
    ]);
    // No leader: nothing to measure against. An empty log is all copied.
    expect(catchUp(r, -1, null, ends)[0]).toEqual({ broker: 1, logEndOffset: "600", behind: null, percent: null });
    expect(catchUp({ topic: "e", partition: 0, adding: [1] }, 0, 0n, new Map([[replicaKey("e", 0, 0), 0n], [replicaKey("e", 0, 1), 0n]]))).toEqual([{ broker: 1, logEndOffset: "0", behind: "0", percent: 100 }]);
  });
});
