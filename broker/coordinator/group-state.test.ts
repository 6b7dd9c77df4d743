import { describe, expect, it } from "vitest";
import { ALL_GROUP_STATES, GroupState, GroupStateMachine, IllegalGroupStateTransition, VALID_PREVIOUS_STATES, type GroupStateChange, type GroupStateName } from "./group-state.ts";

const LEGAL: [GroupStateName, GroupStateName][] = [
  ["Empty", "PreparingRebalance"],
  ["Stable", "PreparingRebalance"],
  ["CompletingRebalance", "PreparingRebalance"],
  ["PreparingRebalance", "CompletingRebalance"],
  ["CompletingRebalance", "Stable"],
  ["PreparingRebalance", "Empty"],
  ["Empty", "Dead"],
  ["PreparingRebalance", "Dead"],
  ["CompletingRebalance", "Dead"],
  ["Stable", "Dead"],
  ["Dead", "Dead"],
];

function machine(initial: GroupStateName, events: GroupStateChange[] = [], now = 1000): GroupStateMachine {
  return new GroupStateMachine("g", initial, () => now, () => ({ generation: 3, protocolType: "consumer", protocol: "range", leader: "m-1", members: 2 }), (e) => events.push(e));
}

describe("GroupStateMachine", () => {
  it("has exactly Kafka's five states and transition table", () => {
    expect([...ALL_GROUP_STATES].sort()).toEqual(["CompletingRebalance", "Dead", "Empty", "PreparingRebalance", "Stable"]);
    const table = ALL_GROUP_STATES.flatMap((to) => VALID_PREVIOUS_STATES[to].map((from) => `${from}->${to}`)).sort();
    expect(table).toEqual(LEGAL.map(([f, t]) => `${f}->${t}`).sort());
  });

  it.each(LEGAL)("allows %s -> %s and reports it", (from, to) => {
    const events: GroupStateChange[] = [];
    const sm = machine(from, events);
    sm.transitionTo(to, "because");
    expect(sm.state).toBe(to);
    expect(events).toEqual([
      { group: "g", from, to, cause: "because", details: { generation: 3, protocolType: "consumer", protocol: "range", leader: "m-1", members: 2 } },
    ]);
  });

  const illegal: [GroupStateName, GroupStateName][] = [];
  for (const from of ALL_GROUP_STATES) for (const to of ALL_GROUP_STATES) if (!LEGAL.some(([f, t]) => f === from && t === to)) illegal.push([from, to]);

  it.each(illegal)("refuses %s -> %s", (from, to) => {
    const events: GroupStateChange[] = [];
    const sm = machine(from, events);
    expect(() => sm.transitionTo(to, "bug")).toThrow(IllegalGroupStateTransition);
    expect(sm.state).toBe(from);
    expect(events).toEqual([]);
  });

  it("records when the state was entered and survives a throwing listener", () => {
    let now = 5;
    const errors: unknown[] = [];
    const sm = new GroupStateMachine("g", GroupState.Empty, () => now, () => ({ generation: 0, protocolType: null, protocol: null, leader: null, members: 0 }), () => {
      throw new Error("listener down");
    }, (e) => errors.push(e));
    expect(sm.stateTimestamp).toBe(5);
    now = 42;
    sm.transitionTo(GroupState.PreparingRebalance, "join");
    expect(sm.stateTimestamp).toBe(42);
    expect(sm.is(GroupState.PreparingRebalance)).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
