import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../../protocol/errors.ts";
import { ATTR } from "../../protocol/records/batch-header.ts";
import { decodeRecordBatch, iterateBatches } from "../../protocol/records/record-batch.ts";
import { systemClock } from "../../util/clock.ts";
import { decodeMetadataRecord, metadataRecord } from "../metadata-record-serde.ts";
import { ControlRecordType, controlRecordType, decodeLeaderChange } from "./control-records.ts";
import { LogRaftStore } from "./log-raft-store.ts";
import type { CommittedBatch, LeaderAndEpoch, QuorumListener } from "./metadata-quorum.ts";
import { readQuorumState, writeQuorumState } from "./quorum-state.ts";
import { MemoryRaftLogStore, type RaftLogStore } from "./raft-log-store.ts";
import { SingleVoterQuorum } from "./single-voter-quorum.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "samsa-quorum-"));
  dirs.push(d);
  return join(d, "__cluster_metadata-0");
}

class Recorder implements QuorumListener {
  batches: CommittedBatch[] = [];
  leaders: LeaderAndEpoch[] = [];
  handleCommit(batch: CommittedBatch): void {
    this.batches.push(batch);
  }
  handleLeaderChange(leader: LeaderAndEpoch): void {
    this.leaders.push(leader);
  }
}

async function open(dir: string, store: RaftLogStore = LogRaftStore.open({ dir, clock: systemClock, timer: systemClock })) {
  const quorum = new SingleVoterQuorum({ nodeId: 3, dir, store });
  const rec = new Recorder();
  quorum.register(rec);
  await quorum.start();
  return { quorum, rec, store };
}

const topic = (name: string) => metadataRecord("TopicRecord", { name, topicId: "AAAAAAAAAAAAAAAAAAAAQQ" });

describe("SingleVoterQuorum", () => {
  it("elects itself in a new epoch, persists quorum-state and writes a LeaderChangeMessage", async () => {
    const dir = tmp();
    const { quorum, rec, store } = await open(dir);
    expect(quorum.leaderAndEpoch()).toEqual({ leaderId: 3, epoch: 1 });
    expect(quorum.isLeader()).toBe(true);
    expect(rec.leaders).toEqual([{ leaderId: 3, epoch: 1 }]);
    expect(rec.batches).toEqual([]);
    expect(readQuorumState(dir)).toEqual({ leaderId: 3, leaderEpoch: 1, votedId: 3, currentVoters: [3] });
    expect(JSON.parse(readFileSync(join(dir, "quorum-state"), "utf8"))).toMatchObject({ data_version: 0, leaderEpoch: 1 });

    const { header, records } = decodeRecordBatch(store.read(0n, 1 << 20) as Buffer);
    expect(header.attributes & ATTR.CONTROL).toBe(ATTR.CONTROL);
    expect(header.partitionLeaderEpoch).toBe(1);
    expect(records[0]!.key).toEqual(Buffer.from([0, 0, 0, 2]));
    expect(controlRecordType(records[0]!.key)).toBe(ControlRecordType.LEADER_CHANGE);
    expect(decodeLeaderChange(records[0]!.value!)).toMatchObject({ version: 0, leaderId: 3, voters: [{ voterId: 3 }], grantingVoters: [{ voterId: 3 }] });
    expect(quorum.highWatermark()).toBe(1n);
    await quorum.close();
  });

  it("appends one batch per call, committed and delivered before it resolves", async () => {
    const dir = tmp();
    const { quorum, rec, store } = await open(dir);
    const result = await quorum.append(1, [topic("a"), topic("b")]);
    expect(result).toEqual({ baseOffset: 1n, lastOffset: 2n });
    expect(rec.batches).toHaveLength(1);
    expect(rec.batches[0]).toMatchObject({ baseOffset: 1n, lastOffset: 2n, epoch: 1, records: [topic("a"), topic("b")] });
    expect(quorum.highWatermark()).toBe(3n);
    const entries = [...iterateBatches(store.read(1n, 1 << 20) as Buffer)];
    const { header, records } = decodeRecordBatch(store.read(1n, 1 << 20) as Buffer);
    expect(entries).toHaveLength(1);
    expect(header).toMatchObject({ baseOffset: 1n, partitionLeaderEpoch: 1, magic: 2, recordCount: 2 });
    expect(header.attributes).toBe(0);
    expect(records.map((r) => r.key)).toEqual([null, null]);
    expect(decodeMetadataRecord(records[1]!.value!)).toEqual(topic("b"));
    await expect(quorum.append(0, [topic("c")])).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
    await quorum.close();
    await expect(quorum.append(1, [topic("c")])).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
  });

  it("replays committed batches (not control batches) after a restart, in a higher epoch", async () => {
    const dir = tmp();
    const first = await open(dir);
    await first.quorum.append(1, [topic("a")]);
    await first.quorum.append(1, [topic("b"), topic("c")]);
    await first.quorum.close();

    const second = await open(dir);
    expect(second.rec.batches.map((b) => [b.baseOffset, b.lastOffset, b.epoch, b.records.length])).toEqual([
      [1n, 1n, 1, 1],
      [2n, 3n, 1, 2],
    ]);
    expect(second.quorum.leaderAndEpoch().epoch).toBe(2);
    // The new epoch's leader change follows the old log.
    expect(second.quorum.endOffset()).toBe(5n);
    expect(await second.quorum.append(2, [topic("d")])).toEqual({ baseOffset: 5n, lastOffset: 5n });
    await second.quorum.close();

    // An epoch recorded in quorum-state beyond the log's is never reused.
    writeQuorumState(dir, { leaderId: 3, leaderEpoch: 9, votedId: 3, currentVoters: [3] });
    const third = await open(dir);
    expect(third.quorum.leaderAndEpoch().epoch).toBe(10);
    expect(third.rec.batches).toHaveLength(3);
    await third.quorum.close();
  });

  it("drops a torn tail on restart and replays what was intact", async () => {
    const dir = tmp();
    const first = await open(dir);
    await first.quorum.append(1, [topic("a")]);
    await first.quorum.close();
    const segment = readdirSync(dir).find((f) => f.endsWith(".log"))!;
    appendFileSync(join(dir, segment), Buffer.from([0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 99, 1, 2, 3]));
    const second = await open(dir);
    expect(second.rec.batches.map((b) => b.records)).toEqual([[topic("a")]]);
    expect(await second.quorum.append(2, [topic("b")])).toEqual({ baseOffset: 3n, lastOffset: 3n });
    await second.quorum.close();
  });

  it("stops accepting writes after a failed one", async () => {
    const dir = tmp();
    const memory = new MemoryRaftLogStore();
    let fail = false;
    const store: RaftLogStore = {
      logEndOffset: () => memory.logEndOffset(),
      append: (b) => memory.append(b),
      flush: () => {
        if (fail) throw new Error("disk on fire");
      },
      read: (o, m) => memory.read(o, m),
      truncateTo: (o) => memory.truncateTo(o),
      close: () => undefined,
    };
    const { quorum, rec } = await open(dir, store);
    fail = true;
    await expect(quorum.append(1, [topic("a")])).rejects.toMatchObject({ code: ErrorCode.KAFKA_STORAGE_ERROR });
    expect(rec.batches).toEqual([]);
    expect(quorum.isLeader()).toBe(false);
    fail = false;
    await expect(quorum.append(1, [topic("a")])).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });
  });
});
