// Replication as the `__state_changes` topic tells it, on a real three-node cluster (node 0 is
// the only controller and is never stopped): a killed follower leaves the ISR with its lag
// reported by the leader, rejoins after a restart (InSync again, OnlineReplica); and an
// unclean leader election: an RF-2 topic whose only in-sync replica dies stays offline until
// unclean.leader.election.enable is set, then the out-of-sync replica leads and the records
// only the dead leader had are gone.
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZERO_UUID } from "../broker/controller/uuid.ts";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { readStateChanges, sleep, waitFor, withWire, type StateChange } from "./helpers/groups.ts";
import { kcat, parseKcatJson } from "./helpers/run.ts";

const LAG_MS = 1000;
const SESSION_MS = 5000;
const UNCLEAN_INTERVAL_MS = 1000;

let cluster: TestCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await TestCluster.start(3, {
    "broker.session.timeout.ms": String(SESSION_MS),
    "broker.heartbeat.interval.ms": "500",
    // A killed follower leaves the ISR by the leader's lag check well before its broker is fenced.
    "replica.lag.time.max.ms": String(LAG_MS),
    "unclean.leader.election.interval.ms": String(UNCLEAN_INTERVAL_MS),
  });
  kafka = new Kafka({ clientId: "replication-events-it", brokers: [cluster.node(0).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
});

async function createTopic(topic: string, replicas: number[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas }] }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Partition 0's leader and ISR from Metadata (kafkajs refuses to show a partition without a leader). */
async function partition0(topic: string): Promise<{ leader: number; isr: number[] }> {
  const md = await withWire(cluster.node(0).bootstrap, (c) => c.request(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false }));
  const p = md.topics[0]!.partitions.find((x) => x.partitionIndex === 0)!;
  return { leader: p.leaderId, isr: [...p.isrNodes].sort() };
}

async function produce(topic: string, values: string[], acks: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks, messages: values.map((value) => ({ value, partition: 0 })) });
  } finally {
    await producer.disconnect();
  }
}

/** Waits until `__state_changes` holds an event matching `match`, and returns the events then. */
async function eventFor(what: string, match: (e: StateChange) => boolean, timeoutMs = 30_000): Promise<{ event: StateChange; events: StateChange[] }> {
  let events: StateChange[] = [];
  const event = await waitFor(
    what,
    async () => {
      events = await readStateChanges(cluster.node(0).bootstrap);
      return events.find(match) ?? false;
    },
    timeoutMs,
  ).catch((e: Error) => {
    const mine = events.filter((x) => x.machine === "partition" || x.machine === "replica").slice(-30);
    throw new Error(`${e.message}\nlast partition/replica events:\n${mine.map((x) => `${x.subject} ${x.from}→${x.to} (${x.cause})`).join("\n")}`);
  });
  return { event, events };
}

describe("ISR changes in __state_changes", () => {
  const TOPIC = "isr-events";

  it("a killed follower: the leader reports it out of sync with its lag, the controller reports its replica offline", async () => {
    await createTopic(TOPIC, [0, 1, 2]);
    await produce(TOPIC, ["a", "b", "c"], -1);
    await cluster.node(2).stop("SIGKILL");
    // The leader (node 0) moves on without it.
    await produce(TOPIC, Array.from({ length: 20 }, (_, i) => `after-${i}`), 1);

    const { event: shrink } = await eventFor("the leader's InSync→OutOfSync for replica 2", (e) => e.subject === `${TOPIC}-0@2` && e.to === "OutOfSync");
    expect(shrink).toMatchObject({ machine: "replica", from: "InSync", node: 0, details: { broker: 2, leader: 0, isr: [0, 1], replicaLagTimeMaxMs: LAG_MS } });
    const d = shrink.details as Record<string, number>;
    expect(d.followerLogEndOffset).toBe(3);
    expect(d.leaderLogEndOffset).toBe(23);
    expect(d.offsetLag).toBe(20);
    expect(d.lagMs).toBeGreaterThan(LAG_MS);
    expect(d.lastCaughtUpTimeMs).toBeGreaterThan(0);
    expect(shrink.cause).toMatch(/^replica 2 fell behind: last caught up \d+\.\d s ago \(replica\.lag\.time\.max\.ms=1000\), log end 3 vs leader 23$/);

    const { event: offline } = await eventFor("OfflineReplica for replica 2 once broker 2 is fenced", (e) => e.subject === `${TOPIC}-0@2` && e.to === "OfflineReplica", SESSION_MS + 30_000);
    expect(offline).toMatchObject({ machine: "replica", from: "OnlineReplica", node: 0 });
    expect((await partition0(TOPIC)).isr).toEqual([0, 1]);
  });

  it("restarted, it catches up: the leader reports it in sync again and the controller reports the replica online", async () => {
    await cluster.node(2).launch();
    const { event: expand } = await eventFor("the leader's OutOfSync→InSync for replica 2", (e) => e.subject === `${TOPIC}-0@2` && e.to === "InSync", 60_000);
    expect(expand).toMatchObject({ machine: "replica", from: "OutOfSync", node: 0, details: { broker: 2, followerLogEndOffset: 23, leaderLogEndOffset: 23, isr: [0, 1, 2] } });
    expect(expand.cause).toBe("replica 2 caught up to the high watermark: log end 23, high watermark 23 (leader log end 23)");
    const { event: online } = await eventFor("OnlineReplica for replica 2 after it rejoined", (e) => e.subject === `${TOPIC}-0@2` && e.to === "OnlineReplica" && e.from === "OfflineReplica");
    expect(online.cause).toBe("replica 2 rejoined the ISR after catching up");
    expect(online.details).toMatchObject({ broker: 2, isr: [0, 1, 2] });
    // Each transition once: only the leader reports ISR changes, only the controller replica
    // states (the controller's as it commits the expansion, the leader's when answered).
    const mine = (await readStateChanges(cluster.node(0).bootstrap)).filter((e) => e.subject === `${TOPIC}-0@2`);
    expect(mine.map((e) => `${e.from}→${e.to}`)).toEqual([
      "NonExistentReplica→NewReplica",
      "NewReplica→OnlineReplica",
      "InSync→OutOfSync",
      "OnlineReplica→OfflineReplica",
      "OfflineReplica→OnlineReplica",
      "OutOfSync→InSync",
    ]);
    expect((await partition0(TOPIC)).isr).toEqual([0, 1, 2]);
  });
});

describe("unclean leader election", () => {
  const TOPIC = "unclean-events";

  it("RF 2: the follower dies, the leader takes acks=1 writes and dies; the follower restarts into an offline partition", async () => {
    await createTopic(TOPIC, [1, 2]);
    await produce(TOPIC, ["both-0", "both-1"], -1);
    // In the ISR after the acks=all write: broker 2 has both records (a short lag check may
    // have dropped and re-added it meanwhile, and it rejoins only at the high watermark).
    await waitFor("broker 2 in the ISR", async () => (await partition0(TOPIC)).isr.join() === "1,2");
    await cluster.node(2).stop("SIGKILL");
    await waitFor("the ISR without broker 2", async () => (await partition0(TOPIC)).isr.join() === "1", SESSION_MS + 30_000);
    await produce(TOPIC, ["only-on-1-0", "only-on-1-1", "only-on-1-2"], 1);
    await cluster.node(1).stop("SIGKILL");
    await waitFor("no leader once broker 1 is fenced", async () => (await partition0(TOPIC)).leader === -1, SESSION_MS + 30_000);
    await cluster.node(2).launch();
    await waitFor("broker 2 active again", async () => {
      const md = await withWire(cluster.node(0).bootstrap, (c) => c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false }));
      return md.brokers.some((b) => b.nodeId === 2);
    });
    // Several runs of the periodic unclean election: with the config off, nobody is elected.
    await sleep(3 * UNCLEAN_INTERVAL_MS);
    expect(await partition0(TOPIC)).toEqual({ leader: -1, isr: [1] });
    const { event: offline } = await eventFor("OfflinePartition", (e) => e.subject === `${TOPIC}-0` && e.to === "OfflinePartition");
    expect(offline.cause).toBe("no leader can be chosen: no live replica in the ISR [1]");
    expect(offline.details).toMatchObject({ leader: -1, isr: [1], previousLeader: 1 });
  });

  it("IncrementalAlterConfigs unclean.leader.election.enable=true: broker 2 leads, the election is reported unclean, the records only broker 1 had are lost", async () => {
    const reply = await withWire(cluster.node(0).bootstrap, (w) =>
      w.request(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: 2, resourceName: TOPIC, configs: [{ name: "unclean.leader.election.enable", configOperation: 0, value: "true" }] }],
        validateOnly: false,
      }),
    );
    expect(reply.responses[0]!.errorCode).toBe(0);
    await waitFor("broker 2 leads", async () => (await partition0(TOPIC)).leader === 2, 30_000);
    expect(await partition0(TOPIC)).toEqual({ leader: 2, isr: [2] });

    const { event } = await eventFor("the unclean election", (e) => e.subject === `${TOPIC}-0` && e.from === "OfflinePartition" && e.to === "OnlinePartition");
    expect(event).toMatchObject({ machine: "partition", node: 0, details: { election: "unclean", previousLeader: 1, leader: 2, isr: [2], leaderRecoveryState: 1 } });
    expect(event.cause).toBe(
      "leader elected: broker 2, unclean election: broker 2 was not in the ISR [1] (unclean.leader.election.enable), records only the ISR had are lost",
    );
    const { event: replica } = await eventFor("replica 2 online as leader", (e) => e.subject === `${TOPIC}-0@2` && e.to === "OnlineReplica" && e.from === "OfflineReplica");
    expect(replica.cause).toBe("replica 2 was elected leader from outside the ISR");

    // What broker 2 had is the partition now.
    const r = await kcat(cluster.node(0).bootstrap, ["-C", "-t", TOPIC, "-o", "beginning", "-e", "-J"], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(parseKcatJson(r.stdout).map((m) => m.payload)).toEqual(["both-0", "both-1"]);
  });

  it("the old leader restarts, truncates to the new leader's log and rejoins: the ISR grows, which the controller allows only once the leader reported RECOVERED", async () => {
    await cluster.node(1).launch();
    // While RECOVERING the controller refuses a larger ISR (INVALID_REQUEST): the expansion
    // going through shows the new leader's AlterPartition said RECOVERED.
    await waitFor("broker 1 back in the ISR", async () => (await partition0(TOPIC)).isr.join() === "1,2", 60_000);
    const { event } = await eventFor("the new leader's OutOfSync→InSync for replica 1", (e) => e.subject === `${TOPIC}-0@1` && e.to === "InSync");
    expect(event).toMatchObject({ node: 2, details: { leader: 2, isr: [2, 1], followerLogEndOffset: 2 } });
  });
});
