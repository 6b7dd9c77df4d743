// The metadata quorum with three voters: three combined nodes (broker + controller) whose
// controller.quorum.voters names all three, electing a leader with Raft over their
// controller listeners, and a broker-only node observing the quorum. DescribeQuorum and Kafka 3.9's kafka-metadata-quorum show the leader
// and epoch; SIGKILL of the active controller elects another while CreateTopics keeps
// working (every acknowledged topic visible afterwards, none twice) and produce/consume go
// on; the killed node catches up when it returns; SIGTERM of the leader hands over through
// EndQuorumEpoch, so its successor starts at once instead of waiting for a fetch timeout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { readStateChanges, waitFor, withWire } from "./helpers/groups.ts";
import { RaftTestCluster, type QuorumView } from "./helpers/raft-cluster.ts";
import { describeRun, kcat, parseKcatJson } from "./helpers/run.ts";

const KEPT = "kept";
let cluster: RaftTestCluster;

beforeAll(async () => {
  cluster = await RaftTestCluster.start(3, {
    "broker.session.timeout.ms": "3000",
    "broker.heartbeat.interval.ms": "500",
    // Internal topics on every node, so losing one loses neither offsets nor state changes.
    "offsets.topic.replication.factor": "3",
    "state.change.log.replication.factor": "3",
  }, 1);
}, 120_000);

const VOTERS = [0, 1, 2];
const OBSERVER = 3;

afterAll(async () => {
  await cluster?.destroy();
});

/** The quorum as every running node reports it, once they agree on a leader. */
async function agreedQuorum(what: string, accept: (q: QuorumView) => boolean = () => true): Promise<QuorumView> {
  return waitFor(
    what,
    async () => {
      const alive = [...VOTERS, OBSERVER].filter((id) => cluster.node(id).alive);
      const views = await Promise.all(alive.map((id) => cluster.describeQuorum(id)));
      const first = views[0];
      if (!first || views.some((v) => v === null || v.leaderId !== first.leaderId || v.leaderEpoch !== first.leaderEpoch)) return null;
      return accept(first) ? first : null;
    },
    45_000,
  );
}

/** CreateTopics v5 sent to one node (forwarded to the active controller when it does not lead); the topic's error code. */
async function createTopic(via: number, name: string, replicationFactor: number, configs: Record<string, string> = {}): Promise<number> {
  return withWire(cluster.node(via).bootstrap, async (c) => {
    const res = await c.request(ApiKey.CreateTopics, 5, {
      topics: [{ name, numPartitions: 1, replicationFactor, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    return res.topics[0]!.errorCode;
  });
}

/** Topic name → topic id, from one node's Metadata. */
async function topicIds(via: number): Promise<Map<string, string>> {
  return withWire(cluster.node(via).bootstrap, async (c) => {
    const res = await c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return new Map(res.topics.map((t) => [t.name ?? "", t.topicId]));
  });
}

describe("three voting nodes", () => {
  it("agree on one leader, shown by DescribeQuorum and kafka-metadata-quorum --status and --replication", async () => {
    const q = await agreedQuorum("a leader every node names, the observer's fetches included", (v) => v.observers.includes(OBSERVER));
    expect(q.voters).toEqual(VOTERS);
    expect(q.leaderEpoch).toBeGreaterThan(0);

    const status = await ApacheKafka.tool("kafka-metadata-quorum", ["--bootstrap-server", cluster.bootstrap, "describe", "--status"]);
    expect(status.code, describeRun(status)).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^LeaderId:\\s+${q.leaderId}$`, "m"));
    expect(status.stdout).toMatch(new RegExp(`^LeaderEpoch:\\s+${q.leaderEpoch}$`, "m"));
    const voters = /^CurrentVoters:\s+(.*)$/m.exec(status.stdout)?.[1] ?? "";
    expect([...voters.matchAll(/"id": (\d+)/g)].map((m) => Number(m[1])).sort()).toEqual(VOTERS);

    const replication = await ApacheKafka.tool("kafka-metadata-quorum", ["--bootstrap-server", cluster.bootstrap, "describe", "--replication"]);
    expect(replication.code, describeRun(replication)).toBe(0);
    const rows = replication.stdout.split("\n").map((l) => l.trim().split(/\s+/)).filter((cols) => /^\d+$/.test(cols[0] ?? ""));
    const statusOf = new Map(rows.map((cols) => [Number(cols[0]), cols.at(-1)]));
    expect(statusOf.get(q.leaderId)).toBe("Leader");
    expect(VOTERS.filter((id) => id !== q.leaderId).map((id) => statusOf.get(id))).toEqual(["Follower", "Follower"]);
    expect(statusOf.get(OBSERVER)).toBe("Observer");
  }, 120_000);

  it("keeps creating topics when the active controller is SIGKILLed: every acknowledged one visible, none twice; produce and consume go on", async () => {
    const before = await agreedQuorum("a leader before the kill");
    const killed = before.leaderId;
    const via = VOTERS.find((id) => id !== killed)!;
    expect(await createTopic(via, KEPT, 3, { "min.insync.replicas": "2" })).toBe(0);
    const produced = await kcat(cluster.node(via).bootstrap, ["-P", "-t", KEPT, "-X", "acks=all"], { input: "a1\na2\na3\n" });
    expect(produced.code, describeRun(produced)).toBe(0);

    const acknowledged: string[] = [];
    const refused: { name: string; errorCode: number }[] = [];
    let i = 0;
    const createOne = async () => {
      // Alternately through a surviving voter and through the observer (both forward to the active controller).
      const name = `raft-t-${i++}`;
      const errorCode = await createTopic(i % 2 === 0 ? via : OBSERVER, name, 1).catch(() => -1);
      if (errorCode === 0) acknowledged.push(name);
      else refused.push({ name, errorCode });
    };
    while (acknowledged.length < 3) await createOne();
    await cluster.node(killed).stop("SIGKILL");
    const killedAt = Date.now();
    const ackedBeforeKill = acknowledged.length;
    let firstAckAfterKillMs = -1;
    await waitFor("5 topics acknowledged after the kill", async () => {
      await createOne();
      if (firstAckAfterKillMs < 0 && acknowledged.length > ackedBeforeKill) firstAckAfterKillMs = Date.now() - killedAt;
      return acknowledged.length >= ackedBeforeKill + 5;
    }, 60_000, 0);
    // Figures for the record, not assertions.
    console.log(`SIGKILL of controller ${killed}: first CreateTopics acknowledged after ${firstAckAfterKillMs} ms; refused: ${JSON.stringify(refused)}`);

    const after = await agreedQuorum("a new leader among the survivors", (q) => q.leaderId !== killed);
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);

    // Every acknowledged topic exists on both surviving voters and the observer, each name once with one id.
    for (const id of [...VOTERS, OBSERVER].filter((n) => n !== killed)) {
      const ids = await waitFor(`node ${id} lists every acknowledged topic`, async () => {
        const m = await topicIds(id);
        return acknowledged.every((t) => m.has(t)) ? m : null;
      });
      const created = [...ids].filter(([name]) => name.startsWith("raft-t-"));
      expect(new Set(created.map(([, topicId]) => topicId)).size).toBe(created.length);
    }
    // A refusal is only an unknown outcome or "already exists" from a retried forward, never a second topic.
    for (const r of refused) expect([-1, 7, 36, 41]).toContain(r.errorCode);

    // Produce and consume with the old controller gone.
    const more = await kcat(cluster.node(via).bootstrap, ["-P", "-t", KEPT, "-X", "acks=all"], { input: "b1\nb2\n" });
    expect(more.code, describeRun(more)).toBe(0);
    const consumed = await kcat(cluster.node(via).bootstrap, ["-C", "-t", KEPT, "-o", "beginning", "-e", "-J"]);
    expect(parseKcatJson(consumed.stdout).map((m) => m.payload)).toEqual(["a1", "a2", "a3", "b1", "b2"]);

    // The killed node comes back as a follower and catches up on what it missed.
    await cluster.node(killed).launch();
    await waitFor(`node ${killed} caught up`, async () => {
      const m = await topicIds(killed);
      return acknowledged.every((t) => m.has(t));
    });
    const back = await agreedQuorum("all three nodes agreeing again");
    expect(back.leaderId).not.toBe(killed);
  }, 180_000);

  it("hands leadership over on SIGTERM of the leader through EndQuorumEpoch, without waiting for a fetch timeout", async () => {
    const before = await agreedQuorum("a leader before the shutdown");
    const resigning = before.leaderId;
    const stoppedAt = Date.now();
    await cluster.node(resigning).stop("SIGTERM");
    const after = await agreedQuorum("a successor", (q) => q.leaderId !== resigning);
    console.log(`SIGTERM of leader ${resigning}: successor ${after.leaderId} in epoch ${after.leaderEpoch} seen after ${Date.now() - stoppedAt} ms`);
    const successor = after.leaderId;

    // The successor learned of the resignation (Follower -> Unattached in the old epoch) and
    // never timed out on the old leader (Follower -> Prospective in that epoch).
    const changes = await waitFor("the successor's quorum transitions", async () => {
      const all = (await readStateChanges(cluster.bootstrap)).filter((c) => c.machine === "controller" && c.subject === String(successor));
      return all.some((c) => c.to === "Leader" && c.epoch === after.leaderEpoch) ? all : null;
    });
    const inOldEpoch = changes.filter((c) => c.epoch === before.leaderEpoch);
    expect(inOldEpoch.some((c) => c.from === "Follower" && c.to === "Unattached" && c.cause === `leader ${resigning} resigned epoch ${before.leaderEpoch}`)).toBe(true);
    expect(inOldEpoch.some((c) => c.from === "Follower" && c.to === "Prospective")).toBe(false);

    expect(await createTopic(successor, "after-handover", 1)).toBe(0);
    await cluster.node(resigning).launch();
    await agreedQuorum("the resigned node following again");
  }, 120_000);
});
