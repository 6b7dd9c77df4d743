import { afterAll, beforeAll, expect, it } from "vitest";
import { RaftTestCluster } from "./helpers/raft-cluster.ts";
import { waitFor } from "./helpers/groups.ts";

let cluster: RaftTestCluster;

beforeAll(async () => {
  cluster = await RaftTestCluster.start(3, { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500" });
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
});

it("elects a leader", async () => {
  const q = await waitFor("a quorum leader", () => cluster.describeQuorum(1), 30_000);
  console.log(q);
  expect(q!.voters).toEqual([0, 1, 2]);
});
