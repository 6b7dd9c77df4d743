import { describe, expect, it } from "vitest";
import { movingBrokers, partitionMoves, topicThrottles } from "./reassignment-throttles.ts";

describe("reassignment throttles", () => {
  it("throttles the sources as leaders and the new replicas as followers, on every broker involved", () => {
    const moves = partitionMoves(
      [],
      [
        { topic: "t", partition: 0, replicas: [1, 2] },
        { topic: "t", partition: 10, replicas: [3, 0] },
      ],
      new Map([
        ["t-0", [0, 1]],
        ["t-10", [0, 3]],
      ]),
    );
    // Sorted as text, as Kafka's TreeSet of "partition:broker" strings.
    expect(topicThrottles(moves)).toEqual(new Map([["t", { leader: "0:0,0:1,10:0,10:3", follower: "0:2" }]]));
    expect(movingBrokers(moves)).toEqual([0, 1, 2, 3]);
  });

  it("keeps the sources of a reassignment already under way (--additional)", () => {
    const ongoing = [{ topic: "u", partition: 0, replicas: [2, 3, 0], adding: [2, 3] }];
    const moves = partitionMoves(ongoing, [{ topic: "u", partition: 0, replicas: [3, 4] }], new Map([["u-0", [2, 3, 0]]]));
    expect(topicThrottles(moves)).toEqual(new Map([["u", { leader: "0:0", follower: "0:3,0:4" }]]));
    expect(movingBrokers(moves)).toEqual([0, 3, 4]);
  });
});
