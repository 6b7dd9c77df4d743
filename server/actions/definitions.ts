import { z } from "zod";
import type { UserStore } from "../auth/users.ts";
import { ROLES } from "../auth/roles.ts";
import type { ClusterConnection } from "../kafka/cluster.ts";
import { ClusterError } from "../kafka/errors.ts";
import type { GroupsClient } from "../kafka/groups.ts";
import { alterReassignments, electPreferredLeaders as electLeaders, explainOutcome } from "../kafka/reassignments.ts";
import { parseReplicaList, replicaField } from "../kafka/replica-list-input.ts";
import { ActionRefused, type ActionDefinition } from "./run-action.ts";

export interface ActionContext {
  cluster: ClusterConnection;
  groups: GroupsClient;
  users: UserStore;
}

/** An optional integer form field: "" means the broker's default (-1). */
const optionalInt = (label: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .default("")
    .refine((s) => s === "" || /^-?\d+$/.test(s), `${label} must be a whole number`)
    .transform((s) => (s === "" ? -1 : Number(s)))
    .refine((n) => n >= min && n <= max, `${label} must be between ${min} and ${max}`);

// Names, counts and configs are checked by Kafka, whose messages the form shows next to
// the field; here only what cannot even be sent (a non-number in an int32 field).
export const createTopicInput = z.object({
  name: z.string().trim().min(1, "Enter a topic name"),
  partitions: optionalInt("Partitions", -2147483648, 2147483647),
  // Kafka takes -1 for "the default", which the form writes as an empty field; 0 or less is never a factor.
  replicationFactor: optionalInt("Replication factor", 1, 32767),
  retentionMs: z.string().trim().default(""),
  cleanupPolicy: z.string().trim().default(""),
  /** More topic configs, one `name=value` per line. */
  configs: z
    .string()
    .default("")
    .transform((text, ctx) => {
      const out: Record<string, string> = {};
      for (const [i, raw] of text.split(/\r?\n/).entries()) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const m = /^([A-Za-z0-9._-]+)\s*=\s*(.*)$/.exec(line);
        if (!m) ctx.addIssue({ code: "custom", message: `Line ${i + 1}: write name=value (e.g. max.message.bytes=2097152)` });
        else if (m[1] === "retention.ms" || m[1] === "cleanup.policy") ctx.addIssue({ code: "custom", message: `Line ${i + 1}: set ${m[1]} in its own field` });
        else if (m[1]! in out) ctx.addIssue({ code: "custom", message: `Line ${i + 1}: ${m[1]} is given twice` });
        else out[m[1]!] = m[2]!;
      }
      return out;
    }),
});

export const createTopic: ActionDefinition<typeof createTopicInput, { name: string }, ActionContext> = {
  name: "topic.create",
  role: "operator",
  input: createTopicInput,
  audit: (i) => ({ topic: i.name, partitions: i.partitions, replicationFactor: i.replicationFactor, retentionMs: i.retentionMs || null, cleanupPolicy: i.cleanupPolicy || null, configs: i.configs }),
  async run(i, ctx) {
    const configs: Record<string, string> = { ...i.configs };
    if (i.retentionMs !== "") configs["retention.ms"] = i.retentionMs;
    if (i.cleanupPolicy !== "") configs["cleanup.policy"] = i.cleanupPolicy;
    await ctx.cluster.createTopic({ name: i.name, partitions: i.partitions, replicationFactor: i.replicationFactor, configs });
    return { name: i.name };
  },
};

export const deleteTopicInput = z
  .object({ name: z.string().min(1), confirm: z.string().default("") })
  .refine((v) => v.confirm === v.name, { message: "Type the topic's name exactly to confirm", path: ["confirm"] });

export const deleteTopic: ActionDefinition<typeof deleteTopicInput, { name: string }, ActionContext> = {
  name: "topic.delete",
  role: "operator",
  input: deleteTopicInput,
  audit: (i) => ({ topic: i.name }),
  async run(i, ctx) {
    await ctx.cluster.deleteTopic(i.name);
    return { name: i.name };
  },
};

export const produceMessageInput = z.object({
  topic: z.string().min(1),
  partition: z
    .string()
    .trim()
    .default("")
    .refine((s) => s === "" || /^\d+$/.test(s), "Partition must be a whole number")
    .transform((s) => (s === "" ? undefined : Number(s))),
  key: z.string().default(""),
  value: z.string().max(1_000_000, "The value is limited to 1 MB here"),
});

export const produceMessage: ActionDefinition<typeof produceMessageInput, { partition: number; offset: string }, ActionContext> = {
  name: "message.produce",
  role: "operator",
  input: produceMessageInput,
  audit: (i) => ({ topic: i.topic, partition: i.partition ?? null, key: i.key || null, valueBytes: Buffer.byteLength(i.value) }),
  async run(i, ctx) {
    return ctx.cluster.produce(i.topic, { key: i.key === "" ? null : i.key, value: i.value, partition: i.partition });
  },
};

export const createUserInput = z.object({
  username: z
    .string()
    .trim()
    .min(1, "Enter a user name")
    .max(64, "At most 64 characters")
    .regex(/^[A-Za-z0-9._@-]+$/, "Letters, digits and . _ @ - only"),
  password: z.string().min(8, "At least 8 characters"),
  role: z.enum(ROLES, { message: "Choose viewer, operator or admin" }),
});

export const createUser: ActionDefinition<typeof createUserInput, { username: string }, ActionContext> = {
  name: "user.create",
  role: "admin",
  input: createUserInput,
  audit: (i) => ({ username: i.username, role: i.role }),
  async run(i, ctx) {
    if (await ctx.users.find(i.username)) throw new ActionRefused("USER_EXISTS", `User ${i.username} already exists`, "username");
    await ctx.users.create(i.username, i.password, i.role);
    return { username: i.username };
  },
};

export const deleteUserInput = z.object({ username: z.string().min(1) });

export const deleteUser: ActionDefinition<typeof deleteUserInput, { username: string }, ActionContext> = {
  name: "user.delete",
  role: "admin",
  input: deleteUserInput,
  audit: (i) => ({ username: i.username }),
  async run(i, ctx) {
    if (i.username === ctx.user.username) throw new ActionRefused("SELF_DELETE", "You cannot delete the user you are signed in as");
    if (!(await ctx.users.delete(i.username))) throw new ActionRefused("NO_SUCH_USER", `User ${i.username} does not exist`);
    return { username: i.username };
  },
};

export const setUserRoleInput = z.object({
  username: z.string().min(1),
  role: z.enum(ROLES, { message: "Choose viewer, operator or admin" }),
});

/** An admin changes another user's role; their own is refused, so an admin always remains. */
export const setUserRole: ActionDefinition<typeof setUserRoleInput, { username: string; role: string }, ActionContext> = {
  name: "user.setRole",
  role: "admin",
  input: setUserRoleInput,
  audit: (i) => ({ username: i.username, role: i.role }),
  async run(i, ctx) {
    if (i.username === ctx.user.username) throw new ActionRefused("SELF_ROLE", "You cannot change your own role (another admin can)");
    if (!(await ctx.users.setRole(i.username, i.role))) throw new ActionRefused("NO_SUCH_USER", `User ${i.username} does not exist`);
    return { username: i.username, role: i.role };
  },
};

export const changePasswordInput = z.object({
  username: z.string().min(1),
  password: z.string().min(8, "At least 8 characters"),
});

export const changePassword: ActionDefinition<typeof changePasswordInput, { username: string }, ActionContext> = {
  name: "user.setPassword",
  // Everyone may change their own password; only admins anyone's.
  role: "viewer",
  input: changePasswordInput,
  audit: (i) => ({ username: i.username }),
  async run(i, ctx) {
    if (ctx.user.role !== "admin" && i.username !== ctx.user.username) {
      throw new ActionRefused("FORBIDDEN", `Your role (${ctx.user.role}) only allows changing your own password`);
    }
    if (!(await ctx.users.find(i.username))) throw new ActionRefused("NO_SUCH_USER", `User ${i.username} does not exist`, "username");
    await ctx.users.setPassword(i.username, i.password);
    return { username: i.username };
  },
};

export const resetOffsetsInput = z
  .object({
    groupId: z.string().min(1),
    topic: z.string().trim().min(1, "Choose a topic"),
    to: z.enum(["earliest", "latest", "offset", "timestamp"], { message: "Choose where to reset to" }),
    offset: z.string().trim().default(""),
    timestamp: z.string().trim().default(""),
  })
  .superRefine((v, ctx) => {
    if (v.to === "offset" && !/^\d+$/.test(v.offset)) ctx.addIssue({ code: "custom", path: ["offset"], message: "Enter an offset (a whole number)" });
    if (v.to === "timestamp" && !Number.isFinite(Date.parse(v.timestamp))) ctx.addIssue({ code: "custom", path: ["timestamp"], message: "Enter a date and time" });
  });

export const resetOffsets: ActionDefinition<typeof resetOffsetsInput, { partition: number; offset: string }[], ActionContext> = {
  name: "group.resetOffsets",
  role: "operator",
  input: resetOffsetsInput,
  audit: (i) => ({ groupId: i.groupId, topic: i.topic, to: i.to, ...(i.to === "offset" ? { offset: i.offset } : {}), ...(i.to === "timestamp" ? { timestamp: i.timestamp } : {}) }),
  async run(i, ctx) {
    const to =
      i.to === "offset" ? { kind: "offset" as const, offset: BigInt(i.offset) } : i.to === "timestamp" ? { kind: "timestamp" as const, timestamp: Date.parse(i.timestamp) } : { kind: i.to };
    return ctx.groups.resetOffsets(i.groupId, i.topic, to);
  },
};

export const deleteGroupInput = z
  .object({ groupId: z.string().min(1), confirm: z.string().default("") })
  .refine((v) => v.confirm === v.groupId, { message: "Type the group's id exactly to confirm", path: ["confirm"] });

export const deleteGroup: ActionDefinition<typeof deleteGroupInput, { groupId: string }, ActionContext> = {
  name: "group.delete",
  role: "operator",
  input: deleteGroupInput,
  audit: (i) => ({ groupId: i.groupId }),
  async run(i, ctx) {
    await ctx.groups.delete(i.groupId);
    return { groupId: i.groupId };
  },
};

/** The fields of a config change form: which config, set or remove, the new value. */
const configChangeFields = {
  name: z
    .string()
    .trim()
    .min(1, "Enter a config name")
    .regex(/^[A-Za-z0-9._-]+$/, "Config names are letters, digits and . _ -"),
  op: z.enum(["set", "delete"], { message: "Choose set or remove" }),
  value: z.string().trim().default(""),
};

function requireValueToSet(v: { op: "set" | "delete"; value: string }, ctx: z.RefinementCtx): void {
  if (v.op === "set" && v.value === "") ctx.addIssue({ code: "custom", path: ["value"], message: "Enter a value (or remove the override)" });
}

export const alterBrokerConfigInput = z
  .object({
    brokerId: z
      .string()
      .trim()
      .regex(/^\d+$/, "Not a broker id")
      .transform((s) => Number(s)),
    ...configChangeFields,
  })
  .superRefine(requireValueToSet);

/**
 * A dynamic broker config (IncrementalAlterConfigs on the BROKER resource): set, or removed so
 * the static or default value applies again. Configs Kafka only changes with a restart
 * (reported read-only by DescribeConfigs) and names the broker does not know are refused here,
 * before the cluster is asked. Sensitive values are not written to the audit history.
 */
export const alterBrokerConfig: ActionDefinition<typeof alterBrokerConfigInput, { brokerId: number; name: string; value: string | null }, ActionContext> = {
  name: "broker.alterConfig",
  role: "admin",
  input: alterBrokerConfigInput,
  audit: (i) => ({ brokerId: i.brokerId, name: i.name, op: i.op, ...(i.op === "set" ? { value: /password|secret|sasl\.jaas/i.test(i.name) ? "(sensitive)" : i.value } : {}) }),
  async run(i, ctx) {
    const configs = await ctx.cluster.brokerConfigs(i.brokerId);
    const current = configs.find((c) => c.name === i.name);
    if (!current) throw new ActionRefused("UNKNOWN_CONFIG", `Broker ${i.brokerId} has no config named ${i.name}`, "name");
    if (current.readOnly) {
      throw new ActionRefused("READ_ONLY_CONFIG", `${i.name} is read-only: Kafka changes it only in server.properties, with a restart of broker ${i.brokerId}`, "name");
    }
    if (i.op === "delete" && current.source !== "dynamic broker") {
      throw new ActionRefused("NO_OVERRIDE", `${i.name} has no dynamic override on broker ${i.brokerId} to remove (its value comes from: ${current.source})`, "name");
    }
    await ctx.cluster.alterBrokerConfig(i.brokerId, i.name, i.op === "set" ? i.value : null);
    return { brokerId: i.brokerId, name: i.name, value: i.op === "set" ? i.value : null };
  },
};

export const alterTopicConfigInput = z.object({ topic: z.string().trim().min(1, "Choose a topic"), ...configChangeFields }).superRefine(requireValueToSet);

/**
 * One config of a topic (IncrementalAlterConfigs on the TOPIC resource): set, or removed so the
 * broker's default applies again. Kafka checks the name and the value (its INVALID_CONFIG
 * message is shown at the field); removing a config the topic does not set is refused here.
 */
export const alterTopicConfig: ActionDefinition<typeof alterTopicConfigInput, { topic: string; name: string; value: string | null }, ActionContext> = {
  name: "topic.alterConfig",
  role: "operator",
  input: alterTopicConfigInput,
  audit: (i) => ({ topic: i.topic, name: i.name, op: i.op, ...(i.op === "set" ? { value: i.value } : {}) }),
  async run(i, ctx) {
    if (i.op === "delete") {
      const current = (await ctx.cluster.topicConfigs(i.topic)).find((c) => c.name === i.name);
      if (!current) throw new ActionRefused("UNKNOWN_CONFIG", `Topics have no config named ${i.name}`, "name");
      if (current.source !== "topic") throw new ActionRefused("NO_OVERRIDE", `Topic ${i.topic} does not set ${i.name} (its value comes from: ${current.source})`, "name");
    }
    await ctx.cluster.alterTopicConfig(i.topic, i.name, i.op === "set" ? i.value : null);
    return { topic: i.topic, name: i.name, value: i.op === "set" ? i.value : null };
  },
};

export const reassignTopicInput = z
  .object({ topic: z.string().trim().min(1, "Choose a topic") })
  .catchall(z.string())
  .transform((v, ctx) => {
    const targets: { partition: number; replicas: number[] }[] = [];
    let given = 0;
    for (const [key, text] of Object.entries(v)) {
      const m = /^replicas-(\d+)$/.exec(key);
      if (!m) continue;
      given++;
      const parsed = parseReplicaList(text);
      if (parsed.ok) targets.push({ partition: Number(m[1]), replicas: parsed.replicas });
      else ctx.addIssue({ code: "custom", path: [key], message: parsed.error });
    }
    if (given === 0) ctx.addIssue({ code: "custom", path: ["topic"], message: "Give at least one partition's replicas" });
    return { topic: v.topic, targets: targets.sort((a, b) => a.partition - b.partition) };
  });

/**
 * A topic's partitions moved to the given ordered replica lists (AlterPartitionReassignments;
 * the first replica is the preferred leader). Only partitions whose list differs from the
 * current one are sent; brokers the cluster does not know are refused before it is asked.
 * Kafka answers per partition: any refusal fails the action with every partition's answer.
 */
export const reassignTopic: ActionDefinition<typeof reassignTopicInput, { topic: string; started: number[] }, ActionContext> = {
  name: "topic.reassign",
  role: "operator",
  input: reassignTopicInput,
  audit: (i) => ({ topic: i.topic, replicas: Object.fromEntries(i.targets.map((t) => [t.partition, t.replicas])) }),
  async run(i, ctx) {
    const snap = await ctx.cluster.snapshot(0);
    const topic = snap.byName.get(i.topic);
    if (!topic) throw new ActionRefused("UNKNOWN_TOPIC_OR_PARTITION", `Topic ${i.topic} does not exist`, "topic");
    const known = new Set([...snap.brokers.map((b) => b.nodeId), ...snap.offlineBrokers]);
    for (const t of i.targets) {
      const field = replicaField(t.partition);
      if (!topic.partitions.some((p) => p.partition === t.partition)) throw new ActionRefused("UNKNOWN_TOPIC_OR_PARTITION", `Topic ${i.topic} has no partition ${t.partition}`, field);
      const checked = parseReplicaList(t.replicas.join(","), known);
      if (!checked.ok) throw new ActionRefused("INVALID_REPLICA_ASSIGNMENT", checked.error, field);
    }
    const changed = i.targets.filter((t) => topic.partitions.find((p) => p.partition === t.partition)!.replicas.join() !== t.replicas.join());
    if (changed.length === 0) throw new ActionRefused("NO_CHANGE", "Every partition already has the replicas given: nothing to move");
    const outcomes = await alterReassignments(ctx.cluster, i.topic, changed);
    const failed = outcomes.filter((o) => o.error !== null);
    if (failed.length > 0) {
      const started = outcomes.filter((o) => o.error === null).map((o) => o.partition);
      const note = started.length > 0 ? ` (started for partition ${started.join(", ")})` : "";
      throw new ClusterError(failed[0]!.error!, `${failed.map(explainOutcome).join("; ")}${note}`, replicaField(failed[0]!.partition));
    }
    return { topic: i.topic, started: outcomes.map((o) => o.partition) };
  },
};

export const cancelReassignmentInput = z.object({
  topic: z.string().min(1),
  partition: z
    .string()
    .regex(/^\d+$/, "Not a partition")
    .transform((s) => Number(s)),
});

/** Cancels one partition's reassignment (AlterPartitionReassignments with no target): Kafka reverts it to the replicas it had. */
export const cancelReassignment: ActionDefinition<typeof cancelReassignmentInput, { topic: string; partition: number }, ActionContext> = {
  name: "partition.cancelReassignment",
  role: "operator",
  input: cancelReassignmentInput,
  audit: (i) => ({ topic: i.topic, partition: i.partition }),
  async run(i, ctx) {
    const [o] = await alterReassignments(ctx.cluster, i.topic, [{ partition: i.partition, replicas: null }]);
    if (!o) throw new ClusterError("UNKNOWN_SERVER_ERROR", "AlterPartitionReassignments returned no result");
    if (o.error !== null) throw new ClusterError(o.error, explainOutcome(o));
    return { topic: i.topic, partition: i.partition };
  },
};

export const electPreferredLeadersInput = z.object({ topic: z.string().trim().min(1, "Choose a topic") });

/**
 * Preferred leader election for every partition of a topic (ElectLeaders, preferred). A
 * partition already led by its preferred replica (ELECTION_NOT_NEEDED) is no failure.
 */
export const electPreferredLeaders: ActionDefinition<typeof electPreferredLeadersInput, { topic: string; elected: number[]; notNeeded: number[] }, ActionContext> = {
  name: "topic.electPreferredLeaders",
  role: "operator",
  input: electPreferredLeadersInput,
  audit: (i) => ({ topic: i.topic }),
  async run(i, ctx) {
    const topic = (await ctx.cluster.snapshot(0)).byName.get(i.topic);
    if (!topic) throw new ActionRefused("UNKNOWN_TOPIC_OR_PARTITION", `Topic ${i.topic} does not exist`, "topic");
    const outcomes = await electLeaders(ctx.cluster, i.topic, topic.partitions.map((p) => p.partition));
    const elected = outcomes.filter((o) => o.error === null).map((o) => o.partition);
    const notNeeded = outcomes.filter((o) => o.error === "ELECTION_NOT_NEEDED").map((o) => o.partition);
    const failed = outcomes.filter((o) => o.error !== null && o.error !== "ELECTION_NOT_NEEDED");
    if (failed.length > 0) {
      const note = elected.length > 0 ? ` (elected for partition ${elected.join(", ")})` : "";
      throw new ClusterError(failed[0]!.error!, `${failed.map(explainOutcome).join("; ")}${note}`);
    }
    return { topic: i.topic, elected, notNeeded };
  },
};
