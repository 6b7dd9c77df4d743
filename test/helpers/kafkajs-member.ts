// A kafkajs group member in its own process, for tests that kill it (SIGKILL: no LeaveGroup).
// Usage: node --import tsx kafkajs-member.ts BOOTSTRAP GROUP TOPIC [SESSION_TIMEOUT_MS] [ASSIGNER]
// Prints JSON lines: {"event":"joined","memberId","assignment"}, {"event":"message",...},
// {"event":"committed",...}. ASSIGNER "roundrobin" uses the shared round-robin assigner.
import { Kafka, logLevel } from "kafkajs";
import { roundRobinAssigner } from "./roundrobin-assigner.ts";

const [bootstrap, groupId, topic, session = "6000", assigner = ""] = process.argv.slice(2);
if (!bootstrap || !groupId || !topic) throw new Error("usage: kafkajs-member.ts BOOTSTRAP GROUP TOPIC [SESSION_TIMEOUT_MS] [ASSIGNER]");

const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + "\n");

const kafka = new Kafka({ clientId: `member-${process.pid}`, brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: Number(session),
  rebalanceTimeout: 10_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 250,
  ...(assigner === "roundrobin" ? { partitionAssigners: [roundRobinAssigner] } : {}),
});
consumer.on(consumer.events.GROUP_JOIN, (e) => out({ event: "joined", memberId: e.payload.memberId, assignment: e.payload.memberAssignment }));
consumer.on(consumer.events.COMMIT_OFFSETS, (e) => out({ event: "committed", topics: e.payload.topics }));
consumer.on(consumer.events.CRASH, (e) => out({ event: "crash", error: String(e.payload.error) }));

await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    out({ event: "message", partition, offset: Number(message.offset), value: message.value?.toString() ?? null });
  },
});
out({ event: "running" });

process.stdin.on("data", (d) => {
  if (d.toString().includes("stop")) void consumer.disconnect().then(() => process.exit(0));
});
