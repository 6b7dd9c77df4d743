// The Python clients (kafka-python, confluent_kafka) against a real `samsa broker` process.
// Each script in test/python asserts on its own and prints a JSON summary; here we check the
// exit code and the summary, and show every failed check when something is wrong.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BrokerNode } from "./helpers/broker-node.ts";
import { describeRun, lastJson, runPython } from "./helpers/run.ts";

interface Summary {
  ok: boolean;
  client: string;
  passed: string[];
  failed: string[];
  skipped: string[];
  info: Record<string, unknown>;
}

let node: BrokerNode;

beforeAll(async () => {
  // The scripts expect num.partitions=2 (a static broker override they look for in DescribeConfigs).
  node = await BrokerNode.start({ "num.partitions": "2" });
});

afterAll(async () => {
  await node?.destroy();
});

async function runScript(script: string): Promise<Summary> {
  const r = await runPython(script, [node.bootstrap], { timeoutMs: 45_000 });
  const summary = lastJson(r.stdout) as Summary | undefined;
  const context = `${describeRun(r)}\n--- broker (tail) ---\n${node.output.slice(-3000)}`;
  expect(summary, `no JSON summary from ${script}\n${context}`).toBeDefined();
  expect(summary!.failed, `${script} failed checks\n${context}`).toEqual([]);
  expect(r.code, context).toBe(0);
  expect(summary!.ok).toBe(true);
  return summary!;
}

describe("python clients", () => {
  it("kafka-python: admin, producer per codec, assign/seek consumer", async () => {
    const s = await runScript("kafka_python_clients.py");
    expect(s.client).toBe("kafka-python");
    expect(s.passed.length).toBeGreaterThan(30);
    // gzip is always available in kafka-python; only codecs without their python library are skipped.
    expect(s.passed).toContain("producer gzip: offsets 0..99 in order");
    for (const skip of s.skipped) expect(skip).toMatch(/codec library not installed/);
  });

  it("confluent_kafka: idempotent producer, assign consumer, AdminClient", async () => {
    const s = await runScript("confluent_kafka_clients.py");
    expect(s.client).toBe("confluent_kafka");
    expect(s.passed.length).toBeGreaterThan(40);
    for (const skip of s.skipped) expect(skip).toMatch(/not in confluent_kafka/);
  });

  it("the broker is still alive", () => {
    expect(node.alive).toBe(true);
  });
});
