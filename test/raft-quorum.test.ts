// The metadata quorum with three voters: three combined nodes (broker + controller) whose
// controller.quorum.voters names all three elect a leader with Raft over their controller
// listeners; a broker-only node observes the quorum. DescribeQuorum and Kafka 3.9's
// kafka-metadata-quorum show leader, epoch, voters and the observer. The active controller is
// SIGKILLed twice while CreateTopics keeps going (every acknowledged topic visible
// afterwards on every node, none twice) and produce/consume go on; each killed node catches
// up when it returns. SIGTERM of the leader hands over through EndQuorumEpoch, so its
// successor starts at once instead of waiting for a fetch timeout.
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

/** Every topic one node's Metadata lists, as [name, topic id] (duplicates kept). */
async function topicIds(via: number): Promise<[string, string][]> {
  return withWire(cluster.node(via).bootstrap, async (c) => {
    const res = await c.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    return res.topics.map((t): [string, string] => [t.name ?? "", t.topicId]);
  });
}

function listsAll(listed: [string, string][], names: readonly string[]): boolean {
  const have = new Set(listed.map(([name]) => name));
  return names.every((n) => have.has(n));
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

  it("keeps creating topics while the active controller is SIGKILLed, twice: every acknowledged one visible everywhere, none twice; produce and consume go on", async () => {
    // Everything goes through the observer, which is never killed, and a surviving voter.
    expect(await createTopic(OBSERVER, KEPT, 3, { "min.insync.replicas": "2" })).toBe(0);
    // The observer serves the topic once it has replayed the committed records (its one partition led, all three replicas in sync).
    await waitFor(`${KEPT} served by the observer`, async () => {
      const md = JSON.parse((await kcat(cluster.node(OBSERVER).bootstrap, ["-L", "-J", "-t", KEPT])).stdout || "{}") as { topics?: { partitions?: { leader: number; isrs: unknown[] }[] }[] };
      const p = md.topics?.[0]?.partitions?.[0];
      return p && p.leader >= 0 && p.isrs.length === 3 ? true : undefined;
    });
    const produced = ["a1", "a2"];
    const first = await kcat(cluster.node(OBSERVER).bootstrap, ["-P", "-t", KEPT, "-X", "acks=all"], { input: produced.map((p) => `${p}\n`).join("") });
    expect(first.code, describeRun(first)).toBe(0);

    const acknowledged: string[] = [];
    const refused: { name: string; errorCode: number }[] = [];
    let i = 0;
    const createOne = async (voter: number) => {
      // Alternately through a surviving voter and through the observer (both forward to the active controller).
      const name = `raft-t-${i++}`;
      const errorCode = await createTopic(i % 2 === 0 ? voter : OBSERVER, name, 1).catch(() => -1);
      if (errorCode === 0) acknowledged.push(name);
      else refused.push({ name, errorCode });
    };

    for (let round = 1; round <= 2; round++) {
      const before = await agreedQuorum(`a leader before kill ${round}`);
      const killed = before.leaderId;
      const survivor = VOTERS.find((id) => id !== killed)!;
      const ackedBefore = acknowledged.length;
      while (acknowledged.length < ackedBefore + 2) await createOne(survivor);
      await cluster.node(killed).stop("SIGKILL");
      const killedAt = Date.now();
      let firstAckAfterKillMs = -1;
      await waitFor(`3 topics acknowledged after kill ${round}`, async () => {
        await createOne(survivor);
        if (firstAckAfterKillMs < 0 && acknowledged.length > ackedBefore + 2) firstAckAfterKillMs = Date.now() - killedAt;
        return acknowledged.length >= ackedBefore + 5;
      }, 60_000, 0);
      const after = await agreedQuorum(`a new leader after kill ${round}`, (q) => q.leaderId !== killed);
      expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
      // Figures for the record, not assertions.
      console.log(`kill ${round}: SIGKILL of controller ${killed} (epoch ${before.leaderEpoch}) -> leader ${after.leaderId} (epoch ${after.leaderEpoch}); first CreateTopics acknowledged after ${firstAckAfterKillMs} ms`);

      // Produce with acks=all while the old controller is down.
      const line = `r${round}`;
      const more = await kcat(cluster.node(survivor).bootstrap, ["-P", "-t", KEPT, "-X", "acks=all"], { input: `${line}\n` });
      expect(more.code, describeRun(more)).toBe(0);
      produced.push(line);

      // The killed node comes back as a follower and catches up on what it missed.
      await cluster.node(killed).launch();
      await waitFor(`node ${killed} caught up after kill ${round}`, async () => {
        return listsAll(await topicIds(killed), acknowledged);
      });
    }
    console.log(`refused CreateTopics: ${JSON.stringify(refused)}`);

    // Every acknowledged topic exists on every node, each name once with one id.
    for (const id of [...VOTERS, OBSERVER]) {
      const listed = await waitFor(`node ${id} lists every acknowledged topic`, async () => {
        const l = await topicIds(id);
        return listsAll(l, acknowledged) ? l : null;
      });
      const created = listed.filter(([name]) => name.startsWith("raft-t-"));
      expect(new Set(created.map(([name]) => name)).size).toBe(created.length);
      expect(new Set(created.map(([, topicId]) => topicId)).size).toBe(created.length);
    }
    // A refusal is only an unknown outcome (-1: the connection broke; REQUEST_TIMED_OUT, NOT_CONTROLLER) or
    // TOPIC_ALREADY_EXISTS from a retried forward whose first attempt committed: never a second topic.
    for (const r of refused) expect([-1, 7, 36, 41]).toContain(r.errorCode);

    const consumed = await kcat(cluster.node(OBSERVER).bootstrap, ["-C", "-t", KEPT, "-o", "beginning", "-e", "-J"]);
    expect(parseKcatJson(consumed.stdout).map((m) => m.payload)).toEqual(produced);
  }, 240_000);

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
