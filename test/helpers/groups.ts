// Helpers for the consumer-group integration tests: polling, group descriptions straight from
// the broker (DescribeGroups over the generated codec, so every client's view is checked
// against one source), consumer-protocol decoding, and the `__state_changes` topic.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { decodeConsumerProtocolAssignment } from "../../broker/protocol/generated/message/ConsumerProtocolAssignment.ts";
import { decodeConsumerProtocolSubscription } from "../../broker/protocol/generated/message/ConsumerProtocolSubscription.ts";
import { Reader } from "../../broker/protocol/primitives/reader.ts";
import { kcat, parseKcatJson } from "./run.ts";
import { WireConnection } from "../../broker/network/kafka-connection.ts";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value; throws with `what` and the last value on timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${shown}`);
    }
    await sleep(intervalMs);
  }
}

/** topic → sorted partitions. */
export type Assignment = Record<string, number[]>;

/** Decodes a consumer-protocol assignment (int16 version, then the ConsumerProtocolAssignment). */
export function decodeAssignment(buf: Buffer | null | undefined): Assignment {
  if (!buf || buf.length < 2) return {};
  const version = buf.readInt16BE(0);
  const a = decodeConsumerProtocolAssignment(new Reader(buf, 2), Math.min(Math.max(version, 0), 3));
  const out: Assignment = {};
  for (const tp of a.assignedPartitions) out[tp.topic] = [...(out[tp.topic] ?? []), ...tp.partitions].sort((x, y) => x - y);
  return out;
}

/** The topics of a consumer-protocol subscription. */
export function decodeSubscriptionTopics(buf: Buffer | null | undefined): string[] {
  if (!buf || buf.length < 2) return [];
  const version = buf.readInt16BE(0);
  return decodeConsumerProtocolSubscription(new Reader(buf, 2), Math.min(Math.max(version, 0), 3)).topics;
}

export interface GroupMemberView {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  subscription: string[];
  assignment: Assignment;
}

export interface GroupView {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberView[];
}

/** A raw connection for tests: requests may wait as long as a rebalance does. */
export function openWire(bootstrap: string, clientId = "samsa-wire-test"): Promise<WireConnection> {
  return WireConnection.open(bootstrap, { clientId, timeoutMs: 120_000 });
}

/** Runs fn with a short-lived raw connection to the broker. */
export async function withWire<T>(bootstrap: string, fn: (c: WireConnection) => Promise<T>): Promise<T> {
  const c = await openWire(bootstrap);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Retriable coordinator errors: COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR. */
const COORDINATOR_RETRIABLE = new Set([14, 15, 16]);

/** FindCoordinator for a group, as a client does first (it also creates __consumer_offsets). */
async function findCoordinator(c: WireConnection, groupId: string): Promise<void> {
  const v = c.version(10, 0, 3);
  const r = await c.request(10, v, { key: groupId, keyType: 0 });
  if (r.errorCode !== 0) throw new Error(`FindCoordinator ${groupId}: error ${r.errorCode}`);
}

/** DescribeGroups straight from the broker, with assignments decoded. Throws on a retriable coordinator error. */
export async function describeGroup(bootstrap: string, groupId: string): Promise<GroupView> {
  return withWire(bootstrap, async (c) => {
    await findCoordinator(c, groupId);
    const r = await c.request(15, c.version(15, 0, 5), { groups: [groupId] });
    const g = r.groups[0]!;
    if (COORDINATOR_RETRIABLE.has(g.errorCode)) throw new Error(`DescribeGroups ${groupId}: retriable error ${g.errorCode}`);
    return {
      errorCode: g.errorCode,
      groupId: g.groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscription: g.protocolType === "consumer" ? safe(() => decodeSubscriptionTopics(m.memberMetadata), []) : [],
        assignment: g.protocolType === "consumer" ? safe(() => decodeAssignment(m.memberAssignment), {}) : {},
      })),
    };
  });
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * Waits until the group is Stable with exactly `members` members whose assignments of `topic`
 * are disjoint and cover partitions 0..partitions-1. Returns that description.
 */
export async function waitForStableSplit(bootstrap: string, groupId: string, topic: string, members: number, partitions: number, timeoutMs = 45_000): Promise<GroupView> {
  return waitFor(
    `group ${groupId} Stable with ${members} members covering ${partitions} partitions of ${topic}`,
    async () => {
      const g = await describeGroup(bootstrap, groupId);
      if (g.state !== "Stable" || g.members.length !== members) return false;
      const split = splitOf(g, topic);
      return split.disjoint && split.covered.length === partitions ? g : false;
    },
    timeoutMs,
    250,
  );
}

/** Whether the members' partitions of a topic overlap, and which partitions they cover. */
export function splitOf(g: GroupView, topic: string): { disjoint: boolean; covered: number[]; perMember: number[][] } {
  const perMember = g.members.map((m) => m.assignment[topic] ?? []);
  const all = perMember.flat();
  const covered = [...new Set(all)].sort((a, b) => a - b);
  return { disjoint: covered.length === all.length, covered, perMember };
}

/** Committed offsets of a group (OffsetFetch straight from the broker): "topic-partition" → offset. */
export async function committedOffsets(bootstrap: string, groupId: string, topic: string, partitions: number): Promise<number[]> {
  return withWire(bootstrap, async (c) => {
    await findCoordinator(c, groupId);
    const v = c.version(9, 0, 7);
    const r = await c.request(9, v, {
      groupId,
      topics: [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, i) => i) }],
    });
    if (r.errorCode !== 0) throw new Error(`OffsetFetch error ${r.errorCode}`);
    const out = Array.from({ length: partitions }, () => -1);
    for (const t of r.topics) for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`OffsetFetch ${t.name}-${p.partitionIndex} error ${p.errorCode}`);
      out[p.partitionIndex] = Number(p.committedOffset);
    }
    return out;
  });
}

/** Log end offsets (ListOffsets latest) of partitions 0..n-1. */
export async function endOffsets(bootstrap: string, topic: string, partitions: number): Promise<number[]> {
  return withWire(bootstrap, async (c) => {
    const r = await c.request(2, c.version(2, 0, 7), {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 })) }],
    });
    const out = Array.from({ length: partitions }, () => -1);
    for (const t of r.topics) for (const p of t.partitions) out[p.partitionIndex] = Number(p.offset);
    return out;
  });
}

/** Produces `perPartition` messages "<prefix>-<p>-<i>" to each partition with kcat; returns them. */
export async function produceEach(bootstrap: string, topic: string, partitions: number, perPartition: number, prefix: string): Promise<string[]> {
  const all: string[] = [];
  for (let p = 0; p < partitions; p++) {
    const values = Array.from({ length: perPartition }, (_, i) => `${prefix}-${p}-${i}`);
    const r = await kcat(bootstrap, ["-P", "-t", topic, "-p", String(p), "-X", "acks=all"], { input: values.join("\n") + "\n", timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`kcat produce failed: ${r.stderr}`);
    all.push(...values);
  }
  return all;
}

/** Creates a topic with kcat-free raw CreateTopics (fails the test on an error other than "exists"). */
export async function createTopic(bootstrap: string, name: string, partitions: number): Promise<void> {
  await withWire(bootstrap, async (c) => {
    const r = await c.request(19, c.version(19, 0, 5), {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const e = r.topics[0]!.errorCode;
    if (e !== 0 && e !== 36) throw new Error(`CreateTopics ${name}: error ${e} ${r.topics[0]!.errorMessage ?? ""}`);
  });
  // Metadata reflects the topic once its partitions have leaders.
  await waitFor(`topic ${name} to have leaders`, () =>
    withWire(bootstrap, async (c) => {
      const m = await c.request(3, c.version(3, 0, 9), { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name }], allowAutoTopicCreation: false });
      const t = m.topics.find((x) => x.name === name);
      return t && t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leaderId >= 0);
    }),
  );
}

/** One `__state_changes` event. */
export interface StateChange {
  key: string | null;
  offset: number;
  machine: string;
  subject: string;
  from: string;
  to: string;
  cause: string;
  details: Record<string, unknown>;
  node: number;
  epoch: number;
  at: number;
}

/** Every record of `__state_changes` so far (kcat, from the beginning to the end). */
export async function readStateChanges(bootstrap: string): Promise<StateChange[]> {
  const r = await kcat(bootstrap, ["-C", "-t", "__state_changes", "-o", "beginning", "-e", "-J"], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`kcat -C __state_changes failed (${r.code}): ${r.stderr}`);
  return parseKcatJson(r.stdout).map((m) => ({ key: m.key, offset: m.offset, ...(JSON.parse(m.payload ?? "null") as Omit<StateChange, "key" | "offset">) }));
}

/** A child process whose stdout is JSON lines, collected as they arrive. */
export class JsonLinesChild {
  readonly lines: Record<string, unknown>[] = [];
  stderr = "";
  private partial = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (d: Buffer) => {
      this.partial += d.toString();
      const parts = this.partial.split("\n");
      this.partial = parts.pop() ?? "";
      for (const l of parts) {
        const t = l.trim();
        if (!t.startsWith("{")) continue;
        try {
          this.lines.push(JSON.parse(t) as Record<string, unknown>);
        } catch {
          // not a JSON line
        }
      }
    });
    child.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  static spawn(cmd: string, args: readonly string[], env?: NodeJS.ProcessEnv): JsonLinesChild {
    return new JsonLinesChild(spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: env ?? process.env }));
  }

  /** Starts a TypeScript file through tsx's loader (like bin/samsa.js). */
  static tsx(file: string, args: readonly string[]): JsonLinesChild {
    return JsonLinesChild.spawn(process.execPath, ["--import", "tsx", file, ...args]);
  }

  events(name: string): Record<string, unknown>[] {
    return this.lines.filter((l) => l.event === name);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a line to the child's stdin (scripts read commands there). */
  send(line: string): void {
    this.child.stdin?.write(line + "\n");
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    await this.exited;
  }

  describe(): string {
    return `--- child stdout (last lines) ---\n${this.lines.slice(-20).map((l) => JSON.stringify(l)).join("\n")}\n--- child stderr ---\n${this.stderr.slice(-3000)}`;
  }
}

export const HELPERS_DIR = fileURLToPath(new URL(".", import.meta.url));

/** The broker's error-level log lines (pino level ≥ 50): a request that failed inside the broker. */
export function brokerErrors(output: string): string[] {
  return output.split("\n").filter((l) => /"level":(5\d|6\d)/.test(l));
}
