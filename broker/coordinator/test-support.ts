import { ManualTime } from "../log/test-support.ts";
import { encodeConsumerProtocolSubscription } from "../protocol/generated/message/ConsumerProtocolSubscription.ts";
import { Writer } from "../protocol/primitives/writer.ts";
import type { CoordinatorLog, CoordinatorRecord } from "./coordinator-log.ts";
import { GroupCoordinator, type HeartbeatParams, type JoinGroupParams, type SyncGroupParams } from "./group-coordinator.ts";
import { DEFAULT_GROUP_COORDINATOR_CONFIG, type GroupCoordinatorConfig } from "./group-coordinator-config.ts";
import type { GroupStateChange } from "./group-state.ts";
import { InMemoryOffsetsTopic, type InMemoryCoordinatorLog } from "./in-memory-coordinator-log.ts";
import { decodeGroupMetadataValueRecord, decodeOffsetCommitValueRecord, decodeOffsetsTopicKey } from "./offsets-topic-records.ts";

/** Lets every pending promise continuation run (appends resolve on microtasks). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A consumer-protocol subscription (the metadata of the "consumer" protocol type). */
export function subscription(topics: string[], version = 1): Buffer {
  const w = new Writer(64);
  w.int16(version);
  encodeConsumerProtocolSubscription(w, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, version);
  return w.finish();
}

/** A log whose appends wait until released, to observe what happens before a commit completes. */
export class GatedLog implements CoordinatorLog {
  readonly held: { partition: number; records: CoordinatorRecord[]; release: () => void; fail: (e: unknown) => void }[] = [];
  constructor(readonly inner: CoordinatorLog) {}
  append(partition: number, records: CoordinatorRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.held.push({
        partition,
        records,
        release: () => void this.inner.append(partition, records).then(resolve, reject),
        fail: reject,
      });
    });
  }
  read(partition: number): AsyncIterable<{ offset: number; key: Buffer | null; value: Buffer | null }> {
    return this.inner.read(partition);
  }
  releaseAll(): void {
    for (const h of this.held.splice(0)) h.release();
  }
}

export interface Harness {
  time: ManualTime;
  topic: InMemoryOffsetsTopic;
  log: InMemoryCoordinatorLog;
  coordinator: GroupCoordinator;
  events: GroupStateChange[];
  config: GroupCoordinatorConfig;
}

export const TEST_CONFIG: GroupCoordinatorConfig = {
  ...DEFAULT_GROUP_COORDINATOR_CONFIG,
  offsetsTopicNumPartitions: 1,
  groupInitialRebalanceDelayMs: 0,
};

/** A started coordinator leading partition 0 (every group lives there with one partition). */
export async function harness(config: Partial<GroupCoordinatorConfig> = {}, topic = new InMemoryOffsetsTopic(), time = new ManualTime(1_000_000)): Promise<Harness> {
  const log = topic.newLeaderView();
  const events: GroupStateChange[] = [];
  const full = { ...TEST_CONFIG, ...config };
  let n = 0;
  const coordinator = new GroupCoordinator({ config: full, log, clock: time, timer: time, onStateChange: (e) => events.push(e), newUuid: () => `uuid${++n}` });
  coordinator.startup();
  for (let p = 0; p < full.offsetsTopicNumPartitions; p++) await coordinator.onBecomeLeader(p);
  return { time, topic, log, coordinator, events, config: full };
}

export function joinParams(groupId: string, o: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId,
    memberId: "",
    groupInstanceId: null,
    requireKnownMemberId: false,
    supportSkippingAssignment: false,
    clientId: "client",
    clientHost: "/127.0.0.1",
    rebalanceTimeoutMs: 30_000,
    sessionTimeoutMs: 10_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription(["orders"]) }],
    reason: null,
    ...o,
  };
}

export function syncParams(groupId: string, memberId: string, generationId: number, o: Partial<SyncGroupParams> = {}): SyncGroupParams {
  return { groupId, memberId, generationId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: new Map(), ...o };
}

export function heartbeatParams(groupId: string, memberId: string, generationId: number, o: Partial<HeartbeatParams> = {}): HeartbeatParams {
  return { groupId, memberId, generationId, groupInstanceId: null, ...o };
}

/** A promise's state without awaiting it. */
export function track<T>(p: Promise<T>): { done: boolean; value?: T } {
  const t: { done: boolean; value?: T } = { done: false };
  void p.then((v) => {
    t.done = true;
    t.value = v;
  });
  return t;
}

/** The partition's records, decoded, for assertions. */
export function decodedRecords(topic: InMemoryOffsetsTopic, partition = 0): { key: ReturnType<typeof decodeOffsetsTopicKey>; value: unknown }[] {
  return topic.records(partition).map((r) => {
    const key = decodeOffsetsTopicKey(r.key!);
    let value: unknown = null;
    if (r.value !== null) value = key.type === "offset" ? decodeOffsetCommitValueRecord(r.value) : decodeGroupMetadataValueRecord(r.value).value;
    return { key, value };
  });
}
