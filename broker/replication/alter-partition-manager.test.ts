import { describe, expect, it } from "vitest";
import { ManualTime } from "../log/test-support.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { AlterPartitionCommand, AlterPartitionReply } from "../controller/replication-control.ts";
import { AlterPartitionManager, type IsrProposal, type IsrProposalOutcome } from "./alter-partition-manager.ts";

const T1 = "AAAAAAAAAAAAAAAAAAAAAQ";
const T2 = "AAAAAAAAAAAAAAAAAAAAAg";

const proposal = (topicId: string, partition: number, isr = [0, 1]): IsrProposal => ({
  topic: topicId === T1 ? "a" : "b",
  topicId,
  partition,
  leaderEpoch: 3,
  partitionEpoch: 7,
  newIsr: isr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
  leaderRecoveryState: 0,
});

/** A controller stand-in whose replies the test gives, request by request. */
function controllerChannel() {
  const requests: AlterPartitionCommand[] = [];
  const replies: { resolve: (r: AlterPartitionReply) => void; reject: (e: unknown) => void }[] = [];
  const send = (cmd: AlterPartitionCommand) => {
    requests.push(cmd);
    return new Promise<AlterPartitionReply>((resolve, reject) => replies.push({ resolve, reject }));
  };
  /** Answers request `i`: every partition committed with its proposed ISR, unless `errors` says otherwise. */
  const answer = (i: number, errors: Record<string, number> = {}) => {
    const cmd = requests[i]!;
    replies[i]!.resolve({
      topics: cmd.topics.map((t) => ({
        topicName: t.topicName,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: errors[`${t.topicId}:${p.partitionIndex}`] ?? 0,
          leaderId: 0,
          leaderEpoch: p.leaderEpoch,
          isr: p.newIsrWithEpochs.map((m) => m.brokerId),
          leaderRecoveryState: 0,
          partitionEpoch: p.partitionEpoch + 1,
        })),
      })),
    });
  };
  const sent = (i: number) => requests[i]!.topics.flatMap((t) => t.partitions.map((p) => `${t.topicId}:${p.partitionIndex}`)).sort();
  return { send, requests, replies, answer, sent };
}

const settle = () => new Promise((r) => setImmediate(r));

function setup() {
  const time = new ManualTime();
  const channel = controllerChannel();
  const manager = new AlterPartitionManager({ brokerId: 0, brokerEpoch: () => 42n, send: channel.send, timer: time, retryBackoffMs: 50 });
  const outcomes = new Map<string, IsrProposalOutcome[]>();
  const submit = (p: IsrProposal, isCurrent = () => true) =>
    manager.submit(p, isCurrent, (o) => outcomes.set(`${p.topicId}:${p.partition}`, [...(outcomes.get(`${p.topicId}:${p.partition}`) ?? []), o]));
  return { time, channel, manager, outcomes, submit };
}

describe("AlterPartitionManager", () => {
  it("sends one request at a time and batches what was queued meanwhile, grouped by topic", async () => {
    const { channel, submit, outcomes } = setup();
    expect(submit(proposal(T1, 0))).toBe(true);
    expect(channel.requests).toHaveLength(1);
    expect(channel.requests[0]).toMatchObject({ version: 3, brokerId: 0, brokerEpoch: 42n });
    submit(proposal(T1, 1));
    submit(proposal(T2, 0));
    submit(proposal(T1, 2));
    expect(channel.requests).toHaveLength(1); // the first is still in flight

    channel.answer(0);
    await settle();
    expect(outcomes.get(`${T1}:0`)).toEqual([{ kind: "committed", leaderId: 0, leaderEpoch: 3, partitionEpoch: 8, isr: [0, 1], leaderRecoveryState: 0 }]);
    expect(channel.requests).toHaveLength(2);
    expect(channel.requests[1]!.topics.map((t) => [t.topicId, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      [T1, [1, 2]],
      [T2, [0]],
    ]);
    channel.answer(1);
    await settle();
    expect([...outcomes.keys()].sort()).toEqual([`${T1}:0`, `${T1}:1`, `${T1}:2`, `${T2}:0`].sort());
    expect(channel.requests).toHaveLength(2);
  });

  it("keeps one proposal per partition queued or in flight", async () => {
    const { channel, submit, manager } = setup();
    expect(submit(proposal(T1, 0))).toBe(true);
    expect(submit(proposal(T1, 0, [0]))).toBe(false); // in flight
    submit(proposal(T1, 1));
    expect(submit(proposal(T1, 1, [0]))).toBe(false); // queued
    expect(manager.pendingCount).toBe(2);
    channel.answer(0);
    await settle();
    expect(submit(proposal(T1, 0, [0]))).toBe(true); // answered: a new one may go
    expect(channel.requests).toHaveLength(2);
    expect(channel.sent(1)).toEqual([`${T1}:1`]); // the next request: 0 waits for it
  });

  it("resends after the backoff when the request fails or a partition's error is retriable, not before", async () => {
    const { channel, submit, outcomes, time } = setup();
    submit(proposal(T1, 0));
    channel.replies[0]!.reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, "cannot reach the controller"));
    await settle();
    time.advance(49);
    expect(channel.requests).toHaveLength(1);
    time.advance(1);
    expect(channel.requests).toHaveLength(2);
    expect(channel.sent(1)).toEqual([`${T1}:0`]);

    submit(proposal(T1, 1)); // queued behind the retry
    channel.answer(1, { [`${T1}:0`]: ErrorCode.NOT_CONTROLLER });
    await settle();
    expect(outcomes.get(`${T1}:0`)).toBeUndefined();
    expect(channel.requests).toHaveLength(2);
    time.advance(50);
    expect(channel.sent(2)).toEqual([`${T1}:0`, `${T1}:1`]);
    channel.answer(2);
    await settle();
    expect(outcomes.get(`${T1}:0`)).toMatchObject([{ kind: "committed" }]);
    expect(outcomes.get(`${T1}:1`)).toMatchObject([{ kind: "committed" }]);
  });

  it("gives up on INVALID_UPDATE_VERSION and FENCED_LEADER_EPOCH: reported once, never resent", async () => {
    const { channel, submit, outcomes, time } = setup();
    submit(proposal(T1, 0));
    submit(proposal(T1, 1));
    submit(proposal(T1, 2));
    channel.answer(0);
    await settle();
    channel.answer(1, { [`${T1}:1`]: ErrorCode.INVALID_UPDATE_VERSION, [`${T1}:2`]: ErrorCode.FENCED_LEADER_EPOCH });
    await settle();
    time.advance(1000);
    expect(channel.requests).toHaveLength(2);
    expect(outcomes.get(`${T1}:1`)).toEqual([{ kind: "failed", errorCode: ErrorCode.INVALID_UPDATE_VERSION }]);
    expect(outcomes.get(`${T1}:2`)).toEqual([{ kind: "failed", errorCode: ErrorCode.FENCED_LEADER_EPOCH }]);
  });

  it("drops a proposal its partition no longer waits for, instead of retrying it", async () => {
    const { channel, submit, outcomes, time } = setup();
    let current = true;
    submit(proposal(T1, 0), () => current);
    channel.answer(0, { [`${T1}:0`]: ErrorCode.UNKNOWN_SERVER_ERROR });
    await settle();
    current = false; // new metadata replaced the pending ISR state
    time.advance(1000);
    expect(channel.requests).toHaveLength(1);
    expect(outcomes.size).toBe(0);
  });
});
