import { describe, expect, it } from "vitest";
import pino from "pino";
import { ManualTime } from "../log/test-support.ts";
import { decodeRecordBatch } from "../protocol/records/record-batch.ts";
import { StateChangePublisher } from "./state-change-publisher.ts";
import type { StateChangeEvent } from "./state-change.ts";

const silent = pino({ level: "silent" });
const event = (to: string) => ({ machine: "group" as const, subject: "g1", from: "Empty", to, cause: "test", details: { generation: 1 }, epoch: 1 });

function decode(batch: Buffer): { key: string; value: StateChangeEvent }[] {
  return decodeRecordBatch(batch).records.map((r) => ({ key: r.key!.toString(), value: JSON.parse(r.value!.toString()) as StateChangeEvent }));
}

describe("StateChangePublisher", () => {
  it("holds events until it can append, then writes them in order keyed by subject, batching while an append is in flight", async () => {
    const time = new ManualTime(5000);
    const publisher = new StateChangePublisher(3, time, silent);
    publisher.sink(event("PreparingRebalance"));
    expect(publisher.backlog).toBe(1);
    const batches: Buffer[] = [];
    let release: () => void = () => {};
    publisher.setAppender((b) => {
      batches.push(b);
      return new Promise((r) => (release = r));
    });
    publisher.sink(event("CompletingRebalance"));
    publisher.sink(event("Stable"));
    expect(batches).toHaveLength(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(batches).toHaveLength(2);
    const written = batches.flatMap(decode);
    expect(written.map((w) => w.value.to)).toEqual(["PreparingRebalance", "CompletingRebalance", "Stable"]);
    expect(written.every((w) => w.key === "g1" && w.value.node === 3 && w.value.at === 5000 && w.value.machine === "group")).toBe(true);
  });

  it("keeps events after a failed append and retries them", async () => {
    const time = new ManualTime();
    const publisher = new StateChangePublisher(0, time, silent);
    let fail = true;
    const written: string[] = [];
    publisher.setAppender(async (b) => {
      if (fail) throw new Error("NOT_LEADER_OR_FOLLOWER");
      written.push(...decode(b).map((w) => w.value.to));
    });
    publisher.sink(event("PreparingRebalance"));
    await new Promise((r) => setImmediate(r));
    expect(publisher.backlog).toBe(1);
    fail = false;
    publisher.sink(event("CompletingRebalance"));
    time.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(written).toEqual(["PreparingRebalance", "CompletingRebalance"]);
    expect(publisher.backlog).toBe(0);
  });
});
