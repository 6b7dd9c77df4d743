import { describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import { partitionFor } from "../../coordinator/partition-for.ts";
import { findCoordinatorHandler } from "./find-coordinator.ts";
import { broker, call, image, testServices } from "./groups-test-support.ts";

const req = (key: string, keyType = 0, coordinatorKeys: string[] = []) => ({ key, keyType, coordinatorKeys });

describe("FindCoordinator", () => {
  it("answers the leader of the group's __consumer_offsets partition on the client's listener (v0-3)", async () => {
    const t = await testServices({ offsetsTopicNumPartitions: 50 });
    // "my-group" is in partition 12; partition p is led by broker p % 3.
    t.setImage(image([broker(0), broker(1), broker(2)], { __consumer_offsets: 50 }, (_, p) => p % 3));
    const handler = findCoordinatorHandler(t.services);
    for (const v of [0, 1, 2, 3]) {
      const r = await call(handler, 10, v, req("my-group"));
      expect(r).toMatchObject({ errorCode: 0, nodeId: 0, host: "broker0", port: 9092 });
      if (v >= 1) expect(r.errorMessage).toBe("NONE");
    }
    expect(await call(handler, 10, 3, req("hello"))).toMatchObject({ nodeId: 22 % 3, host: "broker1", port: 9093 });
    expect(t.ensured).toEqual([]);
  });

  it("creates the internal topic on first use and answers COORDINATOR_NOT_AVAILABLE when it cannot", async () => {
    const t = await testServices();
    t.setImage(image([broker(0)], {}));
    t.ensureFailure = new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, "need 3 brokers");
    const handler = findCoordinatorHandler(t.services);
    const r = await call(handler, 10, 2, req("g"));
    expect(r).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: "The coordinator is not available.", nodeId: -1, host: "", port: -1 });
    expect(t.ensured).toEqual(["__consumer_offsets"]);

    t.ensureFailure = null;
    const withTopic = image([broker(0)], { __consumer_offsets: 1 });
    t.services.ensureInternalTopic = async (name) => {
      t.ensured.push(name);
      t.setImage(withTopic);
    };
    expect(await call(handler, 10, 2, req("g"))).toMatchObject({ errorCode: 0, nodeId: 0 });
  });

  it("answers COORDINATOR_NOT_AVAILABLE without a live leader", async () => {
    const t = await testServices();
    const handler = findCoordinatorHandler(t.services);
    t.setImage(image([broker(0)], { __consumer_offsets: 1 }, () => -1));
    expect((await call(handler, 10, 1, req("g"))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    t.setImage(image([broker(0, "b", 1, true)], { __consumer_offsets: 1 }, () => 0));
    expect((await call(handler, 10, 1, req("g"))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });

  it("batches keys in v4+ with an answer per key", async () => {
    const t = await testServices({ offsetsTopicNumPartitions: 50 });
    t.setImage(image([broker(0), broker(1)], { __consumer_offsets: 50 }, (_, p) => (p === 12 ? 1 : p === 22 ? -1 : 0)));
    const handler = findCoordinatorHandler(t.services);
    for (const v of [4, 5, 6]) {
      const r = await call(handler, 10, v, req("", 0, ["my-group", "hello", "a"]));
      expect(r.coordinators).toEqual([
        { key: "my-group", nodeId: 1, host: "broker1", port: 9093, errorCode: 0, errorMessage: null },
        { key: "hello", nodeId: -1, host: "", port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null },
        { key: "a", nodeId: 0, host: "broker0", port: 9092, errorCode: 0, errorMessage: null },
      ]);
    }
  });

  it("locates transactional ids in __transaction_state", async () => {
    const t = await testServices({}, { "transaction.state.log.num.partitions": "7" });
    const p = partitionFor("txn-1", 7);
    t.setImage(image([broker(0), broker(1)], { __transaction_state: 7 }, (_, q) => (q === p ? 1 : 0)));
    expect(await call(findCoordinatorHandler(t.services), 10, 3, req("txn-1", 1))).toMatchObject({ errorCode: 0, nodeId: 1 });
    expect(t.ensured).toEqual([]);
  });

  it("refuses share groups before v6 and unknown key types", async () => {
    const t = await testServices();
    const handler = findCoordinatorHandler(t.services);
    expect((await call(handler, 10, 5, req("", 2, ["s"]))).coordinators[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await call(handler, 10, 6, req("", 2, ["s"]))).coordinators[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const bad = await call(handler, 10, 4, req("", 9, ["x", "y"]));
    expect(bad.coordinators.map((c) => c.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect(bad.coordinators[0]!.errorMessage).toMatch(/malformed/);
    expect((await call(handler, 10, 1, req("x", 9))).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});
