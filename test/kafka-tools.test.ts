// Apache Kafka's own command-line tools (3.9, scripts/kafka-tool.sh) against one Samsa broker,
// run as operators run them: each test is one command line, asserting on its exit code and
// on what it prints, and where useful cross-checking the effect with kafkajs or the wire.
// Tools that need APIs Samsa does not serve yet are expected failures (it.fails), each
// checked to fail for that reason, so they turn red once the feature lands.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Admin, type Consumer, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { BrokerNode } from "./helpers/broker-node.ts";
import { committedOffsets, describeGroup, endOffsets, waitFor, withWire } from "./helpers/groups.ts";
import { parseConfigDescribe, parseResetOffsets, parseTable, parseTopicDescribe, shown, unsupported } from "./helpers/kafka-tools.ts";
import type { RunResult } from "./helpers/run.ts";

let node: BrokerNode;
let kafka: Kafka;
let admin: Admin;
let workDir: string;

beforeAll(async () => {
  // No initial rebalance delay, as Kafka's own test and quickstart setups (and apache-kafka.sh).
  node = await BrokerNode.start({ "group.initial.rebalance.delay.ms": "0" });
  kafka = new Kafka({ brokers: [node.bootstrap], clientId: "kafka-tools-test", logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  workDir = mkdtempSync(join(tmpdir(), "kafka-tools-"));
}, 90_000);

afterAll(async () => {
  await admin?.disconnect();
  await node?.destroy();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Runs a tool with --bootstrap-server pointing at the Samsa node. */
const tool = (name: string, ...args: string[]): Promise<RunResult> => ApacheKafka.tool(name, ["--bootstrap-server", node.bootstrap, ...args]);

function ok(r: RunResult): RunResult {
  expect(r.code, shown(r)).toBe(0);
  return r;
}

function failed(r: RunResult): string {
  expect(r.code, shown(r)).not.toBe(0);
  return `${r.stdout}\n${r.stderr}`;
}

/** Whether this node advertises an API at all (ApiVersions). */
async function serves(apiKey: number): Promise<boolean> {
  return withWire(node.bootstrap, async (c) => {
    try {
      c.version(apiKey as never, 0, 100);
      return true;
    } catch {
      return false;
    }
  });
}

async function partitionCount(topic: string): Promise<number> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]!.partitions.length;
}

describe("kafka-topics", () => {
  const topic = "tools-orders";
  let described: RunResult | undefined;

  it("--create with --partitions, --replication-factor 1 and --config", async () => {
    const r = ok(
      await tool("kafka-topics", "--create", "--topic", topic, "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=3600000", "--config", "cleanup.policy=compact"),
    );
    expect(r.stdout.trim()).toBe(`Created topic ${topic}.`);
    expect(await partitionCount(topic)).toBe(3);
    const [res] = (await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ["retention.ms", "cleanup.policy"] }], includeSynonyms: false })).resources;
    expect(Object.fromEntries(res!.configEntries.map((e) => [e.configName, e.configValue]))).toEqual({ "retention.ms": "3600000", "cleanup.policy": "compact" });
  });

  it("--list", async () => {
    const r = ok(await tool("kafka-topics", "--list"));
    expect(r.stdout.split("\n")).toContain(topic);
  });

  it("--describe prints partition count, leader, replicas, ISR and the topic's configs", async () => {
    const r = ok(await tool("kafka-topics", "--describe", "--topic", topic));
    described = r;
    const [t, ...rest] = parseTopicDescribe(r.stdout);
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ topic, partitionCount: 3, replicationFactor: 1, configs: { "retention.ms": "3600000", "cleanup.policy": "compact" } });
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(md.topics[0]!.partitions.length).toBe(3);
    expect(t!.partitions.map((p) => [p.partition, p.leader, p.replicas, p.isr])).toEqual([
      [0, "0", "0", "0"],
      [1, "0", "0", "0"],
      [2, "0", "0", "0"],
    ]);
  });

  // Kafka 3.9's TopicCommand describes through DescribeTopicPartitions (API 75) and prints the
  // (empty) eligible leader replicas as "Elr: " and "LastKnownElr: "; over Metadata (a broker
  // without that API) it would print "N/A".
  it("--describe prints ELR fields as Kafka does (DescribeTopicPartitions)", async () => {
    const [t] = parseTopicDescribe(described!.stdout); // the output of the test above
    expect(t!.partitions.map((p) => [p.elr, p.lastKnownElr])).toEqual([
      ["", ""],
      ["", ""],
      ["", ""],
    ]);
  });

  it("--alter --partitions adds partitions (CreatePartitions)", async () => {
    const r = ok(await tool("kafka-topics", "--alter", "--topic", topic, "--partitions", "5"));
    expect(r.stdout.trim()).toBe("");
    const md = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader]).sort()).toEqual([0, 1, 2, 3, 4].map((p) => [p, 0]));
  });

  it("--alter --partitions to fewer partitions fails with Kafka's message", async () => {
    const out = failed(await tool("kafka-topics", "--alter", "--topic", topic, "--partitions", "2"));
    expect(out).toContain(`InvalidPartitionsException: The topic ${topic} currently has 5 partition(s); 2 would not be an increase.`);
    expect(await partitionCount(topic)).toBe(5);
  });

  it("--create of an existing topic fails with TopicExistsException", async () => {
    const out = failed(await tool("kafka-topics", "--create", "--topic", topic, "--partitions", "1"));
    expect(out).toContain(`Error while executing topic command : Topic '${topic}' already exists.`);
    expect(out).toContain("org.apache.kafka.common.errors.TopicExistsException");
  });

  it("--describe of a missing topic fails", async () => {
    const out = failed(await tool("kafka-topics", "--describe", "--topic", "tools-no-such-topic"));
    expect(out).toContain("Topic 'Optional[tools-no-such-topic]' does not exist as expected");
  });

  it("--replication-factor 3 on one broker fails with Kafka's message", async () => {
    const out = failed(await tool("kafka-topics", "--create", "--topic", "tools-rf3", "--partitions", "1", "--replication-factor", "3"));
    expect(out).toContain(
      "InvalidReplicationFactorException: Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.",
    );
    expect((await admin.listTopics()).includes("tools-rf3")).toBe(false);
  });

  it("--delete", async () => {
    await admin.createTopics({ topics: [{ topic: "tools-doomed", numPartitions: 2 }] });
    const r = ok(await tool("kafka-topics", "--delete", "--topic", "tools-doomed"));
    expect(r.stdout.trim()).toBe("");
    await waitFor("tools-doomed gone", async () => !(await admin.listTopics()).includes("tools-doomed"));
  });
});

describe("kafka-configs", () => {
  const topic = "tools-configs";
  const topicArgs = ["--entity-type", "topics", "--entity-name", topic];
  const brokerArgs = ["--entity-type", "brokers", "--entity-name", "0"];
  const defaultArgs = ["--entity-type", "brokers", "--entity-default"];

  beforeAll(async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  });

  it("--alter --add-config on a topic", async () => {
    const r = ok(await tool("kafka-configs", ...topicArgs, "--alter", "--add-config", "retention.ms=1000,segment.bytes=1048576"));
    expect(r.stdout.trim()).toBe(`Completed updating config for topic ${topic}.`);
    const [res] = (await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ["retention.ms", "segment.bytes"] }], includeSynonyms: false })).resources;
    expect(Object.fromEntries(res!.configEntries.map((e) => [e.configName, e.configValue]))).toEqual({ "retention.ms": "1000", "segment.bytes": "1048576" });
  });

  it("--describe of a topic lists its overrides with synonyms", async () => {
    const { heading, configs } = parseConfigDescribe(ok(await tool("kafka-configs", ...topicArgs, "--describe")).stdout);
    expect(heading).toBe(`Dynamic configs for topic ${topic} are:`);
    expect(Object.keys(configs).sort()).toEqual(["retention.ms", "segment.bytes"]);
    expect(configs["segment.bytes"]).toEqual({
      value: "1048576",
      sensitive: false,
      synonyms: ["DYNAMIC_TOPIC_CONFIG:segment.bytes=1048576", "DEFAULT_CONFIG:log.segment.bytes=1073741824"],
    });
    expect(configs["retention.ms"]!.synonyms[0]).toBe("DYNAMIC_TOPIC_CONFIG:retention.ms=1000");
  });

  it("--alter --delete-config on a topic", async () => {
    const r = ok(await tool("kafka-configs", ...topicArgs, "--alter", "--delete-config", "retention.ms"));
    expect(r.stdout.trim()).toBe(`Completed updating config for topic ${topic}.`);
    const { configs } = parseConfigDescribe(ok(await tool("kafka-configs", ...topicArgs, "--describe")).stdout);
    expect(Object.keys(configs)).toEqual(["segment.bytes"]);
  });

  it("--describe --all of a topic lists every topic config with its effective value", async () => {
    const { heading, configs } = parseConfigDescribe(ok(await tool("kafka-configs", ...topicArgs, "--describe", "--all")).stdout);
    expect(heading).toBe(`All configs for topic ${topic} are:`);
    expect(configs["segment.bytes"]!.value).toBe("1048576");
    expect(configs["retention.ms"]).toMatchObject({ value: "604800000" });
    expect(configs["cleanup.policy"]).toEqual({ value: "delete", sensitive: false, synonyms: ["DEFAULT_CONFIG:log.cleanup.policy=delete"] });
    expect(configs["max.message.bytes"]!.value).toBe("1048588");
    expect(configs["min.insync.replicas"]!.value).toBe("1");
    // Every topic config kafka-topics --config accepts on Kafka 3.9 and that Samsa honours or describes.
    for (const name of ["compression.type", "delete.retention.ms", "message.timestamp.type", "min.compaction.lag.ms", "segment.ms", "unclean.leader.election.enable"]) {
      expect(configs, name).toHaveProperty([name]);
    }
  });

  it("--alter --add-config on a broker", async () => {
    const r = ok(await tool("kafka-configs", ...brokerArgs, "--alter", "--add-config", "log.retention.ms=7200000"));
    expect(r.stdout.trim()).toBe("Completed updating config for broker 0.");
  });

  it("--describe of a broker lists its dynamic configs", async () => {
    const { heading, configs } = parseConfigDescribe(ok(await tool("kafka-configs", ...brokerArgs, "--describe")).stdout);
    expect(heading).toBe("Dynamic configs for broker 0 are:");
    expect(Object.keys(configs)).toEqual(["log.retention.ms"]);
    expect(configs["log.retention.ms"]).toMatchObject({ value: "7200000", synonyms: expect.arrayContaining(["DYNAMIC_BROKER_CONFIG:log.retention.ms=7200000"]) });
  });

  it("--describe --all of a broker lists static and default configs too", async () => {
    const { heading, configs } = parseConfigDescribe(ok(await tool("kafka-configs", ...brokerArgs, "--describe", "--all")).stdout);
    expect(heading).toBe("All configs for broker 0 are:");
    expect(configs["log.retention.ms"]!.value).toBe("7200000");
    expect(configs["group.initial.rebalance.delay.ms"]).toMatchObject({ value: "0", synonyms: ["STATIC_BROKER_CONFIG:group.initial.rebalance.delay.ms=0", "DEFAULT_CONFIG:group.initial.rebalance.delay.ms=3000"] });
    expect(configs["num.partitions"]).toMatchObject({ value: "1", synonyms: ["DEFAULT_CONFIG:num.partitions=1"] });
    expect(configs["node.id"]!.value).toBe("0");
  });

  it("--alter --add-config on the cluster-wide broker default", async () => {
    const r = ok(await tool("kafka-configs", ...defaultArgs, "--alter", "--add-config", "log.retention.ms=3600000,log.cleaner.backoff.ms=20000"));
    expect(r.stdout.trim()).toBe("Completed updating default config for brokers in the cluster.");
  });

  it("--describe of the broker default lists the dynamic defaults, whatever the broker overrides", async () => {
    // Broker 0's own log.retention.ms (7200000) wins on the broker, not in the default resource.
    const { heading, configs } = parseConfigDescribe(ok(await tool("kafka-configs", ...defaultArgs, "--describe")).stdout);
    expect(heading).toBe("Default configs for brokers in the cluster are:");
    expect(configs).toEqual({
      "log.cleaner.backoff.ms": { value: "20000", sensitive: false, synonyms: ["DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.backoff.ms=20000"] },
      "log.retention.ms": { value: "3600000", sensitive: false, synonyms: ["DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=3600000"] },
    });
    // --all adds nothing: the default resource holds only what was set on it.
    const all = parseConfigDescribe(ok(await tool("kafka-configs", ...defaultArgs, "--describe", "--all")).stdout);
    expect(all.configs).toEqual(configs);
  });

  it("--alter --delete-config on the broker and the default; the broker then resolves no dynamic config", async () => {
    ok(await tool("kafka-configs", ...brokerArgs, "--alter", "--delete-config", "log.retention.ms"));
    ok(await tool("kafka-configs", ...defaultArgs, "--alter", "--delete-config", "log.retention.ms,log.cleaner.backoff.ms"));
    // kafkajs refuses the "" resource name: ask over the wire.
    const { results } = await withWire(node.bootstrap, (c) =>
      c.request(ApiKey.DescribeConfigs, 4, {
        resources: [
          { resourceType: 4, resourceName: "0", configurationKeys: ["log.retention.ms"] },
          { resourceType: 4, resourceName: "", configurationKeys: null },
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      }),
    );
    expect(results[0]!.configs).toMatchObject([{ name: "log.retention.ms", value: null, configSource: 5 /* DEFAULT_CONFIG */ }]);
    expect(results[1]).toMatchObject({ errorCode: 0, resourceName: "", configs: [] });
  });
});

describe("kafka-console-producer and kafka-console-consumer", () => {
  const topic = "tools-console";
  const group = "tools-console-group";

  beforeAll(async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
  });

  it("kafka-console-producer with parse.key and key.separator", async () => {
    const r = await ApacheKafka.tool(
      "kafka-console-producer",
      ["--bootstrap-server", node.bootstrap, "--topic", topic, "--property", "parse.key=true", "--property", "key.separator=:"],
      { input: "k1:v1\nk2:v2\nk1:v3\nk3:v4\n" },
    );
    ok(r);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(4);
  });

  it("kafka-console-consumer --from-beginning --max-messages 4 --group", async () => {
    const r = ok(
      await tool(
        "kafka-console-consumer", "--topic", topic, "--from-beginning", "--max-messages", "4", "--group", group,
        "--property", "print.key=true", "--property", "key.separator=|", "--property", "print.partition=true", "--property", "print.offset=true",
      ),
    );
    expect(r.stderr).toContain("Processed a total of 4 messages");
    const records = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("Partition:"))
      .map((l) => {
        const [p, o, key, value] = l.split("|");
        return { partition: Number(p!.slice("Partition:".length)), offset: Number(o!.slice("Offset:".length)), key, value };
      });
    expect(records.map((x) => `${x.key}=${x.value}`).sort()).toEqual(["k1=v1", "k1=v3", "k2=v2", "k3=v4"]);
    // One key, one partition, in order.
    const k1 = records.filter((x) => x.key === "k1");
    expect(k1[0]!.partition).toBe(k1[1]!.partition);
    expect(k1.map((x) => x.value)).toEqual(["v1", "v3"]);
    // The group committed what it consumed.
    expect(await committedOffsets(node.bootstrap, group, topic, 2)).toEqual(await endOffsets(node.bootstrap, topic, 2));
  });
});

describe("kafka-consumer-groups", () => {
  const topic = "tools-groups";
  const group = "tools-group";
  const live = "tools-live-group";
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [0, 0, 0, 1, 1].map((partition, i) => ({ partition, value: `m${i}` })) });
    await producer.disconnect();
    // Group "tools-group" committed 2 of 3 on partition 0 and 1 of 2 on partition 1; no members.
    await admin.setOffsets({ groupId: group, topic, partitions: [{ partition: 0, offset: "2" }, { partition: 1, offset: "1" }] });
  }, 60_000);

  afterAll(async () => {
    await consumer?.disconnect();
  });

  it("--list", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--list"));
    expect(r.stdout.split("\n")).toContain(group);
  });

  it("--describe prints offsets, log-end offsets and lag per partition", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--describe", "--group", group));
    expect(r.stderr).toContain(`Consumer group '${group}' has no active members.`);
    const rows = parseTable(r.stdout, "GROUP").sort((a, b) => Number(a.PARTITION) - Number(b.PARTITION));
    expect(rows).toEqual([
      { GROUP: group, TOPIC: topic, PARTITION: "0", "CURRENT-OFFSET": "2", "LOG-END-OFFSET": "3", LAG: "1", "CONSUMER-ID": "-", HOST: "-", "CLIENT-ID": "-" },
      { GROUP: group, TOPIC: topic, PARTITION: "1", "CURRENT-OFFSET": "1", "LOG-END-OFFSET": "2", LAG: "1", "CONSUMER-ID": "-", HOST: "-", "CLIENT-ID": "-" },
    ]);
  });

  it("--describe --state of an empty group", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--describe", "--group", group, "--state"));
    // COORDINATOR (ID) holds a space and ASSIGNMENT-STRATEGY is empty: match the row itself.
    expect(r.stdout).toMatch(new RegExp(`^${group}\\s+127\\.0\\.0\\.1:${node.port}\\s+\\(0\\)\\s+Empty\\s+0\\s*$`, "m"));
  });

  describe("with a live member", () => {
    beforeAll(async () => {
      consumer = kafka.consumer({ groupId: live, sessionTimeout: 10_000 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: true, autoCommitInterval: 100, eachMessage: async () => {} });
      await waitFor("live group Stable with one member", async () => {
        const g = await describeGroup(node.bootstrap, live);
        return g.state === "Stable" && g.members.length === 1;
      });
    }, 60_000);

    it("--describe --members --verbose lists the member and its assignment", async () => {
      const r = ok(await tool("kafka-consumer-groups", "--describe", "--group", live, "--members", "--verbose"));
      const g = await describeGroup(node.bootstrap, live);
      const rows = parseTable(r.stdout, "GROUP");
      expect(rows).toEqual([
        {
          GROUP: live,
          "CONSUMER-ID": g.members[0]!.memberId,
          HOST: g.members[0]!.clientHost,
          "CLIENT-ID": "kafka-tools-test",
          "#PARTITIONS": "2",
          // Kafka 3.9's tool prints the partitions without their topic.
          ASSIGNMENT: "(0,1)",
        },
      ]);
    });

    it("--describe --state of a stable group", async () => {
      const r = ok(await tool("kafka-consumer-groups", "--describe", "--group", live, "--state"));
      const g = await describeGroup(node.bootstrap, live);
      expect(r.stdout).toMatch(new RegExp(`^${live}\\s+127\\.0\\.0\\.1:${node.port}\\s+\\(0\\)\\s+${g.protocol}\\s+Stable\\s+1\\s*$`, "m"));
    });

    it("--describe shows the member against each partition", async () => {
      await waitFor("live group committed to the end", async () => {
        const c = await committedOffsets(node.bootstrap, live, topic, 2);
        return c[0] === 3 && c[1] === 2;
      });
      const r = ok(await tool("kafka-consumer-groups", "--describe", "--group", live));
      const g = await describeGroup(node.bootstrap, live);
      const rows = parseTable(r.stdout, "GROUP").sort((a, b) => Number(a.PARTITION) - Number(b.PARTITION));
      expect(rows.map((x) => [x.PARTITION, x["CURRENT-OFFSET"], x["LOG-END-OFFSET"], x.LAG, x["CONSUMER-ID"], x["CLIENT-ID"]])).toEqual([
        ["0", "3", "3", "0", g.members[0]!.memberId, "kafka-tools-test"],
        ["1", "2", "2", "0", g.members[0]!.memberId, "kafka-tools-test"],
      ]);
    });

    it("--reset-offsets refuses an active group", async () => {
      const r = await tool("kafka-consumer-groups", "--reset-offsets", "--group", live, "--topic", topic, "--to-earliest", "--execute");
      expect(`${r.stdout}\n${r.stderr}`).toContain(`Assignments can only be reset if the group '${live}' is inactive, but the current state is Stable.`);
      expect(await committedOffsets(node.bootstrap, live, topic, 2)).toEqual([3, 2]);
    });
  });

  it("--reset-offsets --to-earliest --dry-run changes nothing", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--dry-run"));
    expect(parseResetOffsets(r.stdout)).toEqual([
      { group, topic, partition: 0, offset: 0 },
      { group, topic, partition: 1, offset: 0 },
    ]);
    expect(await committedOffsets(node.bootstrap, group, topic, 2)).toEqual([2, 1]);
  });

  it("--reset-offsets --to-earliest --execute", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute"));
    expect(parseResetOffsets(r.stdout).map((x) => x.offset)).toEqual([0, 0]);
    expect(await committedOffsets(node.bootstrap, group, topic, 2)).toEqual([0, 0]);
  });

  it("--reset-offsets --to-offset on one partition", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--reset-offsets", "--group", group, "--topic", `${topic}:0`, "--to-offset", "2", "--execute"));
    expect(parseResetOffsets(r.stdout)).toEqual([{ group, topic, partition: 0, offset: 2 }]);
    expect(await committedOffsets(node.bootstrap, group, topic, 2)).toEqual([2, 0]);
  });

  it("--reset-offsets --shift-by", async () => {
    // Shifting past the log end stops at the log end; before the start, at the start.
    const r = ok(await tool("kafka-consumer-groups", "--reset-offsets", "--group", group, "--topic", topic, "--shift-by", "5", "--execute"));
    expect(parseResetOffsets(r.stdout).map((x) => x.offset)).toEqual([3, 2]);
    expect(await committedOffsets(node.bootstrap, group, topic, 2)).toEqual([3, 2]);
    const back = ok(await tool("kafka-consumer-groups", "--reset-offsets", "--group", group, "--topic", topic, "--shift-by", "-2", "--execute"));
    expect(parseResetOffsets(back.stdout).map((x) => x.offset)).toEqual([1, 0]);
    expect(await committedOffsets(node.bootstrap, group, topic, 2)).toEqual([1, 0]);
  });

  it("--delete-offsets of one partition", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--delete-offsets", "--group", group, "--topic", `${topic}:0`));
    expect(r.stdout).toContain(`Request succeed for deleting offsets with topic ${topic}:0 group ${group}`);
    expect(r.stdout).toMatch(new RegExp(`${topic}\\s+0\\s+Successful`));
    expect(await committedOffsets(node.bootstrap, group, topic, 2)).toEqual([-1, 0]);
  });

  it("--delete of an empty group, then of a missing group", async () => {
    const r = ok(await tool("kafka-consumer-groups", "--delete", "--group", group));
    expect(r.stdout).toContain(`Deletion of requested consumer groups ('${group}') was successful.`);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(group);
    const again = await tool("kafka-consumer-groups", "--delete", "--group", group);
    expect(`${again.stdout}\n${again.stderr}`).toContain("GroupIdNotFoundException: The group id does not exist.");
  });
});

describe("kafka-get-offsets", () => {
  const topic = "tools-offsets";

  beforeAll(async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [0, 0, 0, 0, 1].map((partition, i) => ({ partition, value: `m${i}` })) });
    await producer.disconnect();
    const deleted = await withWire(node.bootstrap, (c) =>
      c.request(ApiKey.DeleteRecords, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 3n }] }], timeoutMs: 10_000 }),
    );
    expect(deleted.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 3n });
  }, 60_000);

  const parse = (stdout: string) => stdout.trim().split("\n").sort();

  it("--time -1 prints each partition's log end offset", async () => {
    const r = ok(await tool("kafka-get-offsets", "--topic", topic, "--time", "-1"));
    expect(parse(r.stdout)).toEqual([`${topic}:0:4`, `${topic}:1:1`]);
  });

  it("--time -2 prints each partition's log start offset", async () => {
    const r = ok(await tool("kafka-get-offsets", "--topic", topic, "--time", "-2"));
    expect(parse(r.stdout)).toEqual([`${topic}:0:3`, `${topic}:1:0`]);
  });
});

describe("perf tests", () => {
  const topic = "tools-perf";

  it("kafka-producer-perf-test sends the records it reports", async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const r = ok(
      await ApacheKafka.tool("kafka-producer-perf-test", [
        "--topic", topic, "--num-records", "300", "--record-size", "100", "--throughput", "-1",
        "--producer-props", `bootstrap.servers=${node.bootstrap}`, "acks=all",
      ]),
    );
    expect(r.stdout).toMatch(/^300 records sent, [\d.]+ records\/sec/m);
    expect((await endOffsets(node.bootstrap, topic, 2)).reduce((a, b) => a + b, 0)).toBe(300);
  });

  it("kafka-consumer-perf-test consumes them", async () => {
    const r = ok(await tool("kafka-consumer-perf-test", "--topic", topic, "--messages", "300", "--timeout", "30000"));
    const lines = r.stdout.trim().split("\n");
    const header = lines.findIndex((l) => l.startsWith("start.time"));
    expect(header, shown(r)).toBeGreaterThanOrEqual(0);
    const cols = lines[header]!.split(", ");
    const values = lines[header + 1]!.split(", ");
    const row = Object.fromEntries(cols.map((c, i) => [c, values[i]]));
    expect(Number(row["data.consumed.in.nMsg"])).toBe(300);
    expect(Number(row["data.consumed.in.MB"])).toBeCloseTo((300 * 100) / (1024 * 1024), 3);
  });
});

// Tools whose APIs Samsa does not serve yet. Each runs the real command line and asserts what
// Apache Kafka prints; it fails today, and must fail for the missing API: if it fails for any
// other reason the body returns normally, so it.fails reports it.
describe("tools needing features Samsa has not built", () => {
  const topic = "tools-missing";

  beforeAll(async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  });

  // ElectLeaders (API 43): the only replica already leads.
  it("kafka-leader-election --election-type preferred", async () => {
    const r = await tool("kafka-leader-election", "--election-type", "preferred", "--topic", topic, "--partition", "0");
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toContain(`Valid replica already elected for partitions ${topic}-0`);
  });

  it("kafka-reassign-partitions --generate (metadata only) proposes a plan", async () => {
    const topicsFile = join(workDir, "topics.json");
    writeFileSync(topicsFile, JSON.stringify({ version: 1, topics: [{ topic }] }));
    const r = ok(await tool("kafka-reassign-partitions", "--generate", "--topics-to-move-json-file", topicsFile, "--broker-list", "0"));
    const json = r.stdout.split("\n").filter((l) => l.startsWith("{"));
    expect(json).toHaveLength(2);
    const plan = { version: 1, partitions: [{ topic, partition: 0, replicas: [0], log_dirs: ["any"] }] };
    expect(JSON.parse(json[0]!)).toEqual(plan);
    expect(JSON.parse(json[1]!)).toEqual(plan);
  });

  // ListPartitionReassignments (46) and AlterPartitionReassignments (45), served since issue 11.
  it("kafka-reassign-partitions --execute then --verify", async () => {
    const planFile = join(workDir, "plan.json");
    writeFileSync(planFile, JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: [0] }] }));
    const r = await tool("kafka-reassign-partitions", "--execute", "--reassignment-json-file", planFile);
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toContain(`Successfully started partition reassignment for ${topic}-0`);
    const v = ok(await tool("kafka-reassign-partitions", "--verify", "--reassignment-json-file", planFile));
    expect(v.stdout).toContain(`Reassignment of partition ${topic}-0 is completed.`);
  });

  // DescribeQuorum (55).
  it("kafka-metadata-quorum describe --status", async () => {
    const r = await tool("kafka-metadata-quorum", "describe", "--status");
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toMatch(/^LeaderId:\s+0$/m);
    expect(r.stdout).toMatch(/^CurrentVoters:\s+\[\{"id": 0,/m);
  });

  // DescribeQuorum (55).
  it("kafka-metadata-quorum describe --replication", async () => {
    const r = await tool("kafka-metadata-quorum", "describe", "--replication");
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout).toMatch(/^0\s+\S+\s+\d+\s+0\s+\d+\s+\d+\s+Leader\s*$/m);
  });

  // CreateAcls (30) and DescribeAcls (29), and an authorizer (authorizer.class.name); without
  // one Kafka answers SECURITY_DISABLED ("No Authorizer is configured on the broker").
  it.fails("kafka-acls --add then --list", async () => {
    const add = await tool("kafka-acls", "--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", topic);
    if (add.code !== 0 && !unsupported(add, "CREATE_ACLS")) return;
    expect(add.code, shown(add)).toBe(0);
    const list = ok(await tool("kafka-acls", "--list", "--topic", topic));
    expect(list.stdout).toContain("(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)");
  });

  // ListTransactions (66).
  it.fails("kafka-transactions list", async () => {
    const r = await tool("kafka-transactions", "list");
    if (r.code !== 0 && !unsupported(r, "LIST_TRANSACTIONS")) return;
    expect(r.code, shown(r)).toBe(0);
    expect(r.stdout.split("\n")[0]!.split("\t").filter((s) => s !== "")).toEqual(["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]);
  });

  // DescribeTransactions (65). The admin client retries its FindCoordinator step until the API
  // timeout instead of reporting the missing API, so the reason is checked with ApiVersions and
  // the timeouts are short.
  it.fails("kafka-transactions describe --transactional-id", async () => {
    const props = join(workDir, "admin.properties");
    writeFileSync(props, "default.api.timeout.ms=4000\nrequest.timeout.ms=3000\n");
    const r = await tool("kafka-transactions", "--command-config", props, "describe", "--transactional-id", "tools-no-such-txn");
    // Kafka: exit 1, "DescribeTransactions request for transactionalId `tools-no-such-txn` failed because the ID could not be found."
    const found = r.code !== 0 && `${r.stdout}\n${r.stderr}`.includes("request for transactionalId `tools-no-such-txn` failed because the ID could not be found");
    if (!found && (await serves(ApiKey.DescribeTransactions))) return;
    expect(found, shown(r)).toBe(true);
  });
});
