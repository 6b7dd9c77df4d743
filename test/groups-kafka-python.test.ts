// Consumer groups with kafka-python (KafkaConsumer with group_id, KafkaAdminClient) against a
// real `samsa broker` process. Each member is its own python process
// (test/python/groups_kafka_python_member.py), so kill -9 is a real crash.
import { describe, expect, it } from "vitest";
import { consumed, consumedRecords, expectExactlyOnce, groupTestBroker, lastAssigned } from "./helpers/group-fixture.ts";
import { committedOffsets, createTopic, describeGroup, JsonLinesChild, produceEach, sleep, waitFor } from "./helpers/groups.ts";
import { describeRun, lastJson, runPython } from "./helpers/run.ts";

const broker = groupTestBroker();

async function admin(cmd: string, group?: string): Promise<Record<string, unknown>> {
  const r = await runPython("groups_kafka_python_admin.py", [broker.bootstrap, cmd, ...(group ? [group] : [])], { timeoutMs: 30_000 });
  const j = lastJson(r.stdout);
  expect(j, describeRun(r)).toBeDefined();
  expect(j!.error, `${describeRun(r)}\n${broker.context()}`).toBeUndefined();
  return j!;
}

describe("kafka-python KafkaConsumer groups", () => {
  const topic = "kp-groups";
  const group = "kp-group";
  let ms: JsonLinesChild[] = [];

  it("three members split six partitions (on_partitions_assigned) and consume every message once with commit()", async () => {
    await createTopic(broker.bootstrap, topic, 6);
    ms = [0, 1, 2].map((i) => broker.kafkaPythonMember(group, topic, `kp-${i}`, "session=30000", "commit=sync"));
    const g = await broker.stable(group, topic, 3, 6, 45_000, ...ms);
    expect(g.protocolType).toBe("consumer");
    expect(g.protocol).toBe("range");
    await broker.waitAssignmentsReported("every member's on_partitions_assigned to match DescribeGroups", g, topic, ms, ["kp-0", "kp-1", "kp-2"]);
    const produced = await produceEach(broker.bootstrap, topic, 6, 30, "p");
    await waitFor("180 consumed", () => ms.flatMap(consumed).length >= 180);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ms.flatMap(consumed), produced, "kafka-python group");
    for (const m of ms) expect(m.events("error"), broker.context(m)).toEqual([]);
  });

  it("KafkaAdminClient: list_consumer_groups, describe_consumer_groups, list_consumer_group_offsets; delete refused while members remain", async () => {
    const list = await admin("list");
    expect(list.groups).toContainEqual([group, "consumer"]);
    const d = (await admin("describe", group)).group as Record<string, unknown>;
    expect(d).toMatchObject({ error_code: 0, group, state: "Stable", protocol_type: "consumer", protocol: "range" });
    const members = d.members as { client_id: string; client_host: string; topics: string[]; assignment: [string, number][] }[];
    expect(members.map((m) => m.client_id).sort()).toEqual(["kp-0", "kp-1", "kp-2"]);
    for (const m of members) {
      expect(m.topics).toEqual([topic]);
      expect(m.client_host).toMatch(/127\.0\.0\.1/);
    }
    expect(members.flatMap((m) => m.assignment.map(([, p]) => p)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const offs = await admin("offsets", group);
    expect(offs.offsets).toEqual([0, 1, 2, 3, 4, 5].map((p) => [topic, p, 30]));
    const del = await admin("delete", group);
    expect(del.results).toEqual([[group, "NonEmptyGroupError"]]);
  });

  it("close() leaves the group: the others are assigned its partitions", async () => {
    const leaving = ms[0]!;
    leaving.send("close");
    expect((await leaving.exited).code, broker.context(leaving)).toBe(0);
    const g = await broker.stable(group, topic, 2, 6, 15_000, ...ms);
    expect(g.members.map((m) => m.clientId).sort()).toEqual(["kp-1", "kp-2"]);
    await waitFor("the remaining two members' assignments to cover 6 partitions", () =>
      JSON.stringify([...lastAssigned(ms[1]!, topic), ...lastAssigned(ms[2]!, topic)].sort()) === "[0,1,2,3,4,5]",
    );
    const produced = await produceEach(broker.bootstrap, topic, 6, 10, "q");
    await waitFor("60 consumed after close()", () => ms.flatMap(consumed).filter((v) => v.startsWith("q-")).length >= 60);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ms.flatMap(consumed).filter((v) => v.startsWith("q-")), produced, "after close()");
    expect(ms.flatMap(consumed).filter((v) => v.startsWith("p-")).length, "nothing re-delivered").toBe(180);
  });

  it("a member killed with kill -9 stays until its session (6 s) expires; the other takes over", async () => {
    const t = "kp-crash";
    const grp = "kp-crash-group";
    await createTopic(broker.bootstrap, t, 4);
    const a = broker.kafkaPythonMember(grp, t, "kp-a", "session=6000");
    const b = broker.kafkaPythonMember(grp, t, "kp-b", "session=6000");
    await broker.stable(grp, t, 2, 4, 45_000, a, b);
    const produced = await produceEach(broker.bootstrap, t, 4, 10, "v");
    await waitFor("40 consumed", () => [a, b].flatMap(consumed).length >= 40);
    await broker.waitCommittedAtEnd(grp, t, 4);
    await b.kill("SIGKILL");
    await sleep(2500);
    expect((await describeGroup(broker.bootstrap, grp)).members.map((m) => m.clientId).sort(), "still two members before session expiry").toEqual(["kp-a", "kp-b"]);
    await broker.stable(grp, t, 1, 4, 30_000, a);
    const produced2 = await produceEach(broker.bootstrap, t, 4, 10, "w");
    await waitFor("40 after the crash", () => consumed(a).filter((v) => v.startsWith("w-")).length >= 40);
    await broker.waitCommittedAtEnd(grp, t, 4);
    expectExactlyOnce(consumed(a).filter((v) => v.startsWith("w-")), produced2, "after the crash");
    expectExactlyOnce([a, b].flatMap(consumed).filter((v) => v.startsWith("v-")), produced, "before the crash, not re-delivered");
    a.send("close");
    await a.exited;
  });

  it("committed offsets survive a broker restart (SIGTERM, then SIGKILL) and consumption resumes right after them", async () => {
    for (const m of ms) if (m.alive) m.send("close");
    await Promise.all(ms.map((m) => m.exited));
    const t = "kp-restart";
    const grp = "kp-restart-group";
    await createTopic(broker.bootstrap, t, 3);
    await produceEach(broker.bootstrap, t, 3, 20, "r");
    const a = broker.kafkaPythonMember(grp, t, "kp-r1", "commit=none");
    await waitFor("60 consumed", () => consumed(a).length >= 60);
    const cutoffs = [7, 0, 19];
    for (const [p, off] of cutoffs.entries()) a.send(`commit ${t} ${p} ${off}`);
    await waitFor("3 explicit commits", () => a.events("committed").length >= 3 || a.events("error").length > 0);
    expect(a.events("error"), broker.context(a)).toEqual([]);
    expect(await committedOffsets(broker.bootstrap, grp, t, 3)).toEqual(cutoffs);
    a.send("close");
    await a.exited;

    expect(await broker.restartAndFetchCommitted("SIGTERM", grp, t, 3), broker.context()).toEqual(cutoffs);
    const b = broker.kafkaPythonMember(grp, t, "kp-r2", "commit=sync");
    const expectB = cutoffs.flatMap((c, p) => Array.from({ length: 20 - c }, (_, i) => `r-${p}-${c + i}`));
    await waitFor(`${expectB.length} re-delivered`, () => consumed(b).length >= expectB.length, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${broker.context(b)}`);
    });
    await sleep(1500);
    expectExactlyOnce(consumed(b), expectB, "resumed exactly at the committed offsets");
    for (const [p, c] of cutoffs.entries()) expect(consumedRecords(b).find((r) => r.partition === p)?.offset).toBe(c);
    await broker.waitCommittedAtEnd(grp, t, 3);
    b.send("close");
    await b.exited;

    expect(await broker.restartAndFetchCommitted("SIGKILL", grp, t, 3), broker.context()).toEqual([20, 20, 20]);
    const c = broker.kafkaPythonMember(grp, t, "kp-r3", "commit=sync");
    await broker.stable(grp, t, 1, 3, 30_000, c);
    const newest = await produceEach(broker.bootstrap, t, 3, 5, "z");
    await waitFor("15 newest consumed", () => consumed(c).length >= 15);
    await sleep(1000);
    expectExactlyOnce(consumed(c), newest, "nothing before the committed offsets after SIGKILL");
    c.send("close");
    await c.exited;
  });

  it("KafkaAdminClient delete_consumer_groups deletes an empty group and its offsets", async () => {
    const grp = "kp-restart-group";
    await waitFor("group Empty", async () => (await describeGroup(broker.bootstrap, grp)).state === "Empty");
    const del = await admin("delete", grp);
    expect(del.results).toEqual([[grp, "NoError"]]);
    const list = await admin("list");
    expect((list.groups as [string, string][]).map(([g]) => g)).not.toContain(grp);
    expect(await committedOffsets(broker.bootstrap, grp, "kp-restart", 3)).toEqual([-1, -1, -1]);
  });

  it("the broker is still alive and logged no internal errors", () => {
    broker.expectAliveWithoutErrors();
  });
});
