// Consumer groups with kafkajs against a real `samsa broker` process: partition split, exactly-
// once consumption with commits, LeaveGroup and session-expiry take-over, committed offsets
// across broker restarts, and the admin group APIs. Expectations are Kafka's behaviour; the
// broker's own DescribeGroups/OffsetFetch answers (test/helpers/groups.ts) are checked too.
import { fileURLToPath } from "node:url";
import { type Admin, type Consumer } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnce, groupTestBroker } from "./helpers/group-fixture.ts";
import {
  committedOffsets,
  createTopic,
  describeGroup,
  produceEach,
  sleep,
  splitOf,
  waitFor,
  withWire,
  type Assignment,
} from "./helpers/groups.ts";
import { rejection } from "./helpers/kafkajs-errors.ts";

const MEMBER_SCRIPT = fileURLToPath(new URL("./helpers/kafkajs-member.ts", import.meta.url));

const broker = groupTestBroker();
let admin: Admin;
const members: Member[] = [];

beforeAll(async () => {
  admin = broker.kafka("kjs-groups-admin").admin();
  await admin.connect();
});

broker.onCleanup(async () => {
  for (const m of members) await m.stop().catch(() => {});
  await admin?.disconnect().catch(() => {});
});

interface Got {
  partition: number;
  offset: number;
  value: string;
}

/** One in-process kafkajs group member that records what it is given. */
class Member {
  readonly got: Got[] = [];
  memberId = "";
  assignment: Assignment = {};
  joins = 0;
  private stopped = false;

  private constructor(readonly consumer: Consumer) {}

  static async start(
    groupId: string,
    topic: string,
    opts: { sessionTimeout?: number; autoCommit?: boolean; fromBeginning?: boolean; clientId?: string } = {},
  ): Promise<Member> {
    const consumer = broker.kafka(opts.clientId ?? `kjs-${groupId}`).consumer({
      groupId,
      sessionTimeout: opts.sessionTimeout ?? 6000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 250,
    });
    const m = new Member(consumer);
    members.push(m);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      m.memberId = e.payload.memberId;
      m.assignment = e.payload.memberAssignment;
      m.joins++;
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
    await consumer.run({
      autoCommit: opts.autoCommit ?? true,
      eachMessage: async ({ partition, message }) => {
        m.got.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? "" });
      },
    });
    return m;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.consumer.disconnect();
  }
}

describe("kafkajs consumer group", () => {
  const topic = "kjs-split";
  const group = "kjs-split-group";

  it("three members split six partitions without overlap and consume every message exactly once", async () => {
    await createTopic(broker.bootstrap, topic, 6);
    // A long session timeout: the leave test below must see LeaveGroup act, not session expiry.
    for (let i = 0; i < 3; i++) await Member.start(group, topic, { sessionTimeout: 30_000, clientId: `kjs-split-${i}` });
    const g = await broker.stable(group, topic, 3, 6);
    expect(g.protocolType).toBe("consumer");
    expect(g.protocol).toBe("RoundRobinAssigner");
    expect(g.members.map((m) => m.clientId).sort()).toEqual(["kjs-split-0", "kjs-split-1", "kjs-split-2"]);
    // Each member was told (SyncGroup) the assignment the broker reports for it.
    const mine = members.slice(0, 3);
    await waitFor("every member's SyncGroup assignment to match DescribeGroups", async () => {
      const now = await describeGroup(broker.bootstrap, group);
      return mine.every((m) => JSON.stringify(now.members.find((x) => x.memberId === m.memberId)?.assignment[topic]) === JSON.stringify([...(m.assignment[topic] ?? [])].sort((a, b) => a - b)));
    });
    for (const m of mine) expect(m.assignment[topic]?.length, "round robin gives each of 3 members 2 of 6 partitions").toBe(2);

    const produced = await produceEach(broker.bootstrap, topic, 6, 50, "a");
    await waitFor("300 messages consumed", () => mine.reduce((n, m) => n + m.got.length, 0) >= 300);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    expectExactlyOnce(mine.flatMap((m) => m.got.map((x) => x.value)), produced, "first batch across the group");
    for (const m of mine) for (const x of m.got) expect(m.assignment[topic]).toContain(x.partition);
  });

  it("a member that leaves (LeaveGroup) has its partitions taken over at once", async () => {
    const [a, b, leaving] = members.slice(0, 3) as [Member, Member, Member];
    const t0 = Date.now();
    await leaving.stop();
    // Sessions are 30 s: a new generation well before that comes from the LeaveGroup.
    const g = await broker.stable(group, topic, 2, 6, 15_000);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(g.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    await waitFor("the remaining members to be assigned all 6 partitions", () =>
      JSON.stringify([...(a.assignment[topic] ?? []), ...(b.assignment[topic] ?? [])].sort()) === JSON.stringify([0, 1, 2, 3, 4, 5]),
    );

    const produced = await produceEach(broker.bootstrap, topic, 6, 30, "b");
    await waitFor("180 more messages consumed", () => [...a.got, ...b.got].filter((x) => x.value.startsWith("b-")).length >= 180);
    await broker.waitCommittedAtEnd(group, topic, 6);
    await sleep(500);
    const all = [...a.got, ...b.got, ...leaving.got].map((x) => x.value);
    expectExactlyOnce(all.filter((v) => v.startsWith("b-")), produced, "second batch");
    expectExactlyOnce(all.filter((v) => v.startsWith("a-")), Array.from({ length: 6 }, (_, p) => Array.from({ length: 50 }, (_, i) => `a-${p}-${i}`)).flat(), "first batch, not re-delivered");
  });

  it("a member killed with SIGKILL (no LeaveGroup) stays in the group until its session expires, then the others take over", async () => {
    const t = "kjs-crash";
    const grp = "kjs-crash-group";
    await createTopic(broker.bootstrap, t, 6);
    const a = await Member.start(grp, t, { sessionTimeout: 6000 });
    const b = await Member.start(grp, t, { sessionTimeout: 6000 });
    const child = broker.tsx(MEMBER_SCRIPT, [broker.bootstrap, grp, t, "6000"]);
    const g = await broker.stable(grp, t, 3, 6, 45_000, child);
    const childId = await waitFor("the child's join with its assignment", () => {
      const j = child.events("joined").at(-1);
      const id = j?.memberId as string | undefined;
      return id && g.members.some((m) => m.memberId === id) ? id : false;
    });

    const produced = await produceEach(broker.bootstrap, t, 6, 20, "c");
    const consumed = () => [...a.got.map((x) => x.value), ...b.got.map((x) => x.value), ...child.events("message").map((x) => String(x.value))];
    await waitFor("120 messages consumed", () => consumed().length >= 120);
    await broker.waitCommittedAtEnd(grp, t, 6);
    expectExactlyOnce(consumed(), produced, "before the crash");
    expect(child.events("message").length, "the child consumed its share").toBeGreaterThan(0);

    await child.kill("SIGKILL");
    // Kafka does not act on a closed connection: the member stays until its session expires.
    await sleep(2500);
    const during = await describeGroup(broker.bootstrap, grp);
    expect(during.members.map((m) => m.memberId), "dead member still present before its session timeout").toContain(childId);

    const after = await broker.stable(grp, t, 2, 6, 30_000);
    expect(after.members.map((m) => m.memberId)).not.toContain(childId);

    const produced2 = await produceEach(broker.bootstrap, t, 6, 20, "d");
    await waitFor("120 messages after the crash consumed", () => consumed().filter((v) => v.startsWith("d-")).length >= 120);
    await broker.waitCommittedAtEnd(grp, t, 6);
    await sleep(500);
    expectExactlyOnce(consumed().filter((v) => v.startsWith("d-")), produced2, "after the crash");
    expectExactlyOnce(consumed().filter((v) => v.startsWith("c-")), produced, "before the crash, not re-delivered");
    await a.stop();
    await b.stop();
  });

  it("committed offsets survive a broker restart (SIGTERM, then SIGKILL) and consumption resumes right after them", async () => {
    const t = "kjs-restart";
    const grp = "kjs-restart-group";
    await createTopic(broker.bootstrap, t, 3);
    await produceEach(broker.bootstrap, t, 3, 20, "r");

    // Consume everything but commit only part of it: the uncommitted tail must be re-delivered.
    const a = await Member.start(grp, t, { autoCommit: false });
    await waitFor("60 messages consumed by the first member", () => a.got.length >= 60);
    const cutoffs = [5, 12, 20];
    await a.consumer.commitOffsets(cutoffs.map((offset, partition) => ({ topic: t, partition, offset: String(offset) })));
    expect(await committedOffsets(broker.bootstrap, grp, t, 3)).toEqual(cutoffs);
    await a.stop();

    const afterTerm = await broker.restartAndFetchCommitted("SIGTERM", grp, t, 3);
    expect(afterTerm, `committed offsets after SIGTERM + restart\n${broker.context()}`).toEqual(cutoffs);

    const b = await Member.start(grp, t, { autoCommit: true, fromBeginning: true });
    const expectB = cutoffs.flatMap((c, p) => Array.from({ length: 20 - c }, (_, i) => `r-${p}-${c + i}`));
    await waitFor(`the ${expectB.length} uncommitted messages re-delivered`, () => b.got.length >= expectB.length);
    await sleep(1500);
    expectExactlyOnce(b.got.map((x) => x.value), expectB, "resumed exactly at the committed offsets");
    for (const [p, c] of cutoffs.entries()) {
      const first = b.got.find((x) => x.partition === p);
      if (c < 20) expect(first?.offset, `partition ${p} resumes at ${c}`).toBe(c);
    }
    const more = await produceEach(broker.bootstrap, t, 3, 10, "s");
    await waitFor("30 new messages consumed", () => b.got.filter((x) => x.value.startsWith("s-")).length >= 30);
    await broker.waitCommittedAtEnd(grp, t, 3);
    expectExactlyOnce(b.got.filter((x) => x.value.startsWith("s-")).map((x) => x.value), more, "new messages after the restart");
    await b.stop();

    const afterKill = await broker.restartAndFetchCommitted("SIGKILL", grp, t, 3);
    expect(afterKill, `committed offsets after SIGKILL + restart\n${broker.context()}`).toEqual([30, 30, 30]);

    const c = await Member.start(grp, t, { fromBeginning: true });
    await broker.stable(grp, t, 1, 3);
    const newest = await produceEach(broker.bootstrap, t, 3, 5, "u");
    await waitFor("15 newest messages consumed", () => c.got.length >= 15);
    await sleep(1000);
    expectExactlyOnce(c.got.map((x) => x.value), newest, "nothing before the committed offsets after SIGKILL");
    await c.stop();
  });
});

describe("kafkajs admin: group APIs", () => {
  const t = "kjs-admin";
  const grp = "kjs-admin-group";

  it("describeGroups, listGroups and fetchOffsets of a running group; deleteGroups and setOffsets refuse it", async () => {
    // Fresh clients: the broker restarted in the test above.
    await admin.disconnect().catch(() => {});
    admin = broker.kafka("kjs-groups-admin").admin();
    await admin.connect();
    await createTopic(broker.bootstrap, t, 2);
    await produceEach(broker.bootstrap, t, 2, 10, "m");
    const m = await Member.start(grp, t, { clientId: "kjs-admin-member" });
    await waitFor("20 messages consumed", () => m.got.length >= 20);
    await broker.waitCommittedAtEnd(grp, t, 2);

    const { groups } = await admin.describeGroups([grp]);
    expect(groups).toHaveLength(1);
    const g = groups[0]!;
    expect(g).toMatchObject({ groupId: grp, errorCode: 0, state: "Stable", protocolType: "consumer", protocol: "RoundRobinAssigner" });
    expect(g.members).toHaveLength(1);
    expect(g.members[0]).toMatchObject({ memberId: m.memberId, clientId: "kjs-admin-member" });
    expect(g.members[0]!.clientHost).toMatch(/127\.0\.0\.1/);
    expect(splitOf(await describeGroup(broker.bootstrap, grp), t).covered).toEqual([0, 1]);

    const listed = await admin.listGroups();
    expect(listed.groups).toContainEqual({ groupId: grp, protocolType: "consumer" });

    const offsets = await admin.fetchOffsets({ groupId: grp, topics: [t] });
    expect(offsets).toEqual([{ topic: t, partitions: expect.arrayContaining([expect.objectContaining({ partition: 0, offset: "10" }), expect.objectContaining({ partition: 1, offset: "10" })]) }]);

    expect(await rejection(admin.deleteGroups([grp])), "DeleteGroups on a group with members").toEqual(["NON_EMPTY_GROUP"]);
    await expect(admin.setOffsets({ groupId: grp, topic: t, partitions: [{ partition: 0, offset: "0" }] })).rejects.toThrow(/no running instances/);
    await m.stop();
  });

  it("setOffsets and resetOffsets on an empty group move where a new member starts", async () => {
    await waitFor("the group to be Empty", async () => (await describeGroup(broker.bootstrap, grp)).state === "Empty");
    const d = await admin.describeGroups([grp]);
    expect(d.groups[0]).toMatchObject({ state: "Empty", members: [] });

    await admin.setOffsets({ groupId: grp, topic: t, partitions: [{ partition: 0, offset: "3" }, { partition: 1, offset: "7" }] });
    const set = await admin.fetchOffsets({ groupId: grp, topics: [t] });
    expect(set[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, "3"], [1, "7"]]);

    const m = await Member.start(grp, t);
    await waitFor("10 messages from the set offsets", () => m.got.length >= 10);
    await sleep(1000);
    expect(m.got.map((x) => [x.partition, x.offset]).sort((x, y) => x[0]! - y[0]! || x[1]! - y[1]!)).toEqual([
      ...[3, 4, 5, 6, 7, 8, 9].map((o) => [0, o]),
      ...[7, 8, 9].map((o) => [1, o]),
    ]);
    await broker.waitCommittedAtEnd(grp, t, 2);
    await m.stop();
    await waitFor("the group to be Empty again", async () => (await describeGroup(broker.bootstrap, grp)).state === "Empty");

    await admin.resetOffsets({ groupId: grp, topic: t, earliest: true });
    const r = await Member.start(grp, t);
    await waitFor("20 messages from the earliest offsets", () => r.got.length >= 20);
    await sleep(1000);
    expect(r.got.length, "reset to earliest re-reads each partition once").toBe(20);
    expect(r.got.filter((x) => x.offset === 0).map((x) => x.partition).sort()).toEqual([0, 1]);
    await broker.waitCommittedAtEnd(grp, t, 2);
    await r.stop();
  });

  it("OffsetDelete (raw: kafkajs has no deleteTopicOffsets) refuses a subscribed topic and deletes on an empty group", async () => {
    const og = "kjs-offdel-group";
    const ot = "kjs-offdel";
    await createTopic(broker.bootstrap, ot, 2);
    await produceEach(broker.bootstrap, ot, 2, 4, "o");
    const m = await Member.start(og, ot);
    await waitFor("8 messages consumed", () => m.got.length >= 8);
    await broker.waitCommittedAtEnd(og, ot, 2);
    const offsetDelete = (groupId: string) =>
      withWire(broker.bootstrap, (c) => c.request(47, c.version(47, 0, 0), { groupId, topics: [{ name: ot, partitions: [{ partitionIndex: 0 }] }] }));
    const whileStable = await offsetDelete(og);
    expect(whileStable.errorCode, "top-level error while the group consumes the topic").toBe(0);
    expect(whileStable.topics[0]?.partitions[0]?.errorCode, "GROUP_SUBSCRIBED_TO_TOPIC (86)").toBe(86);
    expect((await offsetDelete("kjs-no-such-group")).errorCode, "GROUP_ID_NOT_FOUND (69)").toBe(69);
    await m.stop();
    await waitFor("the group to be Empty", async () => (await describeGroup(broker.bootstrap, og)).state === "Empty");
    const deleted = await offsetDelete(og);
    expect(deleted.errorCode).toBe(0);
    expect(deleted.topics[0]?.partitions[0]?.errorCode).toBe(0);
    expect(await committedOffsets(broker.bootstrap, og, ot, 2)).toEqual([-1, 4]);
  });

  it("deleteGroups deletes an empty group with its offsets, and reports an unknown one", async () => {
    await waitFor("the group to be Empty", async () => (await describeGroup(broker.bootstrap, grp)).state === "Empty");
    const res = await admin.deleteGroups([grp]);
    expect(res).toEqual([expect.objectContaining({ groupId: grp, errorCode: 0 })]);
    const d = await admin.describeGroups([grp]);
    expect(d.groups[0], "a deleted group describes as Dead").toMatchObject({ groupId: grp, state: "Dead", members: [] });
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(grp);
    expect(await committedOffsets(broker.bootstrap, grp, t, 2)).toEqual([-1, -1]);
    expect(await rejection(admin.deleteGroups(["kjs-never-existed"]))).toEqual(["GROUP_ID_NOT_FOUND"]);
  });

  it("Kafka's group errors beside a running kafkajs member (raw requests)", async () => {
    const eg = "kjs-errors-group";
    const et = "kjs-errors";
    await createTopic(broker.bootstrap, et, 1);
    const m = await Member.start(eg, et);
    await broker.stable(eg, et, 1, 1);
    await withWire(broker.bootstrap, async (c) => {
      const fc = await c.request(10, c.version(10, 0, 3), { key: eg, keyType: 0 });
      expect(fc, "FindCoordinator names this node").toMatchObject({ errorCode: 0, nodeId: 0, host: "127.0.0.1", port: broker.node.port });
      const join = (over: Record<string, unknown>) =>
        c.request(11, c.version(11, 0, 7), {
          groupId: eg,
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId: "",
          groupInstanceId: null,
          protocolType: "consumer",
          protocols: [{ name: "RoundRobinAssigner", metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }],
          ...over,
        });
      expect((await join({ sessionTimeoutMs: 1000 })).errorCode, "INVALID_SESSION_TIMEOUT (26) below group.min.session.timeout.ms").toBe(26);
      expect((await join({ protocolType: "connect" })).errorCode, "INCONSISTENT_GROUP_PROTOCOL (23): another protocol type").toBe(23);
      expect((await join({ protocols: [{ name: "no-such-assignor", metadata: Buffer.alloc(0) }] })).errorCode, "INCONSISTENT_GROUP_PROTOCOL (23): no common assignor").toBe(23);
      const first = await join({});
      expect(first.errorCode, "MEMBER_ID_REQUIRED (79) for a JoinGroup v4+ without a member id").toBe(79);
      expect(first.memberId.length).toBeGreaterThan(0);

      const commit = (generation: number, memberId: string) =>
        c.request(8, c.version(8, 0, 8), {
          groupId: eg,
          generationIdOrMemberEpoch: generation,
          memberId,
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [{ name: et, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
        });
      expect((await commit(1, "not-a-member")).topics[0]!.partitions[0]!.errorCode, "UNKNOWN_MEMBER_ID (25) committing to a Stable group as a stranger").toBe(25);
      expect((await commit(-1, "")).topics[0]!.partitions[0]!.errorCode, "a simple-consumer commit to a group with members is refused (UNKNOWN_MEMBER_ID 25)").toBe(25);
      expect((await commit(9999, m.memberId)).topics[0]!.partitions[0]!.errorCode, "ILLEGAL_GENERATION (22) from a member with a wrong generation").toBe(22);
      const hb = await c.request(12, c.version(12, 0, 4), { groupId: eg, generationId: 9999, memberId: m.memberId, groupInstanceId: null });
      expect(hb.errorCode, "Heartbeat with a wrong generation: ILLEGAL_GENERATION (22)").toBe(22);
      const hb2 = await c.request(12, c.version(12, 0, 4), { groupId: eg, generationId: 1, memberId: "not-a-member", groupInstanceId: null });
      expect(hb2.errorCode, "Heartbeat from a stranger: UNKNOWN_MEMBER_ID (25)").toBe(25);
    });
    // None of that disturbed the member: still Stable with it alone.
    const g = await describeGroup(broker.bootstrap, eg);
    expect(g.state).toBe("Stable");
    expect(g.members.map((x) => x.memberId)).toEqual([m.memberId]);
    await m.stop();
  });

  it("the broker is still alive and logged no internal errors", () => {
    broker.expectAliveWithoutErrors();
  });
});
