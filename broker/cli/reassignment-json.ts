/**
 * The JSON files of Kafka's kafka-reassign-partitions, read and written by `samsa reassign`:
 * the topics-to-move file ({"version":1,"topics":[{"topic":"t"}]}) and the reassignment
 * plan ({"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2],
 * "log_dirs":["any","any"]}]}), whose keys and order match Kafka's so plans pass between
 * the two tools.
 */

/** A partition's ordered replica list (the first is the preferred leader). */
export interface PartitionReplicas {
  topic: string;
  partition: number;
  replicas: number[];
}

/** Why a file is unusable; the message is what the operator sees. */
export class ReassignmentJsonError extends Error {
  override readonly name = "ReassignmentJsonError";
}

/** "t-0", Kafka's TopicPartition text. */
export const partitionName = (p: { topic: string; partition: number }) => `${p.topic}-${p.partition}`;

/** Topic order, then partition order, as Kafka prints partitions. */
export function byTopicPartition(a: { topic: string; partition: number }, b: { topic: string; partition: number }): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function parseVersioned(text: string): Record<string, unknown> {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch {
    throw new ReassignmentJsonError("The input string is not a valid JSON");
  }
  if (typeof js !== "object" || js === null || Array.isArray(js)) throw new ReassignmentJsonError("The input string is not a valid JSON object");
  const obj = js as Record<string, unknown>;
  // Kafka reads a missing version as 1.
  if (obj.version !== undefined && obj.version !== 1) throw new ReassignmentJsonError(`Not supported version field value ${JSON.stringify(obj.version)}`);
  return obj;
}

function isBrokerId(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** The topic names of a topics-to-move file; duplicates are refused as Kafka does. */
export function parseTopicsToMove(text: string): string[] {
  const entries = parseVersioned(text).topics;
  if (!Array.isArray(entries)) throw new ReassignmentJsonError(`"topics" must be a list of {"topic": name}`);
  const topics = entries.map((e: unknown) => {
    const topic = (e as { topic?: unknown } | null)?.topic;
    if (typeof topic !== "string" || topic === "") throw new ReassignmentJsonError(`every entry of "topics" needs a "topic" name, got ${JSON.stringify(e)}`);
    return topic;
  });
  const dup = topics.filter((t, i) => topics.indexOf(t) !== i);
  if (dup.length > 0) throw new ReassignmentJsonError(`List of topics to reassign contains duplicate entries: ${[...new Set(dup)].join(",")}`);
  return topics;
}

/**
 * The partitions of a reassignment plan. Log directories other than "any" (moves between
 * one broker's directories, AlterReplicaLogDirs) are refused: Samsa has one log directory.
 */
export function parseReassignmentPlan(text: string): PartitionReplicas[] {
  const entries = parseVersioned(text).partitions;
  if (!Array.isArray(entries)) throw new ReassignmentJsonError(`"partitions" must be a list`);
  const plan = entries.map((e: unknown): PartitionReplicas => {
    const f = (e ?? {}) as { topic?: unknown; partition?: unknown; replicas?: unknown; log_dirs?: unknown };
    if (typeof f.topic !== "string" || f.topic === "") throw new ReassignmentJsonError(`every partition needs a "topic", got ${JSON.stringify(e)}`);
    if (!isBrokerId(f.partition)) throw new ReassignmentJsonError(`every partition needs a "partition" number, got ${JSON.stringify(e)}`);
    if (!Array.isArray(f.replicas) || !f.replicas.every(isBrokerId)) throw new ReassignmentJsonError(`"replicas" must be a list of broker ids, got ${JSON.stringify(e)}`);
    const replicas = f.replicas as number[];
    if (f.log_dirs !== undefined) {
      if (!Array.isArray(f.log_dirs) || f.log_dirs.length !== replicas.length) {
        throw new ReassignmentJsonError(`Size of replicas list ${JSON.stringify(replicas)} is different from size of log dirs list ${JSON.stringify(f.log_dirs)} for partition ${f.topic}-${f.partition}`);
      }
      if (f.log_dirs.some((d) => d !== "any")) throw new ReassignmentJsonError(`log_dirs other than "any" are not supported (partition ${f.topic}-${f.partition}): Samsa brokers have one log directory`);
    }
    return { topic: f.topic, partition: f.partition, replicas };
  });
  if (plan.length === 0) throw new ReassignmentJsonError("Partition reassignment list cannot be empty");
  const names = plan.map(partitionName);
  const dupParts = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupParts.length > 0) throw new ReassignmentJsonError(`Partition reassignment contains duplicate topic partitions: ${[...new Set(dupParts)].join(",")}`);
  const empty = plan.find((p) => p.replicas.length === 0);
  if (empty) throw new ReassignmentJsonError("Partition replica list cannot be empty");
  const dupReplicas = plan.filter((p) => new Set(p.replicas).size !== p.replicas.length);
  if (dupReplicas.length > 0) {
    throw new ReassignmentJsonError(
      `Partition replica lists may not contain duplicate entries: ${dupReplicas.map((p) => `${partitionName(p)} contains multiple entries for ${[...new Set(p.replicas.filter((r, i) => p.replicas.indexOf(r) !== i))].join(",")}`).join(". ")}`,
    );
  }
  return plan;
}

/** A plan as Kafka writes it: partitions sorted, every replica's log dir "any". */
export function formatReassignmentPlan(partitions: readonly PartitionReplicas[]): string {
  return JSON.stringify({
    version: 1,
    partitions: [...partitions].sort(byTopicPartition).map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.replicas, log_dirs: p.replicas.map(() => "any") })),
  });
}
