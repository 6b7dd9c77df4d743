import { readFileSync } from "node:fs";
import { WireConnection } from "../network/kafka-connection.ts";
import { placeReplicas } from "../controller/replica-placer.ts";
import { ErrorCode, errorName } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/generated/apis.ts";
import { ZERO_UUID } from "../protocol/generated/support.ts";
import {
  byTopicPartition,
  formatReassignmentPlan,
  parseReassignmentPlan,
  parseTopicsToMove,
  partitionName,
  type PartitionReplicas,
} from "./reassignment-json.ts";
import { BROKER_THROTTLE_RATES, BROKER_THROTTLES, TOPIC_THROTTLES, movingBrokers, partitionMoves, topicThrottles } from "./reassignment-throttles.ts";

export const REASSIGN_USAGE = `  samsa reassign --bootstrap-server H:P[,H:P...] ACTION   (Kafka's kafka-reassign-partitions)
      --generate --topics-to-move-json-file F --broker-list 0,1,2 [--disable-rack-aware]
      --execute --reassignment-json-file F [--additional] [--throttle BYTES_PER_SEC]
      --verify --reassignment-json-file F [--preserve-throttles]
      --cancel --reassignment-json-file F [--preserve-throttles]
      --list
    --throttle sets Kafka's replication throttle configs, which --verify (once done) and --cancel
    clear; Samsa brokers store them but do not enforce them yet.`;

const ACTIONS = ["generate", "execute", "verify", "cancel", "list"] as const;
type Action = (typeof ACTIONS)[number];
const SWITCHES = new Set<string>([...ACTIONS, "additional", "disable-rack-aware", "preserve-throttles"]);
const VALUED = new Set(["bootstrap-server", "topics-to-move-json-file", "broker-list", "reassignment-json-file", "throttle"]);
/** The options each action takes besides --bootstrap-server (Kafka refuses the others too). */
const OPTIONS_OF: Record<Action, { required: string[]; optional: string[] }> = {
  generate: { required: ["topics-to-move-json-file", "broker-list"], optional: ["disable-rack-aware"] },
  execute: { required: ["reassignment-json-file"], optional: ["additional", "throttle"] },
  verify: { required: ["reassignment-json-file"], optional: ["preserve-throttles"] },
  cancel: { required: ["reassignment-json-file"], optional: ["preserve-throttles"] },
  list: { required: [], optional: [] },
};

/** A command line the tool cannot act on; shown with the usage text, exit 2. */
class UsageError extends Error {}

/** A failure reported by the cluster or found in the operator's input; exit 1. */
class ReassignError extends Error {}

interface ReassignOptions {
  action: Action;
  bootstrap: string[];
  values: Map<string, string>;
  switches: Set<string>;
}

export function parseReassignOptions(argv: readonly string[]): ReassignOptions {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === "replica-alter-log-dirs-throttle") throw new UsageError(`--${name} is not supported: Samsa brokers have one log directory`);
    if (SWITCHES.has(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      switches.add(name);
    } else if (VALUED.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else throw new UsageError(`unknown option --${name}`);
  }
  const actions = ACTIONS.filter((a) => switches.has(a));
  if (actions.length !== 1) throw new UsageError(`Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(", ")}`);
  const action = actions[0]!;
  const bootstrap = values.get("bootstrap-server");
  if (!bootstrap) throw new UsageError("Please specify --bootstrap-server");
  const { required, optional } = OPTIONS_OF[action];
  for (const r of required) if (!values.has(r)) throw new UsageError(`Missing required argument "--${r}" for action "--${action}"`);
  for (const given of [...values.keys(), ...switches]) {
    if (given !== action && given !== "bootstrap-server" && !required.includes(given) && !optional.includes(given)) {
      throw new UsageError(`Option "--${given}" can't be used with action "--${action}"`);
    }
  }
  const throttle = values.get("throttle");
  if (throttle !== undefined && !/^\d+$/.test(throttle)) throw new UsageError(`--throttle must be a rate in bytes per second, got "${throttle}"`);
  return { action, bootstrap: bootstrap.split(",").map((s) => s.trim()), values, switches };
}

/** Connects to the first bootstrap server that answers. */
async function connect(bootstrap: readonly string[]): Promise<WireConnection> {
  const failures: string[] = [];
  for (const address of bootstrap) {
    try {
      return await WireConnection.open(address, { clientId: "samsa-reassign", timeoutMs: 40_000 });
    } catch (e) {
      failures.push(e instanceof Error ? e.message : String(e));
    }
  }
  throw new ReassignError(`no bootstrap server answered: ${failures.join("; ")}`);
}

function readInput(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new ReassignError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** "CODE_NAME: message" (the message only when the broker sent one). */
const describeError = (code: number, message: string | null) => (message ? `${errorName(code)}: ${message}` : errorName(code));

/** The cluster as the reassignment tool needs it, over the generated codec. */
class ReassignmentAdmin {
  constructor(private readonly wire: WireConnection) {}

  /** Sets the rate on these brokers and the throttled replicas on these topics. */
  async setThrottles(rate: string, brokers: readonly number[], topics: ReadonlyMap<string, { leader: string; follower: string }>): Promise<void> {
    await alterConfigs(this.wire, [
      ...[...topics].map(([topic, t]) => ({
        resourceType: RESOURCE_TOPIC,
        resourceName: topic,
        configs: [
          { name: TOPIC_THROTTLES.leader, configOperation: OP_SET, value: t.leader },
          { name: TOPIC_THROTTLES.follower, configOperation: OP_SET, value: t.follower },
        ],
      })),
      ...brokers.map((id) => ({ resourceType: RESOURCE_BROKER, resourceName: String(id), configs: BROKER_THROTTLE_RATES.map((name) => ({ name, configOperation: OP_SET, value: rate })) })),
    ]);
  }

  /** Deletes the throttle configs of these brokers and topics. */
  async clearThrottles(brokers: readonly number[], topics: readonly string[]): Promise<void> {
    await alterConfigs(this.wire, [
      ...brokers.map((id) => ({ resourceType: RESOURCE_BROKER, resourceName: String(id), configs: BROKER_THROTTLES.map((name) => ({ name, configOperation: OP_DELETE, value: null })) })),
      ...topics.map((topic) => ({ resourceType: RESOURCE_TOPIC, resourceName: topic, configs: Object.values(TOPIC_THROTTLES).map((name) => ({ name, configOperation: OP_DELETE, value: null })) })),
    ]);
  }

  private async metadata(topics: readonly string[]) {
    const v = this.wire.version(ApiKey.Metadata, 1, 12);
    const md = await this.wire.request(ApiKey.Metadata, v, {
      topics: topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    return md;
  }

  /** Registered brokers, with their racks. */
  async brokers(): Promise<{ id: number; rack: string | null }[]> {
    const md = await this.metadata([]);
    return md.brokers.map((b) => ({ id: b.nodeId, rack: b.rack })).sort((a, b) => a.id - b.id);
  }

  /** Every partition's replicas for these topics; an unknown topic is an error. */
  async assignments(topics: readonly string[]): Promise<PartitionReplicas[]> {
    const md = await this.metadata([...new Set(topics)]);
    const out: PartitionReplicas[] = [];
    for (const t of md.topics) {
      if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new ReassignError(`${errorName(t.errorCode)}: Topic ${t.name} not found.`);
      if (t.errorCode !== ErrorCode.NONE) throw new ReassignError(`${errorName(t.errorCode)}: cannot describe topic ${t.name}`);
      for (const p of t.partitions) out.push({ topic: t.name!, partition: p.partitionIndex, replicas: p.replicaNodes });
    }
    return out.sort(byTopicPartition);
  }

  /** The current replicas of exactly these partitions; a missing one is an error. */
  async assignmentsOf(partitions: readonly PartitionReplicas[]): Promise<Map<string, number[]>> {
    const all = new Map((await this.assignments(partitions.map((p) => p.topic))).map((p) => [partitionName(p), p.replicas]));
    const missing = partitions.map(partitionName).filter((n) => !all.has(n));
    if (missing.length > 0) throw new ReassignError(`${errorName(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)}: Unable to find partition: ${missing.join(", ")}`);
    return all;
  }

  /** Ongoing reassignments, of these partitions or (null) of the whole cluster. */
  async ongoing(partitions: readonly PartitionReplicas[] | null) {
    const v = this.wire.version(ApiKey.ListPartitionReassignments, 0, 0);
    const res = await this.wire.request(ApiKey.ListPartitionReassignments, v, { timeoutMs: 30_000, topics: partitions && groupByTopic(partitions, (p) => ({ name: p.topic, partitionIndexes: p.items.map((x) => x.partition) })) });
    if (res.errorCode !== ErrorCode.NONE) throw new ReassignError(`listing reassignments failed: ${describeError(res.errorCode, res.errorMessage)}`);
    return res.topics
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })))
      .sort(byTopicPartition);
  }

  /** Starts (replicas) or cancels (null) reassignments; the partitions that failed, with why. */
  async alter(targets: readonly { topic: string; partition: number; replicas: number[] | null }[]): Promise<string[]> {
    const v = this.wire.version(ApiKey.AlterPartitionReassignments, 0, 0);
    const res = await this.wire.request(ApiKey.AlterPartitionReassignments, v, {
      timeoutMs: 30_000,
      topics: groupByTopic(targets, (t) => ({ name: t.topic, partitions: t.items.map((x) => ({ partitionIndex: x.partition, replicas: x.replicas })) })),
    });
    if (res.errorCode !== ErrorCode.NONE) throw new ReassignError(describeError(res.errorCode, res.errorMessage));
    return res.responses
      .flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ topic: t.name, partition: p.partitionIndex, why: describeError(p.errorCode, p.errorMessage) })))
      .sort(byTopicPartition)
      .map((f) => `${partitionName(f)}: ${f.why}`);
  }
}

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const OP_SET = 0;
const OP_DELETE = 1;

/** IncrementalAlterConfigs; any resource's error fails the whole step. */
async function alterConfigs(wire: WireConnection, resources: { resourceType: number; resourceName: string; configs: { name: string; configOperation: number; value: string | null }[] }[]): Promise<void> {
  if (resources.length === 0) return;
  const v = wire.version(ApiKey.IncrementalAlterConfigs, 0, 1);
  const res = await wire.request(ApiKey.IncrementalAlterConfigs, v, { resources, validateOnly: false });
  const failed = res.responses.filter((r) => r.errorCode !== ErrorCode.NONE);
  if (failed.length > 0) {
    throw new ReassignError(`altering configs failed: ${failed.map((r) => `${r.resourceType === RESOURCE_TOPIC ? "topic" : "broker"} ${r.resourceName}: ${describeError(r.errorCode, r.errorMessage)}`).join("; ")}`);
  }
}

function groupByTopic<P extends { topic: string }, R>(parts: readonly P[], make: (t: { topic: string; items: P[] }) => R): R[] {
  const byTopic = new Map<string, P[]>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  return [...byTopic].map(([topic, items]) => make({ topic, items }));
}

type Print = (line: string) => void;

async function generate(admin: ReassignmentAdmin, o: ReassignOptions, print: Print): Promise<void> {
  const topics = parseTopicsToMove(readInput(o.values.get("topics-to-move-json-file")!));
  const listed = o.values.get("broker-list")!.split(",").map((s) => s.trim());
  if (listed.some((s) => !/^\d+$/.test(s))) throw new ReassignError(`--broker-list must be broker ids separated by commas, got "${o.values.get("broker-list")}"`);
  const ids = listed.map(Number);
  const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (dup.length > 0) throw new ReassignError(`Broker list contains duplicate entries: ${[...new Set(dup)].join(",")}`);
  const registered = await admin.brokers();
  const unknown = ids.find((id) => !registered.some((b) => b.id === id));
  if (unknown !== undefined) throw new ReassignError(`Unknown broker id ${unknown}`);
  const rackAware = !o.switches.has("disable-rack-aware");
  const usable = registered.filter((b) => ids.includes(b.id)).map((b) => ({ id: b.id, rack: rackAware ? b.rack : null, fenced: false }));
  const current = await admin.assignments(topics);
  const proposed: PartitionReplicas[] = [];
  for (const topic of topics) {
    const parts = current.filter((p) => p.topic === topic);
    // The controller's striping for a topic created on these brokers, at its current replication factor.
    const placed = placeReplicas({ startPartition: 0, numPartitions: parts.length, replicationFactor: parts[0]!.replicas.length }, usable, Math.random);
    placed.forEach((replicas, partition) => proposed.push({ topic, partition, replicas }));
  }
  print(`Current partition replica assignment\n${formatReassignmentPlan(current)}\n`);
  print(`Proposed partition reassignment configuration\n${formatReassignmentPlan(proposed)}`);
}

async function execute(admin: ReassignmentAdmin, o: ReassignOptions, print: Print): Promise<void> {
  const plan = parseReassignmentPlan(readInput(o.values.get("reassignment-json-file")!));
  const ongoing = await admin.ongoing(null);
  if (!o.switches.has("additional") && ongoing.length > 0) {
    throw new ReassignError(
      "Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one.",
    );
  }
  // Unknown brokers are left to the controller (INVALID_REPLICA_ASSIGNMENT): Metadata lists
  // only unfenced brokers, and a fenced one may still be a target.
  const current = await admin.assignmentsOf(plan);
  const rollback = plan.map((p) => ({ topic: p.topic, partition: p.partition, replicas: current.get(partitionName(p))! }));
  print(`Current partition replica assignment\n\n${formatReassignmentPlan(rollback)}\n\nSave this to use as the --reassignment-json-file option during rollback`);
  const throttle = o.values.get("throttle");
  if (throttle !== undefined) {
    print("Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.");
    const moves = partitionMoves(ongoing, plan, current);
    await admin.setThrottles(throttle, movingBrokers(moves), topicThrottles(moves));
    print(`The inter-broker throttle limit was set to ${throttle} B/s`);
  }
  const failed = await admin.alter(plan);
  if (failed.length > 0) throw new ReassignError(`Error reassigning partition(s):\n${failed.join("\n")}`);
  const names = [...plan].sort(byTopicPartition).map(partitionName);
  print(`Successfully started partition reassignment${names.length === 1 ? "" : "s"} for ${names.join(",")}`);
}

async function verify(admin: ReassignmentAdmin, o: ReassignOptions, print: Print): Promise<void> {
  const plan = [...parseReassignmentPlan(readInput(o.values.get("reassignment-json-file")!))].sort(byTopicPartition);
  const moving = new Set((await admin.ongoing(plan)).map(partitionName));
  const current = await admin.assignmentsOf(plan);
  print("Status of partition reassignment:");
  for (const p of plan) {
    const name = partitionName(p);
    if (moving.has(name)) print(`Reassignment of partition ${name} is still in progress.`);
    else if (current.get(name)!.join() === p.replicas.join()) print(`Reassignment of partition ${name} is completed.`);
    else print(`There is no active reassignment of partition ${name}, but replica set is ${current.get(name)!.join(",")} rather than ${p.replicas.join(",")}.`);
  }
  // Once nothing of the plan moves, its throttles have done their job.
  if (moving.size === 0 && !o.switches.has("preserve-throttles")) await clearAllThrottles(admin, plan, print);
}

/** Kafka's clearAllThrottles: the rates on every broker, the replica lists on the plan's topics. */
async function clearAllThrottles(admin: ReassignmentAdmin, plan: readonly PartitionReplicas[], print: Print): Promise<void> {
  const brokers = [...new Set([...(await admin.brokers()).map((b) => b.id), ...plan.flatMap((p) => p.replicas)])].sort((a, b) => a - b);
  const topics = [...new Set(plan.map((p) => p.topic))].sort();
  print(`Clearing broker-level throttles on broker${brokers.length === 1 ? "" : "s"} ${brokers.join(",")}`);
  print(`Clearing topic-level throttles on topic${topics.length === 1 ? "" : "s"} ${topics.join(",")}`);
  await admin.clearThrottles(brokers, topics);
}

async function cancel(admin: ReassignmentAdmin, o: ReassignOptions, print: Print): Promise<void> {
  const plan = parseReassignmentPlan(readInput(o.values.get("reassignment-json-file")!));
  const active = await admin.ongoing(plan);
  if (active.length === 0) print("None of the specified partition reassignments are active.");
  else {
    const failed = await admin.alter(active.map((p) => ({ topic: p.topic, partition: p.partition, replicas: null })));
    if (failed.length > 0) throw new ReassignError(`Error cancelling partition reassignment${failed.length === 1 ? "" : "s"} for:\n${failed.join("\n")}`);
    print(`Successfully cancelled partition reassignment${active.length === 1 ? "" : "s"} for: ${active.map(partitionName).join(",")}`);
  }
  if (!o.switches.has("preserve-throttles")) await clearAllThrottles(admin, plan, print);
}

async function list(admin: ReassignmentAdmin, print: Print): Promise<void> {
  const ongoing = await admin.ongoing(null);
  if (ongoing.length === 0) {
    print("No partition reassignments found.");
    return;
  }
  print("Current partition reassignments:");
  for (const p of ongoing) {
    const adding = p.adding.length > 0 ? ` adding: ${p.adding.join(",")}.` : "";
    const removing = p.removing.length > 0 ? ` removing: ${p.removing.join(",")}.` : "";
    print(`${partitionName(p)}: replicas: ${p.replicas.join(",")}.${adding}${removing}`);
  }
}

/** `samsa reassign ...`: the exit code (0 done, 1 failed, 2 bad command line). */
export async function runReassign(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const print: Print = (line) => out.write(`${line}\n`);
  let options: ReassignOptions;
  try {
    options = parseReassignOptions(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err.write(`Error: ${e.message}\nusage:\n${REASSIGN_USAGE}\n`);
    return 2;
  }
  let wire: WireConnection | undefined;
  try {
    wire = await connect(options.bootstrap);
    const admin = new ReassignmentAdmin(wire);
    if (options.action === "generate") await generate(admin, options, print);
    else if (options.action === "execute") await execute(admin, options, print);
    else if (options.action === "verify") await verify(admin, options, print);
    else if (options.action === "cancel") await cancel(admin, options, print);
    else await list(admin, print);
    return 0;
  } catch (e) {
    err.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    wire?.close();
  }
}
