import { describe, expect, it } from "vitest";
import { BrokerConfig, parseListeners } from "./broker-config.ts";
import { ConfigSource } from "./config-types.ts";
import { topicConfigDef, validateTopicConfigs } from "./topic-config.ts";
import { parseProperties } from "./properties.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

describe("server.properties", () => {
  it("parses separators, comments, continuations and escapes", () => {
    const p = parseProperties("# c\n! c\nnode.id=1\nlog.dirs : /a,\\\n  /b\nkey\\ with\\ space value\nempty=\nx\\u0041=y\\n");
    expect(p.get("node.id")).toBe("1");
    expect(p.get("log.dirs")).toBe("/a,/b");
    expect(p.get("key with space")).toBe("value");
    expect(p.get("empty")).toBe("");
    expect(p.get("xA")).toBe("y\n");
  });

  it("parses listeners", () => {
    expect(parseListeners("PLAINTEXT://:9092, controller://[::1]:9093")).toEqual([
      { name: "PLAINTEXT", host: "", port: 9092 },
      { name: "CONTROLLER", host: "::1", port: 9093 },
    ]);
    expect(() => parseListeners("9092")).toThrow(/NAME:\/\/host:port/);
  });
});

describe("BrokerConfig", () => {
  it("resolves topic configs through Kafka's synonyms, with units converted", () => {
    const cfg = new BrokerConfig(new Map([["log.retention.minutes", "10"]]));
    const entry = cfg.describeTopicConfig(topicConfigDef("retention.ms")!, new Map());
    expect(entry.value).toBe("600000");
    expect(entry.source).toBe(ConfigSource.STATIC_BROKER_CONFIG);
    // Defaults are listed only for the primary synonym (log.retention.ms, which has none).
    expect(entry.synonyms).toEqual([{ name: "log.retention.minutes", value: "10", source: ConfigSource.STATIC_BROKER_CONFIG }]);
    const cleanup = cfg.describeTopicConfig(topicConfigDef("cleanup.policy")!, new Map());
    expect(cleanup.synonyms).toEqual([{ name: "log.cleanup.policy", value: "delete", source: ConfigSource.DEFAULT_CONFIG }]);
    const own = cfg.describeTopicConfig(topicConfigDef("retention.ms")!, new Map([["retention.ms", "5"]]));
    expect(own).toMatchObject({ value: "5", source: ConfigSource.TOPIC_CONFIG });
    expect(cfg.describeTopicConfig(topicConfigDef("segment.ms")!, new Map()).value).toBe(String(168 * 3_600_000));
  });

  it("prefers dynamic broker configs over static ones", () => {
    const cfg = new BrokerConfig(new Map([["log.retention.ms", "1000"]]));
    cfg.setDynamic(new Map([["log.retention.ms", "2000"]]), new Map([["log.retention.ms", "3000"]]));
    expect(cfg.topicConfig(new Map()).get("retention.ms")).toBe("2000");
    expect(cfg.describeBrokerConfig("log.retention.ms")?.source).toBe(ConfigSource.DYNAMIC_BROKER_CONFIG);
  });

  it("rejects invalid static values and unknown or invalid topic configs with INVALID_CONFIG", () => {
    expect(() => new BrokerConfig(new Map([["num.partitions", "x"]]))).toThrow(/num.partitions/);
    for (const bad of [["retention.mss", "1"], ["cleanup.policy", "destroy"], ["segment.bytes", "1"], ["min.insync.replicas", "0"]]) {
      try {
        validateTopicConfigs(new Map([bad as [string, string]]));
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(KafkaError);
        expect((e as KafkaError).code).toBe(ErrorCode.INVALID_CONFIG);
      }
    }
    expect(() => validateTopicConfigs(new Map([["cleanup.policy", "compact,delete"]]))).not.toThrow();
  });
});
