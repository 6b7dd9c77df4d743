import { ErrorCode, errorName } from "../../broker/protocol/errors.ts";

/**
 * A cluster's refusal or failure, as the console reports it: Kafka's error name (e.g.
 * INVALID_REPLICATION_FACTOR), the broker's message when it sent one, and the form field it
 * concerns when there is one.
 */
export class ClusterError extends Error {
  override readonly name = "ClusterError";

  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * By name rather than instanceof: the server entry point and Next's bundle may each load
 * their own copy of this module.
 */
export function isClusterError(e: unknown): e is ClusterError {
  return e instanceof Error && e.name === "ClusterError" && typeof (e as { code?: unknown }).code === "string";
}

/** Form fields of topic creation that Kafka's CreateTopics errors point at. */
export function createTopicErrorField(code: number, message: string): string | undefined {
  switch (code) {
    case ErrorCode.INVALID_TOPIC_EXCEPTION:
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return "name";
    case ErrorCode.INVALID_PARTITIONS:
      return "partitions";
    case ErrorCode.INVALID_REPLICATION_FACTOR:
    case ErrorCode.INVALID_REPLICA_ASSIGNMENT:
      return "replicationFactor";
    case ErrorCode.INVALID_CONFIG:
      if (/retention\.ms/.test(message)) return "retentionMs";
      if (/cleanup\.policy/.test(message)) return "cleanupPolicy";
      return "configs";
    default:
      return undefined;
  }
}

export function kafkaErrorName(code: number): string {
  return errorName(code);
}

/**
 * kafkajs errors carry `type` (Kafka's error name) and a message, possibly wrapped in a
 * retry error (`originalError`, `cause`) or an aggregate (`errors`); anything else is a failure.
 */
export function fromKafkaJs(err: unknown): ClusterError {
  if (isClusterError(err)) return err;
  const inner = innermost(err);
  const type = inner.type;
  const message = inner.message ?? String(err);
  if (type) return new ClusterError(type, message);
  if (/ECONNREFUSED|ENOTFOUND|Connection|connect|timeout|timed out/i.test(message)) return new ClusterError("CLUSTER_UNREACHABLE", `The cluster did not answer: ${message}`);
  return new ClusterError((err as { name?: string } | undefined)?.name ?? "ERROR", message);
}

type KafkaJsError = { type?: string; message?: string; errors?: unknown[]; groups?: { error?: unknown }[]; originalError?: unknown; cause?: unknown };

function innermost(err: unknown, depth = 0): KafkaJsError {
  const e = (err ?? {}) as KafkaJsError;
  if (depth > 5 || e.type) return e;
  const next = Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[0] : Array.isArray(e.groups) && e.groups.length > 0 ? e.groups[0]!.error : (e.originalError ?? e.cause);
  if (!next) return e;
  const found = innermost(next, depth + 1);
  return found.type ? found : e;
}
