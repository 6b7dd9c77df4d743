import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BrokerConfig } from "../../config/broker-config.ts";
import type { StateChangeEvent } from "../../events/state-change.ts";
import { QuorumController } from "../controller.ts";
import { MemoryRaftLogStore } from "../quorum/raft-log-store.ts";
import { SingleVoterQuorum } from "../quorum/single-voter-quorum.ts";
import { seededRandom } from "../../util/seeded-random.ts";
import { clusterStateObserver } from "./cluster-state-observer.ts";
import { IllegalStateTransition, StateMachine } from "./state-machine.ts";
import { type ControllerWithBrokers, controllerWithBrokers, testRegistration } from "../test-support.ts";
import { ConfigResourceType, LeaderRecoveryState } from "../metadata-image.ts";

type Event = Omit<StateChangeEvent, "node" | "at">;
const dirs: string[] = [];
const opened: ControllerWithBrokers[] = [];
afterEach(() => {
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  opened.splice(0).forEach((c) => c.close());
});

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

const SESSION_MS = 9000;
const UNCLEAN_INTERVAL_MS = 5000;

/** A controller on a manual clock with brokers 1 and 2 active, its events collected. */
async function startWithBrokers() {
  const events: Event[] = [];
  const c = await controllerWithBrokers({
    brokers: [1, 2],
    config: { "broker.session.timeout.ms": String(SESSION_MS), "unclean.leader.election.interval.ms": String(UNCLEAN_INTERVAL_MS) },
    beforeStart: (controller) => controller.onImage(clusterStateObserver((e) => events.push(e), () => 1, () => controller.isActive())),
  });
  opened.push(c);
  return { ...c, events };
}

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
    expect(online.cause).toBe("leader elected: broker 0, clean election from the ISR [0]");
    expect(online.details).toMatchObject({ election: "clean", previousLeader: -1 });
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
    ]);
    // The rest is the deleting broker's to report (ReplicaManager, replicaDeletionEvents).
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

  it("name clean and unclean elections, and an offline partition's last leader", async () => {
    const { controller, events, pass } = await startWithBrokers();
    const [created] = await controller.createTopics({
      topics: [{ name: "u", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }], configs: [] }],
      validateOnly: false,
    });
    expect(created!.errorCode).toBe(0);
    // 2 goes, then 1 (the last in-sync replica): offline.
    await pass(SESSION_MS + 1000, [1]);
    events.length = 0;
    await pass(SESSION_MS + 1000, [2]);
    const offline = events.find((e) => e.subject === "u-0" && e.to === "OfflinePartition")!;
    expect(offline.cause).toBe("no leader can be chosen: no live replica in the ISR [1]");
    expect(offline.details).toMatchObject({ leader: -1, isr: [1], previousLeader: 1 });
    // Broker 2 is active again but out of sync: its replica stays offline.
    expect(brief(events, "replica").filter((e) => e.startsWith("u-0@2"))).toEqual([]);

    events.length = 0;
    await controller.incrementalAlterConfigs({
      resources: [{ resourceType: ConfigResourceType.TOPIC, resourceName: "u", configs: [{ name: "unclean.leader.election.enable", configOperation: 0, value: "true" }] }],
      validateOnly: false,
    });
    await pass(UNCLEAN_INTERVAL_MS, [2]);
    expect(brief(events, "partition")).toEqual(["u-0: OfflinePartition -> OnlinePartition"]);
    const elected = events.find((e) => e.subject === "u-0")!;
    expect(elected.details).toMatchObject({ election: "unclean", previousLeader: 1, leader: 2, isr: [2], leaderRecoveryState: LeaderRecoveryState.RECOVERING });
    expect(elected.cause).toMatch(/^leader elected: broker 2, unclean election: broker 2 was not in the ISR \[1\]/);
    const replica = events.find((e) => e.subject === "u-0@2")!;
    expect(replica).toMatchObject({ from: "OfflineReplica", to: "OnlineReplica", cause: "replica 2 was elected leader from outside the ISR" });

    // Broker 1 returns out of sync and 2, the whole ISR, is fenced: unclean again, from leader 2.
    events.length = 0;
    await pass(SESSION_MS + 1000, [1]);
    const moved = events.find((e) => e.subject === "u-0" && e.machine === "partition");
    expect(moved).toMatchObject({ from: "OnlinePartition", to: "OnlinePartition", details: { election: "unclean", previousLeader: 2, leader: 1, isr: [1] } });
    expect(moved!.cause).toMatch(/^leader changed from broker 2 to 1, unclean election/);
  });

  it("report a fenced replica back online only once it rejoins the ISR after catching up", async () => {
    const { controller, events, pass, beat } = await startWithBrokers();
    const [created] = await controller.createTopics({
      topics: [{ name: "r", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0, 1] }], configs: [] }],
      validateOnly: false,
    });
    events.length = 0;
    await pass(SESSION_MS + 1000, [2]);
    expect(brief(events, "replica").filter((e) => e.startsWith("r-0@1"))).toEqual(["r-0@1: OnlineReplica -> OfflineReplica"]);
    expect(controller.image.partition("r", 0)!.isr).toEqual([0]);

    events.length = 0;
    await beat(1);
    expect(controller.image.isActiveBroker(1)).toBe(true);
    expect(brief(events, "replica")).toEqual([]);
    // Its leader (0) adds it once it has caught up.
    const p = controller.image.partition("r", 0)!;
    const [topic] = (
      await controller.alterPartition({
        version: 3,
        brokerId: 0,
        brokerEpoch: controller.brokerEpoch!,
        topics: [
          {
            topicName: "",
            topicId: created!.topicId,
            partitions: [
              {
                partitionIndex: 0,
                leaderEpoch: p.leaderEpoch,
                partitionEpoch: p.partitionEpoch,
                leaderRecoveryState: 0,
                newIsrWithEpochs: [0, 1].map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
              },
            ],
          },
        ],
      })
    ).topics;
    expect(topic!.partitions[0]!.errorCode).toBe(0);
    const online = events.filter((e) => e.machine === "replica");
    expect(online).toHaveLength(1);
    expect(online[0]).toMatchObject({ subject: "r-0@1", from: "OfflineReplica", to: "OnlineReplica", cause: "replica 1 rejoined the ISR after catching up", details: { isr: [0, 1] } });
  });
});
