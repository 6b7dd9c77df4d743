// Consumer groups with kafka-python (KafkaConsumer with group_id, KafkaAdminClient) against a
// real `samsa broker` process. Each member is its own python process
// (test/python/groups_kafka_python_member.py), so kill -9 is a real crash.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import {
  committedOffsets,
  createTopic,
  describeGroup,
  endOffsets,
  JsonLinesChild,
  produceEach,
  sleep,
  waitFor,
  waitForStableSplit,
  brokerErrors,
} from "./helpers/groups.ts";
import { PYTHON, describeRun, lastJson, runPython } from "./helpers/run.ts";

const MEMBER = fileURLToPath(new URL("./python/groups_kafka_python_member.py", import.meta.url));

let node: BrokerNode;
const children: JsonLinesChild[] = [];

beforeAll(async () => {
  node = await BrokerNode.start({ "group.initial.rebalance.delay.ms": "0", "num.partitions": "1" });
});

afterAll(async () => {
  for (const c of children) await c.kill().catch(() => {});
  await node?.destroy();
});

const context = (...cs: JsonLinesChild[]) => `${cs.map((c) => c.describe()).join("\n")}\n--- broker (tail) ---\n${node.output.slice(-3000)}`;

function member(group: string, topic: string, clientId: string, ...opts: string[]): JsonLinesChild {
  const c = JsonLinesChild.spawn(PYTHON, [MEMBER, node.bootstrap, group, topic, `client_id=${clientId}`, ...opts]);
  children.push(c);
  return c;
}

const records = (c: JsonLinesChild) => c.events("message").map((l) => ({ partition: Number(l.partition), offset: Number(l.offset), value: String(l.value) }));
const consumed = (c: JsonLinesChild) => records(c).map((r) => r.value);

function lastAssigned(c: JsonLinesChild, topic: string): number[] {
  const a = c.events("assign").at(-1)?.partitions as [string, number][] | undefined;
  return (a ?? []).filter(([t]) => t === topic).map(([, p]) => p).sort((x, y) => x - y);
}

function expectExactlyOnce(got: string[], expected: string[], what: string): void {
  const c = new Map<string, number>();
  for (const v of got) c.set(v, (c.get(v) ?? 0) + 1);
  const dups = [...c].filter(([, n]) => n > 1).map(([v, n]) => `${v}×${n}`);
  const missing = expected.filter((v) => !c.has(v));
  const extra = [...c.keys()].filter((v) => !expected.includes(v));
  expect({ dups: dups.slice(0, 20), missing: missing.slice(0, 20), extra: extra.slice(0, 20) }, what).toEqual({ dups: [], missing: [], extra: [] });
}

async function waitCommittedAtEnd(group: string, topic: string, partitions: number): Promise<void> {
  const end = await endOffsets(node.bootstrap, topic, partitions);
  await waitFor(`group ${group} committed offsets to reach ${JSON.stringify(end)}`, async () =>
    JSON.stringify(await committedOffsets(node.bootstrap, group, topic, partitions)) === JSON.stringify(end),
  );
}

async function stable(group: string, topic: string, n: number, partitions: number, timeoutMs: number, ...cs: JsonLinesChild[]) {
  return waitForStableSplit(node.bootstrap, group, topic, n, partitions, timeoutMs).catch((e: Error) => {
    throw new Error(`${e.message}\n${context(...cs)}`);
  });
}

async function admin(cmd: string, group?: string): Promise<Record<string, unknown>> {
  const r = await runPython("groups_kafka_python_admin.py", [node.bootstrap, cmd, ...(group ? [group] : [])], { timeoutMs: 30_000 });
  const j = lastJson(r.stdout);
  expect(j, describeRun(r)).toBeDefined();
  expect(j!.error, `${describeRun(r)}\n${context()}`).toBeUndefined();
  return j!;
}

describe("kafka-python KafkaConsumer groups", () => {
  const topic = "kp-groups";
  const group = "kp-group";
  let ms: JsonLinesChild[] = [];

  it("three members split six partitions (on_partitions_assigned) and consume every message once with commit()", async () => {
    await createTopic(node.bootstrap, topic, 6);
    ms = [0, 1, 2].map((i) => member(group, topic, `kp-${i}`, "session=30000", "commit=sync"));
    const g = await stable(group, topic, 3, 6, 45_000, ...ms);
    expect(g.protocolType).toBe("consumer");
    expect(g.protocol).toBe("range");
    await waitFor("every member's on_partitions_assigned to match DescribeGroups", () =>
      ms.every((m, i) => JSON.stringify(lastAssigned(m, topic)) === JSON.stringify(g.members.find((x) => x.clientId === `kp-${i}`)?.assignment[topic] ?? [])),
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(g)}\n${context(...ms)}`);
    });
    const produced = await produceEach(node.bootstrap, topic, 6, 30, "p");
    await waitFor("180 consumed", () => ms.flatMap(consumed).length >= 180);
    await waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ms.flatMap(consumed), produced, "kafka-python group");
    for (const m of ms) expect(m.events("error"), context(m)).toEqual([]);
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
    expect((await leaving.exited).code, context(leaving)).toBe(0);
    const g = await stable(group, topic, 2, 6, 15_000, ...ms);
    expect(g.members.map((m) => m.clientId).sort()).toEqual(["kp-1", "kp-2"]);
    await waitFor("the remaining two members' assignments to cover 6 partitions", () =>
      JSON.stringify([...lastAssigned(ms[1]!, topic), ...lastAssigned(ms[2]!, topic)].sort()) === "[0,1,2,3,4,5]",
    );
    const produced = await produceEach(node.bootstrap, topic, 6, 10, "q");
    await waitFor("60 consumed after close()", () => ms.flatMap(consumed).filter((v) => v.startsWith("q-")).length >= 60);
    await waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(ms.flatMap(consumed).filter((v) => v.startsWith("q-")), produced, "after close()");
    expect(ms.flatMap(consumed).filter((v) => v.startsWith("p-")).length, "nothing re-delivered").toBe(180);
  });

  it("a member killed with kill -9 stays until its session (6 s) expires; the other takes over", async () => {
    const t = "kp-crash";
    const grp = "kp-crash-group";
    await createTopic(node.bootstrap, t, 4);
    const a = member(grp, t, "kp-a", "session=6000");
    const b = member(grp, t, "kp-b", "session=6000");
    await stable(grp, t, 2, 4, 45_000, a, b);
    const produced = await produceEach(node.bootstrap, t, 4, 10, "v");
    await waitFor("40 consumed", () => [a, b].flatMap(consumed).length >= 40);
    await waitCommittedAtEnd(grp, t, 4);
    await b.kill("SIGKILL");
    await sleep(2500);
    expect((await describeGroup(node.bootstrap, grp)).members.map((m) => m.clientId).sort(), "still two members before session expiry").toEqual(["kp-a", "kp-b"]);
    await stable(grp, t, 1, 4, 30_000, a);
    const produced2 = await produceEach(node.bootstrap, t, 4, 10, "w");
    await waitFor("40 after the crash", () => consumed(a).filter((v) => v.startsWith("w-")).length >= 40);
    await waitCommittedAtEnd(grp, t, 4);
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
    await createTopic(node.bootstrap, t, 3);
    await produceEach(node.bootstrap, t, 3, 20, "r");
    const a = member(grp, t, "kp-r1", "commit=none");
    await waitFor("60 consumed", () => consumed(a).length >= 60);
    const cutoffs = [7, 0, 19];
    for (const [p, off] of cutoffs.entries()) a.send(`commit ${t} ${p} ${off}`);
    await waitFor("3 explicit commits", () => a.events("committed").length >= 3 || a.events("error").length > 0);
    expect(a.events("error"), context(a)).toEqual([]);
    expect(await committedOffsets(node.bootstrap, grp, t, 3)).toEqual(cutoffs);
    a.send("close");
    await a.exited;

    await node.stop("SIGTERM");
    await node.launch();
    expect(await waitFor("OffsetFetch after restart", () => committedOffsets(node.bootstrap, grp, t, 3), 30_000), context()).toEqual(cutoffs);
    const b = member(grp, t, "kp-r2", "commit=sync");
    const expectB = cutoffs.flatMap((c, p) => Array.from({ length: 20 - c }, (_, i) => `r-${p}-${c + i}`));
    await waitFor(`${expectB.length} re-delivered`, () => consumed(b).length >= expectB.length, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${context(b)}`);
    });
    await sleep(1500);
    expectExactlyOnce(consumed(b), expectB, "resumed exactly at the committed offsets");
    for (const [p, c] of cutoffs.entries()) expect(records(b).find((r) => r.partition === p)?.offset).toBe(c);
    await waitCommittedAtEnd(grp, t, 3);
    b.send("close");
    await b.exited;

    await node.stop("SIGKILL");
    await node.launch();
    expect(await waitFor("OffsetFetch after SIGKILL restart", () => committedOffsets(node.bootstrap, grp, t, 3), 30_000), context()).toEqual([20, 20, 20]);
    const c = member(grp, t, "kp-r3", "commit=sync");
    await stable(grp, t, 1, 3, 30_000, c);
    const newest = await produceEach(node.bootstrap, t, 3, 5, "z");
    await waitFor("15 newest consumed", () => consumed(c).length >= 15);
    await sleep(1000);
    expectExactlyOnce(consumed(c), newest, "nothing before the committed offsets after SIGKILL");
    c.send("close");
    await c.exited;
  });

  it("KafkaAdminClient delete_consumer_groups deletes an empty group and its offsets", async () => {
    const grp = "kp-restart-group";
    await waitFor("group Empty", async () => (await describeGroup(node.bootstrap, grp)).state === "Empty");
    const del = await admin("delete", grp);
    expect(del.results).toEqual([[grp, "NoError"]]);
    const list = await admin("list");
    expect((list.groups as [string, string][]).map(([g]) => g)).not.toContain(grp);
    expect(await committedOffsets(node.bootstrap, grp, "kp-restart", 3)).toEqual([-1, -1, -1]);
  });

  it("the broker is still alive and logged no internal errors", () => {
    expect(node.alive, context()).toBe(true);
    expect(brokerErrors(node.output)).toEqual([]);
  });
});
