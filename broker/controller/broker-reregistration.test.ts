import { afterEach, describe, expect, it } from "vitest";
import { controllerWithBrokers, testRegistration } from "./test-support.ts";

/**
 * A broker that comes back as a new incarnation (a crash and restart) may have lost the
 * unflushed tail of its logs. Found by the replication simulation (seed 80 of
 * broker/replication/replication.simulation.test.ts): the restarted leader registered after
 * its session ran out but before the session check fenced it, kept its leadership and ISR
 * places, led its old epoch again with a shorter log, and its followers truncated committed,
 * acks=all acknowledged records to match it.
 */

const SESSION_MS = 9000;
let close = () => {};
afterEach(() => close());

/** Brokers 1-3 registered and unfenced; topic "t" on [1,2,3] and [2,1,3]. Time never advances on its own, so no fencing interferes. */
async function cluster() {
  const c = await controllerWithBrokers({ brokers: [1, 2, 3], config: { "broker.session.timeout.ms": String(SESSION_MS) }, seed: 5 });
  close = c.close;
  const [created] = await c.controller.createTopics({
    topics: [{ name: "t", numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }, { partitionIndex: 1, brokerIds: [2, 1, 3] }], configs: [] }],
    validateOnly: false,
  });
  expect(created!.errorCode).toBe(0);
  return { controller: c.controller, time: c.time };
}

describe("a broker registering a new incarnation", () => {
  it("leaves every ISR and leadership in the same commit, so it cannot lead its old epoch with a log that lost its tail", async () => {
    const { controller, time } = await cluster();
    expect(controller.image.partition("t", 0)).toMatchObject({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0 });
    // Broker 1 crashed: its session runs out, and it registers again before any fencing ran.
    time.current += SESSION_MS + 1;
    await controller.registerBroker({ brokerId: 1, ...testRegistration() });

    const led = controller.image.partition("t", 0)!;
    expect(led.leader).not.toBe(1);
    expect(led.leaderEpoch).toBe(1);
    expect(led.isr).not.toContain(1);
    expect(controller.image.partition("t", 1)).toMatchObject({ leader: 2, isr: [2, 3] });
    expect(controller.image.brokers.get(1)?.fenced).toBe(true);
  });

  it("changes nothing for a retried registration of the same incarnation", async () => {
    const { controller } = await cluster();
    const reg = testRegistration();
    await controller.registerBroker({ brokerId: 4, ...reg });
    const before = controller.image.partition("t", 0);
    await controller.registerBroker({ brokerId: 4, ...reg });
    expect(controller.image.partition("t", 0)).toEqual(before);
  });
});
