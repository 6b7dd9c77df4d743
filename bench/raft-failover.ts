/**
 * Metadata quorum failover on three combined voting nodes (test/helpers/raft-cluster.ts),
 * with Kafka's default controller.quorum.* timings unless overridden: each round SIGKILLs
 * the active controller, then measures the time until a survivor's DescribeQuorum names a
 * new leader and until the first CreateTopics sent through a survivor is acknowledged; the
 * killed node is restarted and caught up before the next round. Prints each round and the
 * median and maximum of both.
 *
 *   npx tsx bench/raft-failover.ts [--rounds 20] [--override key=value ...]
 */
import { parseArgs } from "node:util";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { waitFor, withWire } from "../test/helpers/groups.ts";
import { RaftTestCluster } from "../test/helpers/raft-cluster.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "20" }, override: { type: "string", multiple: true, default: [] } } });
const rounds = Number(values.rounds);
const overrides = Object.fromEntries(values.override.map((kv) => kv.split("=", 2) as [string, string]));

async function createTopic(cluster: RaftTestCluster, via: number, name: string): Promise<boolean> {
  try {
    return await withWire(cluster.node(via).bootstrap, async (c) => {
      const res = await c.request(ApiKey.CreateTopics, 5, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false });
      return res.topics[0]!.errorCode === 0;
    });
  } catch {
    return false;
  }
}

function summary(label: string, xs: number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${label}: median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`;
}

const cluster = await RaftTestCluster.start(3, { "broker.session.timeout.ms": "9000", ...overrides });
const toLeader: number[] = [];
const toCreate: number[] = [];
let topic = 0;
try {
  for (let round = 1; round <= rounds; round++) {
    const before = await waitFor("a leader", () => cluster.describeQuorum(0).catch(() => null), 60_000);
    const killed = before.leaderId;
    const survivor = [0, 1, 2].find((id) => id !== killed)!;
    await cluster.node(killed).stop("SIGKILL");
    const killedAt = Date.now();
    const leaderSeen = waitFor("a new leader", async () => {
      const q = await cluster.describeQuorum(survivor).catch(() => null);
      return q !== null && q.leaderId !== killed ? Date.now() - killedAt : null;
    }, 60_000, 20);
    const created = waitFor("a CreateTopics acknowledged", async () => ((await createTopic(cluster, survivor, `failover-${topic++}`)) ? Date.now() - killedAt : null), 60_000, 0);
    const [leaderMs, createMs] = await Promise.all([leaderSeen, created]);
    toLeader.push(leaderMs);
    toCreate.push(createMs);
    console.log(`round ${round}: killed ${killed}; new leader after ${leaderMs} ms, first CreateTopics acknowledged after ${createMs} ms`);
    await cluster.node(killed).launch();
    await waitFor("the killed node back in agreement", async () => {
      const q = await cluster.describeQuorum(killed).catch(() => null);
      return q !== null && q.leaderId !== killed;
    }, 60_000);
  }
  console.log(summary("SIGKILL -> new leader", toLeader));
  console.log(summary("SIGKILL -> first CreateTopics acknowledged", toCreate));
} finally {
  await cluster.destroy();
}
