import { describe, expect, it } from "vitest";
import { Purgatory, type DelayedOperation } from "./purgatory.ts";
import { ManualTime } from "../log/test-support.ts";

function op(ready: () => boolean) {
  const events: string[] = [];
  const o: DelayedOperation = {
    tryComplete: () => {
      if (!ready()) return false;
      events.push("complete");
      return true;
    },
    expire: () => events.push("expire"),
  };
  return { o, events };
}

describe("Purgatory", () => {
  it("completes immediately when the condition already holds", () => {
    const p = new Purgatory(new ManualTime());
    const { o, events } = op(() => true);
    p.tryCompleteElseWatch(o, ["t-0"], 100);
    expect(events).toEqual(["complete"]);
    expect(p.size).toBe(0);
  });

  it("completes a watched operation on a key change, once, and cancels its timer", () => {
    const timer = new ManualTime();
    const p = new Purgatory(timer);
    let ready = false;
    const { o, events } = op(() => ready);
    p.tryCompleteElseWatch(o, ["t-0", "t-1"], 100);
    p.checkAndComplete("t-1");
    expect(events).toEqual([]);
    ready = true;
    p.checkAndComplete("t-0");
    p.checkAndComplete("t-1");
    timer.advance(200);
    expect(events).toEqual(["complete"]);
    expect(p.size).toBe(0);
  });

  it("expires an operation whose condition never holds", () => {
    const timer = new ManualTime();
    const p = new Purgatory(timer);
    const { o, events } = op(() => false);
    p.tryCompleteElseWatch(o, ["t-0"], 100);
    timer.advance(99);
    expect(events).toEqual([]);
    timer.advance(1);
    expect(events).toEqual(["expire"]);
    p.checkAndComplete("t-0");
    expect(events).toEqual(["expire"]);
  });
});
