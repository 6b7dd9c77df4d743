import { describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { replicationDefaults } from "../cluster/local-cluster.ts";
import { STATE_CHANGES_TOPIC } from "../events/state-change.ts";
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, internalTopicSpec } from "./internal-topics.ts";

const INTERNAL = [CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, STATE_CHANGES_TOPIC];

describe("internal topics' replication", () => {
  it("uses each configured factor when enough brokers are alive", () => {
    const config = new BrokerConfig(
      new Map([
        ["offsets.topic.replication.factor", "3"],
        ["transaction.state.log.replication.factor", "2"],
        ["state.change.log.replication.factor", "4"],
      ]),
    );
    expect(INTERNAL.map((t) => internalTopicSpec(t, config, 5).replicationFactor)).toEqual([3, 2, 4]);
  });

  it("caps each factor at the brokers alive at first creation", () => {
    const config = new BrokerConfig(new Map());
    expect(INTERNAL.map((t) => internalTopicSpec(t, config, 2).replicationFactor)).toEqual([2, 2, 2]);
    expect(INTERNAL.map((t) => internalTopicSpec(t, config, 1).replicationFactor)).toEqual([1, 1, 1]);
  });
});

describe("the bundled cluster's replication defaults", () => {
  const defaults = (nodes: number) => new BrokerConfig(new Map(replicationDefaults(nodes)));

  it("three or more nodes: three replicas of everything, two in sync required", () => {
    for (const nodes of [3, 5]) {
      const config = defaults(nodes);
      expect(config.int("default.replication.factor")).toBe(3);
      expect(config.int("min.insync.replicas")).toBe(2);
      expect(config.int("transaction.state.log.min.isr")).toBe(2);
      expect(INTERNAL.map((t) => internalTopicSpec(t, config, nodes).replicationFactor)).toEqual([3, 3, 3]);
    }
  });

  it("fewer nodes: one replica per node and a min ISR of 1", () => {
    for (const nodes of [1, 2]) {
      const config = defaults(nodes);
      expect(config.int("default.replication.factor")).toBe(nodes);
      expect(config.int("min.insync.replicas")).toBe(1);
      expect(config.int("transaction.state.log.min.isr")).toBe(1);
      expect(INTERNAL.map((t) => internalTopicSpec(t, config, nodes).replicationFactor)).toEqual([nodes, nodes, nodes]);
    }
  });
});
