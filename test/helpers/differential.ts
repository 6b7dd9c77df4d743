// Differential testing: the same request to Samsa and to Apache Kafka, the decoded responses
// compared field by field after a small, documented normalisation (test/differential.test.ts
// holds the list of allowed differences and the reason for each).
import type { WireConnection } from "../../broker/network/kafka-connection.ts";
import type { ApiKeyValue, ApiRequest, ApiResponse } from "../../broker/protocol/generated/apis.ts";
import { encodeRecordBatch } from "../../broker/protocol/records/record-batch.ts";
import { openWire, sleep } from "./groups.ts";

/** A field whose value may differ between the brokers, and why. */
export interface AllowedDifference {
  /** The field name (last path segment) it applies to. */
  field: string;
  /** Only where the path (e.g. "topics[0].errorMessage") matches; everywhere when absent. */
  where?: RegExp;
  /**
   * "mask": both values are replaced by a placeholder (when both are present, or both null);
   * "record": a difference is recorded for the report, not failed.
   */
  how: "mask" | "record";
  /** For "mask": what must still agree (e.g. zero vs non-zero topic id); default null vs a value. */
  canon?: (v: unknown) => unknown;
  reason: string;
}

export interface Comparison {
  /** Differences that fail the test. */
  diffs: string[];
  /** Differences allowed with how: "record" (reported only). */
  recorded: string[];
}

const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? `<${x.length} bytes>` : x)) ?? "undefined";

function isBuf(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/**
 * Compares two decoded responses. Arrays compare element by element (sort them first where
 * order is not part of the contract); Buffers by content; `allowed` masks or records fields.
 */
export function compareResponses(samsa: unknown, kafka: unknown, allowed: readonly AllowedDifference[], path = ""): Comparison {
  const out: Comparison = { diffs: [], recorded: [] };
  walk(samsa, kafka, path, allowed, out);
  return out;
}

function rule(path: string, allowed: readonly AllowedDifference[]): AllowedDifference | undefined {
  const field = path.replace(/\[\d+\]$/, "").split(".").pop() ?? "";
  return allowed.find((a) => a.field === field && (!a.where || a.where.test(path)));
}

function walk(s: unknown, k: unknown, path: string, allowed: readonly AllowedDifference[], out: Comparison): void {
  const r = path ? rule(path, allowed) : undefined;
  if (r) {
    const same = show(s) === show(k);
    if (same) return;
    if (r.how === "mask") {
      // Masked: only the canonical form (by default: null vs a value) must agree.
      const canon = r.canon ?? ((v: unknown) => v === null || v === undefined);
      if (show(canon(s)) !== show(canon(k))) out.diffs.push(`${path}: samsa=${show(s)} kafka=${show(k)} (masked, but ${show(canon(s))} vs ${show(canon(k))})`);
      return;
    }
    out.recorded.push(`${path}: samsa=${show(s)} kafka=${show(k)}`);
    return;
  }
  if (isBuf(s) || isBuf(k)) {
    if (!(isBuf(s) && isBuf(k) && Buffer.compare(Buffer.from(s), Buffer.from(k)) === 0)) out.diffs.push(`${path}: samsa=${show(s)} kafka=${show(k)}`);
    return;
  }
  if (Array.isArray(s) && Array.isArray(k)) {
    if (s.length !== k.length) {
      out.diffs.push(`${path}: length samsa=${s.length} kafka=${k.length}: samsa=${show(s).slice(0, 600)} kafka=${show(k).slice(0, 600)}`);
      return;
    }
    for (let i = 0; i < s.length; i++) walk(s[i], k[i], `${path}[${i}]`, allowed, out);
    return;
  }
  if (s && k && typeof s === "object" && typeof k === "object" && !Array.isArray(s) && !Array.isArray(k)) {
    const keys = new Set([...Object.keys(s), ...Object.keys(k)]);
    for (const key of keys) walk((s as Record<string, unknown>)[key], (k as Record<string, unknown>)[key], path ? `${path}.${key}` : key, allowed, out);
    return;
  }
  if (show(s) !== show(k)) out.diffs.push(`${path}: samsa=${show(s)} kafka=${show(k)}`);
}

/** One connection to each broker. */
export class BrokerPair {
  private constructor(
    readonly samsa: WireConnection,
    readonly kafka: WireConnection,
  ) {}

  static async open(samsaBootstrap: string, kafkaBootstrap: string): Promise<BrokerPair> {
    const [s, k] = await Promise.all([openWire(samsaBootstrap, "differential"), openWire(kafkaBootstrap, "differential")]);
    return new BrokerPair(s, k);
  }

  /** The same request, at the same explicit version, to both brokers (in parallel). */
  async send<K extends ApiKeyValue>(apiKey: K, version: number, body: Partial<ApiRequest<K>>): Promise<{ samsa: ApiResponse<K>; kafka: ApiResponse<K> }> {
    const [samsa, kafka] = await Promise.all([this.samsa.request(apiKey, version, body), this.kafka.request(apiKey, version, body)]);
    return { samsa, kafka };
  }

  /** Runs the same step on both brokers (each its own sequence, in parallel). */
  async both<T>(fn: (c: WireConnection, side: "samsa" | "kafka") => Promise<T>): Promise<{ samsa: T; kafka: T }> {
    const [samsa, kafka] = await Promise.all([fn(this.samsa, "samsa"), fn(this.kafka, "kafka")]);
    return { samsa, kafka };
  }

  close(): void {
    this.samsa.close();
    this.kafka.close();
  }
}

/** One uncompressed v2 batch of `values` with explicit CreateTime timestamps. */
export function batchOf(values: readonly string[], timestamps: readonly bigint[]): Buffer {
  const base = timestamps[0] ?? 0n;
  return encodeRecordBatch({
    baseTimestamp: base,
    records: values.map((v, i) => ({
      offsetDelta: i,
      timestampDelta: Number((timestamps[i] ?? base) - base),
      key: null,
      value: Buffer.from(v),
      headers: [],
    })),
  });
}

/** Produces one batch (acks=-1, Produce v9) and returns its base offset; throws on an error. */
export async function produceBatch(c: WireConnection, topic: string, partition: number, batch: Buffer): Promise<bigint> {
  const r = await c.request(0, 9, { acks: -1, timeoutMs: 30_000, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
  const p = r.responses[0]!.partitionResponses[0]!;
  if (p.errorCode !== 0) throw new Error(`Produce ${topic}-${partition} on ${c.address}: error ${p.errorCode} ${p.errorMessage ?? ""}`);
  return p.baseOffset;
}

/** Creates a topic (CreateTopics v7) and waits until Metadata shows leaders for it. */
export async function createTopicOn(c: WireConnection, name: string, partitions: number, configs: { name: string; value: string }[] = []): Promise<void> {
  const r = await c.request(19, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs }], timeoutMs: 30_000, validateOnly: false });
  const t = r.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`CreateTopics ${name} on ${c.address}: error ${t.errorCode} ${t.errorMessage ?? ""}`);
  await waitForTopic(c, name, partitions);
}

/** Waits until Metadata shows the topic with `partitions` partitions, all with leaders. */
export async function waitForTopic(c: WireConnection, name: string, partitions: number): Promise<void> {
  await waitUntil(`${name} has leaders on ${c.address}`, async () => {
    const m = await c.request(3, 12, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name }], allowAutoTopicCreation: false });
    const mt = m.topics[0];
    return !!mt && mt.errorCode === 0 && mt.partitions.length === partitions && mt.partitions.every((p) => p.leaderId >= 0);
  });
}

/** FindCoordinator until the group's coordinator answers (the first call creates __consumer_offsets). */
export async function waitForCoordinator(c: WireConnection, groupId: string): Promise<void> {
  await waitUntil(`coordinator for ${groupId} on ${c.address}`, async () => {
    const r = await c.request(10, 3, { key: groupId, keyType: 0 });
    if (r.errorCode !== 0) return false;
    // The coordinator has loaded the group's partition when a DescribeGroups answers without a retriable error.
    const d = await c.request(15, 5, { groups: [groupId], includeAuthorizedOperations: false });
    return ![14, 15, 16].includes(d.groups[0]!.errorCode);
  });
}

export async function waitUntil(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
