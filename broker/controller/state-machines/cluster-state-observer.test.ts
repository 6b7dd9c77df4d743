import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../../config/broker-config.ts";
import type { StateChangeEvent } from "../../events/state-change.ts";
import { QuorumController } from "../controller.ts";
import { MemoryRaftLogStore } from "../quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "../quorum/single-voter-quorum.ts";
import { seededRandom } from "../replica-placer.ts";
import { clusterStateObserver } from "./cluster-state-observer.ts";
import { IllegalStateTransition, StateMachine } from "./state-machine.ts";
import { testRegistration } from "../test-support.ts";

type Event = Omit<StateChangeEvent, "node" | "at">;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const registration = testRegistration;

async function start(store = new MemoryRaftLogStore(), dir = mkdtempSync(join(tmpdir(), "samsa-sm-"))) {
  dirs.push(dir);
  const events: Event[] = [];
  const quorum = new SingleVoterQuorum({ nodeId: 0, dir, store });
  const controller = new QuorumController({
    nodeId: 0,
    clusterId: "AAAAAAAAAAAAAAAAAAAAAQ",
    quorum,
    config: new BrokerConfig(new Map([["node.id", "0"]])),
    random: seededRandom(1),
    registration: registration(),
  });
  controller.onImage(clusterStateObserver((e) => events.push(e), () => quorum.leaderAndEpoch().epoch, () => controller.isActive()));
  await controller.start();
  return { controller, events, store, dir };
}

const brief = (events: Event[], machine: string) => events.filter((e) => e.machine === machine).map((e) => `${e.subject}: ${e.from} -> ${e.to}`);

describe("cluster state machines over committed metadata", () => {
  it("report broker registration, topic creation and deletion with Kafka's state names", async () => {
    const { controller, events } = await start();
    expect(brief(events, "broker")).toEqual(["0: Unregistered -> Fenced", "0: Fenced -> Active"]);
    events.length = 0;
    await controller.createTopics({ topics: [{ name: "orders", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], validateOnly: false });
    expect(brief(events, "partition")).toEqual([
      "orders-0: NonExistentPartition -> NewPartition",
      "orders-0: NewPartition -> OnlinePartition",
      "orders-1: NonExistentPartition -> NewPartition",
      "orders-1: NewPartition -> OnlinePartition",
    ]);
    expect(brief(events, "replica")).toEqual(["orders-0@0: NonExistentReplica -> NewReplica", "orders-0@0: NewReplica -> OnlineReplica", "orders-1@0: NonExistentReplica -> NewReplica", "orders-1@0: NewReplica -> OnlineReplica"]);
    const online = events.find((e) => e.subject === "orders-1" && e.to === "OnlinePartition")!;
    expect(online.details).toMatchObject({ leader: 0, isr: [0], replicas: [0], leaderEpoch: 0 });
    expect(online.cause).toBe("leader elected: broker 0");
    expect(online.epoch).toBeGreaterThan(0);

    events.length = 0;
    await controller.createPartitions({ topics: [{ name: "orders", count: 3, assignments: null }], validateOnly: false });
    expect(brief(events, "partition")).toEqual(["orders-2: NonExistentPartition -> NewPartition", "orders-2: NewPartition -> OnlinePartition"]);
    expect(events.find((e) => e.to === "NewPartition")!.cause).toBe("partition added");

    events.length = 0;
    await controller.deleteTopics({ topics: [{ name: "orders", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }] });
    expect(brief(events, "partition").filter((e) => e.startsWith("orders-0"))).toEqual([
      "orders-0: OnlinePartition -> OfflinePartition",
      "orders-0: OfflinePartition -> NonExistentPartition",
    ]);
    expect(brief(events, "replica").filter((e) => e.startsWith("orders-0"))).toEqual([
      "orders-0@0: OnlineReplica -> OfflineReplica",
      "orders-0@0: OfflineReplica -> ReplicaDeletionStarted",
      "orders-0@0: ReplicaDeletionStarted -> ReplicaDeletionSuccessful",
      "orders-0@0: ReplicaDeletionSuccessful -> NonExistentReplica",
    ]);
  });

  it("seeds from the replayed log on restart and reports only what happens after", async () => {
    const first = await start();
    await first.controller.createTopics({ topics: [{ name: "t", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], validateOnly: false });
    await first.controller.close();
    const second = await start(first.store, first.dir);
    // The restart re-registers the node (new epoch); the partitions were already online.
    expect(brief(second.events, "broker")).toEqual(["0: Active -> Fenced", "0: Fenced -> Active"]);
    expect(brief(second.events, "partition")).toEqual([]);
  });

  it("refuses transitions outside the table", () => {
    const sm = new StateMachine<"A" | "B" | "C">("partition", "A", { A: [], B: ["A"], C: ["B"] }, () => {}, () => 0);
    expect(() => sm.transition("x", "C", "skip")).toThrow(IllegalStateTransition);
    sm.transition("x", "B", "ok");
    expect(sm.state("x")).toBe("B");
  });
});
