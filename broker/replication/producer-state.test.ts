import { describe, expect, it } from "vitest";
import { ProducerStateManager, type ProducerBatch } from "./producer-state.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

const batch = (seq: number, count: number, offset: number, epoch = 0, pid = 7): ProducerBatch => ({
  producerId: pid,
  producerEpoch: epoch,
  baseSequence: seq,
  recordCount: count,
  firstOffset: offset,
  lastOffset: offset + count - 1,
  maxTimestamp: 1000 + offset,
});

function appendAll(psm: ProducerStateManager, ...batches: ProducerBatch[]): void {
  for (const b of batches) {
    expect(psm.check(b)).toEqual({ kind: "append" });
    psm.update(b);
  }
}

const codeOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof KafkaError ? e.code : -999;
  }
  return undefined;
};

describe("ProducerStateManager", () => {
  it("accepts in-order sequences and answers a retried batch as a duplicate with its offsets", () => {
    const psm = new ProducerStateManager();
    appendAll(psm, batch(0, 3, 0), batch(3, 2, 3));
    expect(psm.check(batch(0, 3, 99))).toEqual({ kind: "duplicate", firstOffset: 0, lastOffset: 2, maxTimestamp: 1000 });
    expect(psm.check(batch(3, 2, 99))).toMatchObject({ kind: "duplicate", firstOffset: 3, lastOffset: 4 });
  });

  it("rejects gaps and reordering with OUT_OF_ORDER_SEQUENCE_NUMBER", () => {
    const psm = new ProducerStateManager();
    appendAll(psm, batch(0, 3, 0));
    expect(codeOf(() => psm.check(batch(4, 1, 3)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(codeOf(() => psm.check(batch(1, 1, 3)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it("fences older epochs and requires sequence 0 after an epoch bump", () => {
    const psm = new ProducerStateManager();
    appendAll(psm, batch(0, 1, 0, 1));
    expect(codeOf(() => psm.check(batch(1, 1, 1, 0)))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(codeOf(() => psm.check(batch(5, 1, 1, 2)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    appendAll(psm, batch(0, 1, 1, 2));
  });

  it("lets an unknown producer resume at any sequence, and forgets only the last five batches", () => {
    const psm = new ProducerStateManager();
    appendAll(psm, batch(42, 1, 0));
    for (let i = 1; i <= 6; i++) appendAll(psm, batch(42 + i, 1, i));
    expect(codeOf(() => psm.check(batch(43, 1, 99)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(psm.check(batch(48, 1, 99))).toMatchObject({ kind: "duplicate", firstOffset: 6 });
  });

  it("wraps sequence numbers at Int32.MAX_VALUE", () => {
    const psm = new ProducerStateManager();
    appendAll(psm, batch(2 ** 31 - 2, 2, 0));
    appendAll(psm, batch(0, 1, 2));
  });

  it("forgets producers idle longer than producer.id.expiration.ms, after which they may resume anywhere", () => {
    const psm = new ProducerStateManager();
    appendAll(psm, batch(0, 2, 0), batch(0, 1, 2, 0, 8));
    psm.expire(1000 + 2 + 500, 1000);
    expect(codeOf(() => psm.check(batch(9, 1, 3)))).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    psm.expire(1000 + 2 + 1001, 1000);
    expect(psm.check(batch(9, 1, 3))).toEqual({ kind: "append" });
  });
});
