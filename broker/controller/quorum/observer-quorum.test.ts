import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ManualTime } from "../../log/test-support.ts";
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { metadataRecord } from "../metadata-record-serde.ts";
import type { CommittedBatch, LeaderAndEpoch, QuorumListener } from "./metadata-quorum.ts";
import type { MetadataLogFetch } from "./observer-quorum.ts";
import { ObserverQuorum } from "./observer-quorum.ts";
import { MemoryRaftLogStore } from "./raft-log-store.ts";
import { SingleVoterQuorum } from "./single-voter-quorum.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

class Recorder implements QuorumListener {
  names: string[] = [];
  leaders: LeaderAndEpoch[] = [];
  handleCommit(batch: CommittedBatch): void {
    for (const r of batch.records) if (r.type === "TopicRecord") this.names.push(r.data.name);
  }
  handleLeaderChange(leader: LeaderAndEpoch): void {
    this.leaders.push(leader);
  }
}

const topic = (name: string) => metadataRecord("TopicRecord", { name, topicId: "AAAAAAAAAAAAAAAAAAAAQQ" });
const tick = () => new Promise((r) => setImmediate(r));

async function leader(time: ManualTime) {
  const dir = mkdtempSync(join(tmpdir(), "samsa-observer-"));
  dirs.push(dir);
  const quorum = new SingleVoterQuorum({ nodeId: 0, dir: join(dir, "__cluster_metadata-0"), store: new MemoryRaftLogStore(), clock: time });
  await quorum.start();
  return quorum;
}

function observer(time: ManualTime, fetch: MetadataLogFetch, store = new MemoryRaftLogStore()) {
  const rec = new Recorder();
  const quorum = new ObserverQuorum({ nodeId: 5, store, fetch, clock: time, logger: pino({ level: "silent" }), fetchMaxWaitMs: 500, retryBackoffMs: 100, readChunkBytes: 200 });
  quorum.register(rec);
  return { quorum, rec, store };
}

describe("ObserverQuorum", () => {
  it("follows the leader's committed log in order, in chunks, and learns the leader", async () => {
    const time = new ManualTime();
    const lead = await leader(time);
    for (let i = 0; i < 20; i++) await lead.append(1, [topic(`t${i}`)]);
    const { quorum, rec, store } = observer(time, (r) => lead.readCommitted(r.fetchOffset, r.maxBytes, r.maxWaitMs));
    await quorum.start();
    for (let i = 0; i < 50 && store.logEndOffset() < lead.highWatermark(); i++) await tick();
    expect(rec.names).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
    expect(store.logEndOffset()).toBe(lead.endOffset());
    expect(quorum.leaderAndEpoch()).toEqual({ leaderId: 0, epoch: 1 });
    expect(quorum.isLeader()).toBe(false);
    await expect(quorum.append(1, [topic("x")])).rejects.toMatchObject({ code: ErrorCode.NOT_CONTROLLER });

    // A long-polling fetch is answered as soon as the leader commits more.
    await lead.append(1, [topic("late")]);
    for (let i = 0; i < 20 && !rec.names.includes("late"); i++) await tick();
    expect(rec.names.at(-1)).toBe("late");
    const closing = quorum.close();
    time.advance(500); // the leader answers the open long poll
    await closing;
  });

  it("replays its own copy at start before asking anyone, and retries while the leader is unreachable", async () => {
    const time = new ManualTime();
    const lead = await leader(time);
    await lead.append(1, [topic("a"), topic("b")]);
    const first = observer(time, (r) => lead.readCommitted(r.fetchOffset, r.maxBytes, r.maxWaitMs));
    await first.quorum.start();
    for (let i = 0; i < 20 && first.rec.names.length < 2; i++) await tick();
    const closing = first.quorum.close();
    time.advance(500);
    await closing;

    let reachable = false;
    let attempts = 0;
    const second = observer(
      time,
      (r) => {
        attempts++;
        if (!reachable) return Promise.reject(new Error("connect ECONNREFUSED"));
        return lead.readCommitted(r.fetchOffset, r.maxBytes, r.maxWaitMs);
      },
      first.store,
    );
    await second.quorum.start();
    // The local copy is all committed: the image is back before any fetch succeeds.
    expect(second.rec.names).toEqual(["a", "b"]);
    await tick();
    time.advance(100);
    await tick();
    expect(attempts).toBeGreaterThanOrEqual(2);
    await lead.append(1, [topic("c")]);
    reachable = true;
    time.advance(100);
    for (let i = 0; i < 20 && second.rec.names.length < 3; i++) await tick();
    expect(second.rec.names).toEqual(["a", "b", "c"]);
    const closingSecond = second.quorum.close();
    time.advance(500);
    await closingSecond;
  });

  it("the leader serves only committed data and refuses offsets past its high watermark", async () => {
    const time = new ManualTime();
    const lead = await leader(time);
    await lead.append(1, [topic("a")]);
    const read = await lead.readCommitted(0n, 1 << 20, 0);
    expect(read.highWatermark).toBe(lead.endOffset());
    await expect(lead.readCommitted(lead.highWatermark() + 1n, 1 << 20, 0)).rejects.toBeInstanceOf(KafkaError);
    await expect(lead.readCommitted(lead.highWatermark() + 1n, 1 << 20, 0)).rejects.toMatchObject({ code: ErrorCode.OFFSET_OUT_OF_RANGE });
    // Nothing new: the fetch waits maxWaitMs, then answers empty.
    const waiting = lead.readCommitted(lead.highWatermark(), 1 << 20, 500);
    time.advance(500);
    expect((await waiting).records.length).toBe(0);
  });
});
