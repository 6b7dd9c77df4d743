// `samsa reassign` (issue 11), Kafka's kafka-reassign-partitions workflow, on a real
// three-node cluster: a plan written by --generate and run by --execute; --list and --verify
// while a target broker is SIGSTOPped (still in progress), --verify once it is resumed
// (completed); --cancel restoring the original replicas; the errors (bad JSON, unknown topic,
// unknown partition, the controller's INVALID_REPLICA_ASSIGNMENT by name, a bad command line);
// the real `samsa reassign` command, and Kafka's own tool reading the cluster into the same JSON.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReassign } from "../broker/cli/reassign.ts";
import { ApiKey } from "../broker/protocol/generated/apis.ts";
import { ZERO_UUID } from "../broker/protocol/generated/support.ts";
import { ApacheKafka } from "./helpers/apache-kafka.ts";
import { TestCluster } from "./helpers/cluster-nodes.ts";
import { waitFor, withWire } from "./helpers/groups.ts";
import { describeRun, kcat, run, type RunResult } from "./helpers/run.ts";

const SAMSA = fileURLToPath(new URL("../bin/samsa.js", import.meta.url));
let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  cluster = await TestCluster.start(3);
  dir = mkdtempSync(join(tmpdir(), "samsa-reassign-"));
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * `samsa reassign --bootstrap-server <broker 1> ...args`, run in this process (a broker-only
 * node: the requests are forwarded). One test runs the real command, for its registration and
 * exit code; the others call it here, where a process start costs seconds on a loaded machine.
 */
async function reassign(...args: string[]): Promise<RunResult> {
  const out = new Captured();
  const err = new Captured();
  const code = await runReassign(["--bootstrap-server", cluster.node(1).bootstrap, ...args], out, err);
  return { code, signal: null, stdout: out.text, stderr: err.text };
}

class Captured extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function ok(r: RunResult): RunResult {
  expect(r.code, describeRun(r)).toBe(0);
  return r;
}

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** The JSON lines of the tool's output (Kafka prints each plan on one line). */
const jsonLines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { version: number; partitions: { topic: string; partition: number; replicas: number[]; log_dirs: string[] }[] });

async function createTopic(topic: string, assignments: number[][]): Promise<void> {
  await withWire(cluster.node(1).bootstrap, async (c) => {
    const r = await c.request(ApiKey.CreateTopics, 5, {
      topics: [{ name: topic, numPartitions: -1, replicationFactor: -1, assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })), configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(r.topics[0]!.errorCode, r.topics[0]!.errorMessage ?? "").toBe(0);
  });
  await waitFor(`${topic} has leaders`, async () => {
    const ps = await partitionsOf(topic);
    return ps.length === assignments.length && ps.every((p) => p.leader >= 0);
  });
  const produced = await kcat(cluster.bootstrap, ["-P", "-t", topic, "-X", "acks=all"], { input: Array.from({ length: 50 }, (_, i) => `v${i}`).join("\n") });
  expect(produced.code, describeRun(produced)).toBe(0);
}

/** Each partition's replicas and leader as broker 1's metadata has them. */
async function partitionsOf(topic: string): Promise<{ replicas: number[]; leader: number }[]> {
  const md = await withWire(cluster.node(1).bootstrap, (c) => c.request(ApiKey.Metadata, 12, { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }));
  const t = md.topics[0]!;
  return t.errorCode !== 0 ? [] : [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => ({ replicas: p.replicaNodes, leader: p.leaderId }));
}

/** Waits until broker 1's metadata has these replicas (it follows the controller's commit shortly after). */
const hasReplicas = (topic: string, replicas: number[][]) =>
  waitFor(`${topic} on ${JSON.stringify(replicas)}`, async () => {
    const now = await partitionsOf(topic);
    if (JSON.stringify(now.map((p) => p.replicas)) !== JSON.stringify(replicas)) throw new Error(`partitions ${JSON.stringify(now)}`);
    return true;
  });

/**
 * The throttled-replicas configs of a topic, "" where unset. (The brokers' rates are not read
 * back: Samsa's DescribeConfigs lists only the broker configs it defines, and the rates are
 * not among them yet; IncrementalAlterConfigs accepting them is what the tool checks.)
 */
async function throttles(topic: string) {
  const res = await withWire(cluster.node(1).bootstrap, (c) =>
    c.request(ApiKey.DescribeConfigs, 4, {
      resources: [
{ resourceType: 2, resourceName: topic, configurationKeys: ["leader.replication.throttled.replicas", "follower.replication.throttled.replicas"] }],
      includeSynonyms: false,
      includeDocumentation: false,
    }),
  );
  const value = (name: string) => res.results[0]!.configs.find((c) => c.name === name)?.value ?? "";
  return `leader ${value("leader.replication.throttled.replicas")}; follower ${value("follower.replication.throttled.replicas")}`;
}

const NO_THROTTLES = "leader ; follower ";

describe("samsa reassign", () => {
  it("--generate writes a plan for brokers 1,2 that --execute runs and --verify reports completed", async () => {
    const topic = "spread";
    await createTopic(topic, [[0, 1], [1, 0], [0, 1]]);
    const topics = file("topics.json", { version: 1, topics: [{ topic }] });
    const gen = ok(await reassign("--generate", "--topics-to-move-json-file", topics, "--broker-list", "1,2"));
    expect(gen.stdout).toMatch(/^Current partition replica assignment\n\{.*\}\n\nProposed partition reassignment configuration\n\{.*\}\n$/);
    const [current, proposed] = jsonLines(gen.stdout);
    expect(current).toEqual({
      version: 1,
      partitions: [
        { topic, partition: 0, replicas: [0, 1], log_dirs: ["any", "any"] },
        { topic, partition: 1, replicas: [1, 0], log_dirs: ["any", "any"] },
        { topic, partition: 2, replicas: [0, 1], log_dirs: ["any", "any"] },
      ],
    });
    // Striped over {1,2} at the topic's replication factor: both brokers hold every partition,
    // and preferred leaders alternate.
    expect(proposed!.partitions.map((p) => [p.topic, p.partition, [...p.replicas].sort(), p.log_dirs])).toEqual([0, 1, 2].map((i) => [topic, i, [1, 2], ["any", "any"]]));
    expect(proposed!.partitions[0]!.replicas[0]).not.toBe(proposed!.partitions[1]!.replicas[0]);

    const plan = file("spread-plan.json", JSON.stringify(proposed));
    const exec = ok(await reassign("--execute", "--reassignment-json-file", plan));
    const lines = exec.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Current partition replica assignment");
    expect(JSON.parse(lines[2]!)).toEqual(current);
    expect(lines.slice(3)).toEqual(["", "Save this to use as the --reassignment-json-file option during rollback", `Successfully started partition reassignments for ${topic}-0,${topic}-1,${topic}-2`]);

    const done = await waitFor("--verify reports every partition completed", async () => {
      const v = ok(await reassign("--verify", "--reassignment-json-file", plan));
      return v.stdout.includes("still in progress") ? null : v.stdout;
    }, 60_000);
    expect(done).toBe(
      [
        "Status of partition reassignment:",
        ...[0, 1, 2].map((i) => `Reassignment of partition ${topic}-${i} is completed.`),
        "Clearing broker-level throttles on brokers 0,1,2",
        `Clearing topic-level throttles on topic ${topic}`,
        "",
      ].join("\n"),
    );
    await hasReplicas(topic, proposed!.partitions.map((p) => p.replicas));
    expect(ok(await reassign("--list")).stdout).toBe("No partition reassignments found.\n");
  }, 150_000);

  it("--list and --verify show a move to a stopped broker in progress; --cancel restores the replicas; run again it completes", async () => {
    const topic = "stalled";
    await createTopic(topic, [[0, 1]]);
    const plan = file("stalled-plan.json", { version: 1, partitions: [{ topic, partition: 0, replicas: [1, 2] }] });
    const pid = cluster.node(2).pid;
    // Broker 2 cannot fetch while stopped: the move waits for it.
    process.kill(pid, "SIGSTOP");
    try {
      const exec = ok(await reassign("--execute", "--reassignment-json-file", plan, "--throttle", "1000000"));
      expect(exec.stdout).toContain("Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.\nThe inter-broker throttle limit was set to 1000000 B/s\n");
      // Leader side: the sources 0 and 1; follower side: the destination 2.
      expect(await throttles(topic)).toBe("leader 0:0,0:1; follower 0:2");
      expect(ok(await reassign("--list")).stdout).toBe(`Current partition reassignments:\n${topic}-0: replicas: 1,2,0. adding: 2. removing: 0.\n`);
      expect(ok(await reassign("--verify", "--reassignment-json-file", plan)).stdout).toBe(`Status of partition reassignment:\nReassignment of partition ${topic}-0 is still in progress.\n`);
      // A second plan while one is moving needs --additional, as in Kafka.
      const again = await reassign("--execute", "--reassignment-json-file", plan);
      expect(again.code, describeRun(again)).toBe(1);
      expect(again.stderr).toContain("Cannot execute because there is an existing partition assignment.");
      // Still moving: --verify keeps the throttles.
      expect(await throttles(topic)).toBe("leader 0:0,0:1; follower 0:2");
      expect(ok(await reassign("--cancel", "--reassignment-json-file", plan)).stdout).toBe(
        `Successfully cancelled partition reassignment for: ${topic}-0\nClearing broker-level throttles on brokers 0,1,2\nClearing topic-level throttles on topic ${topic}\n`,
      );
      expect(await throttles(topic)).toBe(NO_THROTTLES);
    } finally {
      process.kill(pid, "SIGCONT");
    }
    expect(ok(await reassign("--list")).stdout).toBe("No partition reassignments found.\n");
    // The original replicas, in the order the reassignment list held them ([1,2,0] less the
    // adding 2), as Kafka reverts; the rollback JSON --execute printed restores the order.
    await hasReplicas(topic, [[1, 0]]);
    expect(ok(await reassign("--verify", "--reassignment-json-file", plan, "--preserve-throttles")).stdout).toBe(
      `Status of partition reassignment:\nThere is no active reassignment of partition ${topic}-0, but replica set is 1,0 rather than 1,2.\n`,
    );
    expect(ok(await reassign("--cancel", "--reassignment-json-file", plan, "--preserve-throttles")).stdout).toBe("None of the specified partition reassignments are active.\n");

    // Run again with broker 2 up, it completes, and the --verify that sees it done clears the throttles.
    ok(await reassign("--execute", "--reassignment-json-file", plan, "--throttle", "500000"));
    expect(await throttles(topic)).toBe("leader 0:0,0:1; follower 0:2");
    const done = await waitFor("--verify reports completion", async () => {
      const v = ok(await reassign("--verify", "--reassignment-json-file", plan)).stdout;
      return v.includes(`Reassignment of partition ${topic}-0 is completed.`) ? v : null;
    }, 60_000);
    expect(done).toContain("Clearing topic-level throttles on topic stalled");
    expect(await throttles(topic)).toBe(NO_THROTTLES);
    await hasReplicas(topic, [[1, 2]]);
  }, 150_000);

  it("the samsa command runs it, and Kafka's tool reads the same cluster into the same JSON", async () => {
    const topics = file("spread-topics.json", { version: 1, topics: [{ topic: "spread" }] });
    const ours = await run(process.execPath, [SAMSA, "reassign", "--bootstrap-server", cluster.node(1).bootstrap, "--generate", "--topics-to-move-json-file", topics, "--broker-list", "0,1,2"], { timeoutMs: 60_000 });
    expect(ours.code, describeRun(ours)).toBe(0);
    const theirs = await ApacheKafka.tool("kafka-reassign-partitions", ["--bootstrap-server", cluster.node(1).bootstrap, "--generate", "--topics-to-move-json-file", topics, "--broker-list", "0,1,2"]);
    expect(theirs.code, describeRun(theirs)).toBe(0);
    const currentLine = (stdout: string) => stdout.split("\n")[stdout.split("\n").indexOf("Current partition replica assignment") + 1];
    // Byte for byte: same keys, key order and partition order.
    expect(currentLine(ours.stdout)).toBe(currentLine(theirs.stdout));
    const shape = (stdout: string) => jsonLines(stdout)[1]!.partitions.map((p) => [p.topic, p.partition, p.replicas.length, p.log_dirs]);
    expect(shape(ours.stdout)).toEqual(shape(theirs.stdout));
    const usage = await run(process.execPath, [SAMSA, "reassign", "--list"], { timeoutMs: 60_000 });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Please specify --bootstrap-server");
  }, 120_000);

  it("reports errors with a message and exit 1 (2 for a bad command line)", async () => {
    const expectError = async (args: string[], code: number, text: string) => {
      const r = await reassign(...args);
      expect(r.code, describeRun(r)).toBe(code);
      expect(r.stderr).toContain(text);
    };
    await Promise.all([
      expectError(["--execute", "--reassignment-json-file", file("bad.json", "{ not json")], 1, "Error: The input string is not a valid JSON"),
      expectError(["--execute", "--reassignment-json-file", file("nothing.json", { version: 1, partitions: [{ topic: "nothing", partition: 0, replicas: [1] }] })], 1, "Error: UNKNOWN_TOPIC_OR_PARTITION: Topic nothing not found."),
      expectError(["--verify", "--reassignment-json-file", file("no-part.json", { version: 1, partitions: [{ topic: "spread", partition: 7, replicas: [1] }] })], 1, "Error: UNKNOWN_TOPIC_OR_PARTITION: Unable to find partition: spread-7"),
      expectError(["--execute", "--reassignment-json-file", file("dup.json", { version: 1, partitions: [{ topic: "spread", partition: 0, replicas: [1, 1] }] })], 1, "Partition replica lists may not contain duplicate entries: spread-0 contains multiple entries for 1"),
      // The controller refuses a broker that is not registered; its error code is shown by name.
      expectError(["--execute", "--reassignment-json-file", file("broker-9.json", { version: 1, partitions: [{ topic: "spread", partition: 0, replicas: [1, 9] }] })], 1, "Error: Error reassigning partition(s):\nspread-0: INVALID_REPLICA_ASSIGNMENT"),
      expectError(["--generate", "--topics-to-move-json-file", file("t.json", { version: 1, topics: [{ topic: "spread" }] }), "--broker-list", "1,9"], 1, "Error: Unknown broker id 9"),
      expectError(["--generate", "--topics-to-move-json-file", file("t2.json", { version: 1, topics: [{ topic: "nothing" }] }), "--broker-list", "1,2"], 1, "Error: UNKNOWN_TOPIC_OR_PARTITION: Topic nothing not found."),
      expectError(["--verify", "--list"], 2, "Command must include exactly one action: --generate, --execute, --verify, --cancel, --list"),
      expectError(["--execute"], 2, 'Missing required argument "--reassignment-json-file" for action "--execute"'),
      expectError(["--execute", "--reassignment-json-file", "x", "--throttle", "fast"], 2, '--throttle must be a rate in bytes per second, got "fast"'),
      expectError(["--verify", "--reassignment-json-file", "x", "--throttle", "1000"], 2, 'Option "--throttle" can\'t be used with action "--verify"'),
    ]);
  }, 120_000);
});
