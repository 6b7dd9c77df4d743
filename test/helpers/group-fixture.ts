// The scaffolding the consumer-group integration tests share: one broker per test file started
// with the group overrides, the client processes a file starts (killed when it is done), the
// failure context, and the assertions every group test makes. It registers vitest hooks and
// asserts, so it is kept apart from groups.ts, which bench/ also imports outside vitest.
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect } from "vitest";
import { BrokerNode } from "./broker-node.ts";
import { brokerErrors, committedOffsets, endOffsets, JsonLinesChild, waitFor, waitForStableSplit, type GroupView } from "./groups.ts";
import { PYTHON } from "./run.ts";

/** A group forms as soon as its first member has joined; auto-created topics get one partition. */
export const GROUP_BROKER_OVERRIDES: Readonly<Record<string, string>> = { "group.initial.rebalance.delay.ms": "0", "num.partitions": "1" };

const CONFLUENT_MEMBER = fileURLToPath(new URL("../python/groups_confluent_member.py", import.meta.url));
const KAFKA_PYTHON_MEMBER = fileURLToPath(new URL("../python/groups_kafka_python_member.py", import.meta.url));

/**
 * The broker of one test file and what the file started against it. Get one with
 * groupTestBroker(); `node` is there from beforeAll on.
 */
export class GroupTestBroker {
  private started: BrokerNode | undefined;
  private readonly children: JsonLinesChild[] = [];
  private readonly cleanups: (() => Promise<unknown>)[] = [];

  get node(): BrokerNode {
    if (!this.started) throw new Error("the group test broker starts in beforeAll");
    return this.started;
  }

  get bootstrap(): string {
    return this.node.bootstrap;
  }

  /** Runs fn after the file's tests, before the child processes are killed and the broker destroyed. */
  onCleanup(fn: () => Promise<unknown>): void {
    this.cleanups.push(fn);
  }

  /** A child process, killed (SIGKILL) after the file's tests if still running. */
  spawn(cmd: string, args: readonly string[]): JsonLinesChild {
    return this.track(JsonLinesChild.spawn(cmd, args));
  }

  /** A TypeScript child process (through tsx), killed after the file's tests. */
  tsx(file: string, args: readonly string[]): JsonLinesChild {
    return this.track(JsonLinesChild.tsx(file, args));
  }

  /** A `kcat -G` balanced consumer (librdkafka's KafkaConsumer with auto commit); `props` are extra -X properties. */
  kcatMember(group: string, topic: string, clientId: string, props: Record<string, string | number>): JsonLinesChild {
    const all = { "client.id": clientId, ...props, "heartbeat.interval.ms": 500, "auto.offset.reset": "earliest", "auto.commit.interval.ms": 200 };
    return this.spawn("kcat", ["-b", this.bootstrap, "-G", group, topic, ...Object.entries(all).flatMap(([k, v]) => ["-X", `${k}=${v}`]), "-J", "-u"]);
  }

  /** A confluent_kafka member process (see groups_confluent_member.py for the options). */
  confluentMember(group: string, topic: string, clientId: string, ...opts: string[]): JsonLinesChild {
    return this.spawn(PYTHON, [CONFLUENT_MEMBER, this.bootstrap, group, topic, `conf.client.id=${clientId}`, ...opts]);
  }

  /** A kafka-python member process (see groups_kafka_python_member.py for the options). */
  kafkaPythonMember(group: string, topic: string, clientId: string, ...opts: string[]): JsonLinesChild {
    return this.spawn(PYTHON, [KAFKA_PYTHON_MEMBER, this.bootstrap, group, topic, `client_id=${clientId}`, ...opts]);
  }

  /** A quiet kafkajs client of this broker that retries long enough to ride out rebalances. */
  kafka(clientId: string): Kafka {
    return new Kafka({ clientId, brokers: [this.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 2000 } });
  }

  /** For a failure message: the children's last output, then the broker's. */
  context(...cs: JsonLinesChild[]): string {
    return [...cs.map((c) => c.describe()), `--- broker (tail) ---\n${this.node.output.slice(-3000)}`].join("\n");
  }

  /** waitForStableSplit, failing with the context of `cs` and the broker. */
  stable(group: string, topic: string, members: number, partitions: number, timeoutMs = 45_000, ...cs: JsonLinesChild[]): Promise<GroupView> {
    return waitForStableSplit(this.bootstrap, group, topic, members, partitions, timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.context(...cs)}`);
    });
  }

  /** Waits until the group's committed offsets of partitions 0..n-1 are the log end offsets; returns those. */
  async waitCommittedAtEnd(group: string, topic: string, partitions: number): Promise<number[]> {
    const end = await endOffsets(this.bootstrap, topic, partitions);
    await waitFor(`group ${group} committed offsets to reach ${JSON.stringify(end)}`, async () => {
      const c = await committedOffsets(this.bootstrap, group, topic, partitions);
      return JSON.stringify(c) === JSON.stringify(end);
    });
    return end;
  }

  /** Stops the broker with `signal`, starts it again on its data dir, and returns the group's committed offsets once it answers. */
  async restartAndFetchCommitted(signal: NodeJS.Signals, group: string, topic: string, partitions: number): Promise<number[]> {
    await this.node.stop(signal);
    await this.node.launch();
    return waitFor(`OffsetFetch after the ${signal} restart`, () => committedOffsets(this.bootstrap, group, topic, partitions), 30_000);
  }

  /** Waits until each member process last reported (assign event) the partitions of `topic` that `g` gives the client clientIds[i]. */
  async waitAssignmentsReported(what: string, g: GroupView, topic: string, ms: JsonLinesChild[], clientIds: string[]): Promise<void> {
    const described = (i: number) => g.members.find((x) => x.clientId === clientIds[i])?.assignment[topic] ?? [];
    await waitFor(what, () => ms.every((m, i) => JSON.stringify(lastAssigned(m, topic)) === JSON.stringify(described(i)))).catch((e: Error) => {
      throw new Error(`${e.message}\n${JSON.stringify(g)}\n${this.context(...ms)}`);
    });
  }

  /** The last check of a group test file: the broker still runs and logged no internal errors. */
  expectAliveWithoutErrors(): void {
    expect(this.node.alive, this.context()).toBe(true);
    expect(brokerErrors(this.node.output)).toEqual([]);
  }

  private track(c: JsonLinesChild): JsonLinesChild {
    this.children.push(c);
    return c;
  }

  /** @internal beforeAll */
  async start(overrides: Record<string, string>): Promise<void> {
    this.started = await BrokerNode.start(overrides);
  }

  /** @internal afterAll */
  async close(): Promise<void> {
    for (const fn of this.cleanups) await fn().catch(() => {});
    for (const c of this.children) await c.kill().catch(() => {});
    await this.started?.destroy();
  }
}

/** Starts a broker with GROUP_BROKER_OVERRIDES before the file's tests and cleans up after them. */
export function groupTestBroker(overrides: Record<string, string> = GROUP_BROKER_OVERRIDES): GroupTestBroker {
  const broker = new GroupTestBroker();
  beforeAll(() => broker.start(overrides));
  afterAll(() => broker.close());
  return broker;
}

/** Fails with the duplicates, the missing and the unexpected values (20 of each at most). */
export function expectExactlyOnce(got: string[], expected: string[], what: string): void {
  const c = new Map<string, number>();
  for (const v of got) c.set(v, (c.get(v) ?? 0) + 1);
  const dups = [...c].filter(([, n]) => n > 1).map(([v, n]) => `${v}×${n}`);
  const missing = expected.filter((v) => !c.has(v));
  const extra = [...c.keys()].filter((v) => !expected.includes(v));
  expect({ dups: dups.slice(0, 20), missing: missing.slice(0, 20), extra: extra.slice(0, 20) }, what).toEqual({ dups: [], missing: [], extra: [] });
}

/** What a member process consumed: python members' "message" events and kcat's -J lines. */
export function consumedRecords(c: JsonLinesChild): { partition: number; offset: number; value: string }[] {
  return c.lines
    .filter((l) => l.event === "message" || (l.event === undefined && "payload" in l))
    .map((l) => ({ partition: Number(l.partition), offset: Number(l.offset), value: String(l.event === "message" ? l.value : l.payload) }));
}

/** The values a member process consumed, in order. */
export function consumed(c: JsonLinesChild): string[] {
  return consumedRecords(c).map((r) => r.value);
}

/** The last assignment a python member reported (on_assign / on_partitions_assigned), as sorted partitions of one topic. */
export function lastAssigned(c: JsonLinesChild, topic: string): number[] {
  const a = c.events("assign").at(-1)?.partitions as [string, number][] | undefined;
  return (a ?? []).filter(([t]) => t === topic).map(([, p]) => p).sort((x, y) => x - y);
}
