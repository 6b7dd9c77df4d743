// Config changes reach the running partitions: a topic override and a dynamic broker config
// both change how new records are stamped (message.timestamp.type).
import { Kafka, logLevel, ConfigResourceTypes } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import { kcat, parseKcatJson } from "./helpers/run.ts";

let node: BrokerNode;
const kafka = () => new Kafka({ brokers: [node.bootstrap], logLevel: logLevel.NOTHING });

beforeAll(async () => {
  node = await BrokerNode.start();
});
afterAll(async () => {
  await node?.destroy();
});

async function lastTimestampType(topic: string): Promise<string | undefined> {
  await kcat(node.bootstrap, ["-P", "-t", topic, "-p", "0"], { input: "m\n" });
  const msgs = parseKcatJson((await kcat(node.bootstrap, ["-C", "-t", topic, "-p", "0", "-o", "-1", "-e", "-J"])).stdout);
  return msgs.at(-1)?.tstype;
}

describe("altering configs of a live cluster", () => {
  it("applies a topic override and a dynamic broker config to existing partitions", async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: "stamped", numPartitions: 1 }, { topic: "plain", numPartitions: 1 }] });
      expect(await lastTimestampType("stamped")).toBe("create");

      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: "stamped", configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }] }],
      });
      expect(await lastTimestampType("stamped")).toBe("logappend");
      expect(await lastTimestampType("plain")).toBe("create");

      // A dynamic broker config reaches topics without an override.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: "0", configEntries: [{ name: "log.message.timestamp.type", value: "LogAppendTime" }] }],
      });
      expect(await lastTimestampType("plain")).toBe("logappend");
      const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: "plain", configNames: ["message.timestamp.type"] }] });
      const entry = described.resources[0]!.configEntries[0]!;
      expect(entry.configValue).toBe("LogAppendTime");
      expect(entry.configSynonyms[0]).toMatchObject({ configName: "log.message.timestamp.type", configValue: "LogAppendTime", configSource: 2 });
    } finally {
      await admin.disconnect();
    }
  });
});
