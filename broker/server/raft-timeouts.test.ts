import { describe, expect, it } from "vitest";
import { BrokerConfig } from "../config/broker-config.ts";
import { raftTimeouts } from "./raft-metadata-layer.ts";

describe("the Raft client's timings come from Kafka's controller.quorum.* configs", () => {
  it("uses Kafka's defaults", () => {
    expect(raftTimeouts(new BrokerConfig(new Map()))).toMatchObject({ electionTimeoutMs: 1000, electionBackoffMaxMs: 1000, fetchTimeoutMs: 2000, requestTimeoutMs: 2000, retryBackoffMs: 20 });
  });

  it("takes each one from the config, and DescribeConfigs knows them", () => {
    const config = new BrokerConfig(
      new Map([
        ["controller.quorum.election.timeout.ms", "250"],
        ["controller.quorum.election.backoff.max.ms", "300"],
        ["controller.quorum.fetch.timeout.ms", "800"],
      ]),
    );
    expect(raftTimeouts(config)).toMatchObject({ electionTimeoutMs: 250, electionBackoffMaxMs: 300, fetchTimeoutMs: 800, fetchMaxWaitMs: 400 });
    expect(config.describeBrokerConfig("controller.quorum.election.timeout.ms")?.value).toBe("250");
  });

  it("refuses a value that is not a non-negative integer", () => {
    expect(() => raftTimeouts(new BrokerConfig(new Map([["controller.quorum.election.timeout.ms", "soon"]])))).toThrow(/controller\.quorum\.election\.timeout\.ms/);
  });
});
