import { describe, expect, it } from "vitest";
import { InvalidReplicationFactorError, placeReplicas, type UsableBroker } from "./replica-placer.ts";
import { seededRandom } from "../util/seeded-random.ts";

const brokers = (n: number, rack?: (id: number) => string | null, fenced: number[] = []): UsableBroker[] =>
  Array.from({ length: n }, (_, id) => ({ id, rack: rack ? rack(id) : null, fenced: fenced.includes(id) }));

describe("placeReplicas", () => {
  it("gives distinct replicas and spreads leaders and followers evenly", () => {
    const out = placeReplicas({ startPartition: 0, numPartitions: 12, replicationFactor: 3 }, brokers(4), seededRandom(1));
    expect(out).toHaveLength(12);
    const leaders = new Map<number, number>();
    const all = new Map<number, number>();
    for (const r of out) {
      expect(new Set(r).size).toBe(3);
      leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1);
      for (const b of r) all.set(b, (all.get(b) ?? 0) + 1);
    }
    expect([...leaders.values()]).toEqual([3, 3, 3, 3]);
    expect([...all.values()]).toEqual([9, 9, 9, 9]);
  });

  it("is deterministic for a seed", () => {
    const spec = { startPartition: 0, numPartitions: 5, replicationFactor: 2 };
    expect(placeReplicas(spec, brokers(3), seededRandom(9))).toEqual(placeReplicas(spec, brokers(3), seededRandom(9)));
  });

  it("alternates racks", () => {
    const out = placeReplicas({ startPartition: 0, numPartitions: 6, replicationFactor: 2 }, brokers(4, (id) => (id < 2 ? "a" : "b")), seededRandom(3));
    const rackOf = (id: number) => (id < 2 ? "a" : "b");
    const spanning = out.filter((r) => rackOf(r[0]!) !== rackOf(r[1]!)).length;
    expect(spanning).toBeGreaterThanOrEqual(3);
  });

  it("uses fenced brokers only as non-leading fill-ins", () => {
    const out = placeReplicas({ startPartition: 0, numPartitions: 4, replicationFactor: 3 }, brokers(3, undefined, [1, 2]), seededRandom(5));
    for (const r of out) {
      expect(r[0]).toBe(0);
      expect(new Set(r).size).toBe(3);
    }
  });

  it("explains impossible placements", () => {
    const spec = (rf: number) => ({ startPartition: 0, numPartitions: 1, replicationFactor: rf });
    expect(() => placeReplicas(spec(0), brokers(1), Math.random)).toThrow("Invalid replication factor 0: the replication factor must be positive.");
    expect(() => placeReplicas(spec(2), brokers(1), Math.random)).toThrow(
      "The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.",
    );
    expect(() => placeReplicas(spec(1), brokers(2, undefined, [0, 1]), Math.random)).toThrow(InvalidReplicationFactorError);
  });
});
