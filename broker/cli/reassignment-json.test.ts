import { describe, expect, it } from "vitest";
import { formatReassignmentPlan, parseReassignmentPlan, parseTopicsToMove } from "./reassignment-json.ts";

describe("kafka-reassign-partitions JSON files", () => {
  it("writes a plan as Kafka does (sorted, log_dirs any) and reads it back", () => {
    const text = formatReassignmentPlan([
      { topic: "b", partition: 0, replicas: [2, 1] },
      { topic: "a", partition: 1, replicas: [0] },
      { topic: "a", partition: 0, replicas: [1, 2] },
    ]);
    expect(text).toBe(
      '{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any","any"]},{"topic":"a","partition":1,"replicas":[0],"log_dirs":["any"]},{"topic":"b","partition":0,"replicas":[2,1],"log_dirs":["any","any"]}]}',
    );
    expect(parseReassignmentPlan(text).map((p) => `${p.topic}-${p.partition}:${p.replicas.join(",")}`)).toEqual(["a-0:1,2", "a-1:0", "b-0:2,1"]);
  });

  it("reads a plan without version or log_dirs, and a topics file", () => {
    expect(parseReassignmentPlan('{"partitions":[{"topic":"t","partition":3,"replicas":[1]}]}')).toEqual([{ topic: "t", partition: 3, replicas: [1] }]);
    expect(parseTopicsToMove('{"version":1,"topics":[{"topic":"x"},{"topic":"y"}]}')).toEqual(["x", "y"]);
  });

  it("refuses what Kafka refuses, with its messages", () => {
    const plan = (partitions: unknown) => () => parseReassignmentPlan(JSON.stringify({ version: 1, partitions }));
    expect(() => parseReassignmentPlan("{")).toThrow("The input string is not a valid JSON");
    expect(() => parseReassignmentPlan('{"version":2,"partitions":[]}')).toThrow("Not supported version field value 2");
    expect(plan([])).toThrow("Partition reassignment list cannot be empty");
    expect(plan([{ topic: "t", partition: 0, replicas: [] }])).toThrow("Partition replica list cannot be empty");
    expect(plan([{ topic: "t", partition: 0, replicas: [1] }, { topic: "t", partition: 0, replicas: [2] }])).toThrow("Partition reassignment contains duplicate topic partitions: t-0");
    expect(plan([{ topic: "t", partition: 0, replicas: [1, 2, 1] }])).toThrow("Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1");
    expect(plan([{ topic: "t", partition: 0, replicas: [1, 2], log_dirs: ["any"] }])).toThrow("Size of replicas list [1,2] is different from size of log dirs list");
    expect(plan([{ topic: "t", partition: 0, replicas: [1], log_dirs: ["/data"] }])).toThrow('log_dirs other than "any" are not supported');
    expect(plan([{ topic: "t", partition: -1, replicas: [1] }])).toThrow('needs a "partition" number');
    expect(() => parseTopicsToMove('{"version":1,"topics":[{"topic":"x"},{"topic":"x"}]}')).toThrow("List of topics to reassign contains duplicate entries: x");
  });
});
