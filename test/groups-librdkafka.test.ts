// Consumer groups with librdkafka clients against a real `samsa broker` process: `kcat -G`
// balanced consumers and confluent_kafka consumers (test/python/groups_confluent_member.py),
// each member its own process so a SIGKILL is a real crash (no LeaveGroup). Expectations are
// Kafka's; the broker's own DescribeGroups/OffsetFetch answers are checked alongside.
import { describe, expect, it } from "vitest";
import { consumed, consumedRecords, expectExactlyOnce, groupTestBroker, lastAssigned } from "./helpers/group-fixture.ts";
import { committedOffsets, createTopic, describeGroup, JsonLinesChild, produceEach, sleep, waitFor } from "./helpers/groups.ts";
import { describeRun, lastJson, runPython } from "./helpers/run.ts";

const broker = groupTestBroker();

/** A `kcat -G` balanced consumer process (librdkafka's KafkaConsumer with auto commit). */
const kcatMember = (group: string, topic: string, clientId: string, sessionMs: number) =>
  broker.kcatMember(group, topic, clientId, { "session.timeout.ms": sessionMs });

describe("kcat -G balanced consumers", () => {
  const topic = "kcat-groups";
  const group = "kcat-group";
  let ks: JsonLinesChild[] = [];

  it("three kcat members split six partitions without overlap and consume every message once", async () => {
    await createTopic(broker.bootstrap, topic, 6);
    // 30 s sessions: the leave test below must see LeaveGroup act, not session expiry.
    ks = [0, 1, 2].map((i) => kcatMember(group, topic, `kcat-${i}`, 30_000));
    const g = await broker.stable(group, topic, 3, 6, 45_000, ...ks);
    expect(g.protocolType).toBe("consumer");
    expect(["range", "roundrobin"]).toContain(g.protocol);
    expect(g.members.map((m) => m.clientId).sort()).toEqual(["kcat-0", "kcat-1", "kcat-2"]);
    for (const m of g.members) expect(m.subscription).toEqual([topic]);

    const produced = await produceEach(broker.bootstrap, topic, 6, 30, "k");
    await waitFor("180 messages consumed by the kcat members", () => ks.flatMap(consumed).length >= 180);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ks.flatMap(consumed), produced, "kcat group");
    // Each member consumed only from the partitions the broker says it owns.
    const byClient = new Map(g.members.map((m) => [m.clientId, m.assignment[topic] ?? []]));
    ks.forEach((k, i) => {
      for (const r of consumedRecords(k)) expect(byClient.get(`kcat-${i}`)).toContain(r.partition);
    });
  });

  it("a kcat member stopped with SIGTERM leaves the group and the others take over at once", async () => {
    const leaving = ks[2]!;
    leaving.child.kill("SIGTERM");
    const exit = await leaving.exited;
    expect(exit.code, broker.context(leaving)).toBe(0);
    const g = await broker.stable(group, topic, 2, 6, 15_000, ...ks);
    expect(g.members.map((m) => m.clientId).sort()).toEqual(["kcat-0", "kcat-1"]);
    const produced = await produceEach(broker.bootstrap, topic, 6, 10, "l");
    await waitFor("60 messages consumed after the leave", () => ks.flatMap(consumed).filter((v) => v.startsWith("l-")).length >= 60);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ks.flatMap(consumed).filter((v) => v.startsWith("l-")), produced, "after the leave");
    expect(ks.flatMap(consumed).filter((v) => v.startsWith("k-")).length, "nothing re-delivered").toBe(180);
    for (const k of ks) await k.kill("SIGTERM");
  });

  it("a kcat member killed with SIGKILL stays until its session (6 s) expires; the other takes over", async () => {
    const t = "kcat-crash";
    const grp = "kcat-crash-group";
    await createTopic(broker.bootstrap, t, 4);
    const a = kcatMember(grp, t, "kcat-a", 6000);
    const b = kcatMember(grp, t, "kcat-b", 6000);
    await broker.stable(grp, t, 2, 4, 45_000, a, b);
    const produced = await produceEach(broker.bootstrap, t, 4, 10, "x");
    await waitFor("40 messages consumed", () => [a, b].flatMap(consumed).length >= 40);
    await broker.waitCommittedAtEnd(grp, t, 4);
    await b.kill("SIGKILL");
    await sleep(2500);
    const during = await describeGroup(broker.bootstrap, grp);
    expect(during.members.map((m) => m.clientId).sort(), "the killed member is still in the group before its session expires").toEqual(["kcat-a", "kcat-b"]);
    const g = await broker.stable(grp, t, 1, 4, 30_000, a);
    expect(g.members[0]!.clientId).toBe("kcat-a");
    const produced2 = await produceEach(broker.bootstrap, t, 4, 10, "y");
    await waitFor("40 messages consumed after the crash", () => consumed(a).filter((v) => v.startsWith("y-")).length >= 40);
    await sleep(500);
    expectExactlyOnce(consumed(a).filter((v) => v.startsWith("y-")), produced2, "after the crash");
    expectExactlyOnce([a, b].flatMap(consumed).filter((v) => v.startsWith("x-")), produced, "before the crash, not re-delivered");
    await a.kill("SIGTERM");
  });
});

describe("confluent_kafka consumers", () => {
  const topic = "cf-groups";
  const group = "cf-group";
  let ms: JsonLinesChild[] = [];

  it("three members (sync commits) get disjoint partitions in on_assign and consume every message once", async () => {
    await createTopic(broker.bootstrap, topic, 6);
    ms = [0, 1, 2].map((i) => broker.confluentMember(group, topic, `cf-${i}`, "session=30000", "commit=sync"));
    const g = await broker.stable(group, topic, 3, 6, 45_000, ...ms);
    await broker.waitAssignmentsReported("every member's on_assign to match DescribeGroups", g, topic, ms, ["cf-0", "cf-1", "cf-2"]);
    const produced = await produceEach(broker.bootstrap, topic, 6, 30, "p");
    await waitFor("180 messages consumed", () => ms.flatMap(consumed).length >= 180);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ms.flatMap(consumed), produced, "confluent_kafka group");
    for (const m of ms) expect(m.events("error"), broker.context(m)).toEqual([]);
  });

  it("close() leaves the group: on_revoke, then the others are assigned its partitions", async () => {
    const leaving = ms[0]!;
    leaving.send("close");
    const exit = await leaving.exited;
    expect(exit.code, broker.context(leaving)).toBe(0);
    expect(leaving.events("revoke").length, "close() revokes the assignment first").toBeGreaterThan(0);
    const g = await broker.stable(group, topic, 2, 6, 15_000, ...ms);
    expect(g.members.map((m) => m.clientId).sort()).toEqual(["cf-1", "cf-2"]);
    await waitFor("the two remaining members' on_assign to cover all 6 partitions", () =>
      JSON.stringify([...lastAssigned(ms[1]!, topic), ...lastAssigned(ms[2]!, topic)].sort()) === JSON.stringify([0, 1, 2, 3, 4, 5]),
    );
    const produced = await produceEach(broker.bootstrap, topic, 6, 10, "q");
    await waitFor("60 messages consumed after close()", () => ms.flatMap(consumed).filter((v) => v.startsWith("q-")).length >= 60);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ms.flatMap(consumed).filter((v) => v.startsWith("q-")), produced, "after close()");
    expect(ms.flatMap(consumed).filter((v) => v.startsWith("p-")).length, "nothing re-delivered").toBe(180);
  });

  it("a member killed with SIGKILL is removed after its session timeout and the others take over", async () => {
    const t = "cf-crash";
    const grp = "cf-crash-group";
    await createTopic(broker.bootstrap, t, 4);
    const a = broker.confluentMember(grp, t, "cf-a", "session=6000", "commit=async");
    const b = broker.confluentMember(grp, t, "cf-b", "session=6000", "commit=async");
    await broker.stable(grp, t, 2, 4, 45_000, a, b);
    const produced = await produceEach(broker.bootstrap, t, 4, 10, "v");
    await waitFor("40 messages consumed", () => [a, b].flatMap(consumed).length >= 40);
    await broker.waitCommittedAtEnd(grp, t, 4);
    await b.kill("SIGKILL");
    await sleep(2500);
    expect((await describeGroup(broker.bootstrap, grp)).members.map((m) => m.clientId).sort(), "still two members before session expiry").toEqual(["cf-a", "cf-b"]);
    await broker.stable(grp, t, 1, 4, 30_000, a);
    await waitFor("cf-a assigned all 4 partitions", () => JSON.stringify(lastAssigned(a, t)) === "[0,1,2,3]");
    const produced2 = await produceEach(broker.bootstrap, t, 4, 10, "w");
    await waitFor("40 messages after the crash", () => consumed(a).filter((v) => v.startsWith("w-")).length >= 40);
    await broker.waitCommittedAtEnd(grp, t, 4);
    expectExactlyOnce(consumed(a).filter((v) => v.startsWith("w-")), produced2, "after the crash");
    expectExactlyOnce([a, b].flatMap(consumed).filter((v) => v.startsWith("v-")), produced, "before the crash, not re-delivered");
    a.send("close");
    await a.exited;
  });

  it("committed offsets survive a broker restart (SIGTERM, then SIGKILL) and consumption resumes right after them", async () => {
    for (const m of ms) if (m.alive) m.send("close");
    await Promise.all(ms.map((m) => m.exited));
    const t = "cf-restart";
    const grp = "cf-restart-group";
    await createTopic(broker.bootstrap, t, 3);
    await produceEach(broker.bootstrap, t, 3, 20, "r");
    const a = broker.confluentMember(grp, t, "cf-r1", "commit=none");
    await waitFor("60 messages consumed", () => consumed(a).length >= 60);
    const cutoffs = [4, 15, 20];
    for (const [p, off] of cutoffs.entries()) a.send(`commit ${t} ${p} ${off}`);
    await waitFor("3 explicit sync commits", () => a.events("committed").length >= 3);
    expect(a.events("error"), broker.context(a)).toEqual([]);
    expect(await committedOffsets(broker.bootstrap, grp, t, 3)).toEqual(cutoffs);
    a.send("close");
    await a.exited;

    const afterTerm = await broker.restartAndFetchCommitted("SIGTERM", grp, t, 3);
    expect(afterTerm, broker.context()).toEqual(cutoffs);

    const b = broker.confluentMember(grp, t, "cf-r2", "commit=async");
    const expectB = cutoffs.flatMap((c, p) => Array.from({ length: 20 - c }, (_, i) => `r-${p}-${c + i}`));
    await waitFor(`${expectB.length} uncommitted messages re-delivered`, () => consumed(b).length >= expectB.length, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${broker.context(b)}`);
    });
    await sleep(1500);
    expectExactlyOnce(consumed(b), expectB, "resumed exactly at the committed offsets");
    for (const [p, c] of cutoffs.entries()) if (c < 20) expect(consumedRecords(b).find((r) => r.partition === p)?.offset).toBe(c);
    await broker.waitCommittedAtEnd(grp, t, 3);
    b.send("close");
    await b.exited;

    const afterKill = await broker.restartAndFetchCommitted("SIGKILL", grp, t, 3);
    expect(afterKill, broker.context()).toEqual([20, 20, 20]);
    const c = broker.confluentMember(grp, t, "cf-r3", "commit=sync");
    await broker.stable(grp, t, 1, 3, 30_000, c);
    const newest = await produceEach(broker.bootstrap, t, 3, 5, "z");
    await waitFor("15 newest consumed", () => consumed(c).length >= 15);
    await sleep(1000);
    expectExactlyOnce(consumed(c), newest, "nothing before the committed offsets after SIGKILL");
    c.send("close");
    await c.exited;
  });
});

describe("confluent_kafka AdminClient group APIs", () => {
  const t = "cf-admin";
  const grp = "cf-admin-group";
  let methods: string[] = [];

  it("list_groups lists and describes a running group (ListGroups + DescribeGroups)", async () => {
    const m = await runPython("groups_confluent_admin.py", [broker.bootstrap, "methods"]);
    methods = (lastJson(m.stdout)?.methods as string[] | undefined) ?? [];
    expect(methods, describeRun(m)).toContain("list_groups");

    await createTopic(broker.bootstrap, t, 2);
    await produceEach(broker.bootstrap, t, 2, 5, "a");
    const member = broker.confluentMember(grp, t, "cf-admin-member", "commit=sync");
    await broker.stable(grp, t, 1, 2, 45_000, member);
    await waitFor("10 consumed", () => consumed(member).length >= 10);

    const all = await runPython("groups_confluent_admin.py", [broker.bootstrap, "list_groups"]);
    const groups = (lastJson(all.stdout)?.groups ?? []) as { id: string; protocol_type: string }[];
    expect(groups.map((g) => g.id), describeRun(all)).toContain(grp);

    const one = await runPython("groups_confluent_admin.py", [broker.bootstrap, "list_groups", grp]);
    const g = ((lastJson(one.stdout)?.groups ?? []) as Record<string, unknown>[])[0];
    expect(g, describeRun(one)).toMatchObject({ id: grp, error: 0, state: "Stable", protocol_type: "consumer", protocol: "range" });
    const members = g!.members as { client_id: string; client_host: string; assignment: string }[];
    expect(members).toHaveLength(1);
    expect(members[0]!.client_id).toBe("cf-admin-member");
    expect(members[0]!.client_host).toMatch(/127\.0\.0\.1/);
    expect(members[0]!.assignment.length).toBeGreaterThan(0);
    member.send("close");
    await member.exited;
  });

  // list_consumer_groups, describe_consumer_groups, list/alter_consumer_group_offsets and
  // delete_consumer_groups arrived in confluent_kafka 1.9/2.0; the installed 1.7.0 lacks them.
  const newer = ["list_consumer_groups", "describe_consumer_groups", "list_consumer_group_offsets", "alter_consumer_group_offsets", "delete_consumer_groups"];
  it("newer AdminClient group APIs, where this confluent_kafka has them", async (ctx) => {
    if (!newer.some((n) => methods.includes(n))) {
      ctx.skip(`confluent_kafka lacks ${newer.join(", ")} (installed: 1.7.0)`);
      return;
    }
    await waitFor("group Empty", async () => (await describeGroup(broker.bootstrap, grp)).state === "Empty");
    const r = await runPython("groups_confluent_admin.py", [broker.bootstrap, "new_apis", grp, t, "2"]);
    const res = lastJson(r.stdout) as { results: Record<string, unknown>; skipped: string[] } | undefined;
    expect(res, describeRun(r)).toBeDefined();
    if ("list_consumer_group_offsets" in res!.results) expect(res!.results.list_consumer_group_offsets).toEqual([[0, 5], [1, 5]]);
    if ("alter_consumer_group_offsets" in res!.results) expect(res!.results.alter_consumer_group_offsets).toEqual([[0, 1], [1, 1]]);
    if ("delete_consumer_groups" in res!.results) expect(res!.results.delete_consumer_groups).not.toContain(grp);
  });

  it("the broker is still alive and logged no internal errors", () => {
    broker.expectAliveWithoutErrors();
  });
});
