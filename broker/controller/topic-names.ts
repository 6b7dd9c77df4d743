import { ErrorCode, KafkaError } from "../protocol/errors.ts";

/** Kafka's Topic rules for names (org.apache.kafka.common.internals.Topic). */
export const MAX_TOPIC_NAME_LENGTH = 249;
export const CLUSTER_METADATA_TOPIC = "__cluster_metadata";
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(["__consumer_offsets", "__transaction_state"]);

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Throws INVALID_TOPIC_EXCEPTION with Kafka's message when `name` is not a legal topic name. */
export function validateTopicName(name: string): void {
  const bad = (message: string): never => {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, message);
  };
  // The KRaft controller's wording (ReplicationControlManager.validateName).
  if (name.length === 0) bad("Topic name is invalid: the empty string is not allowed");
  if (name === "." || name === "..") bad(`Topic name is invalid: '${name}' is not allowed`);
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    bad(`Topic name is invalid: the length of '${name}' is longer than the max allowed length ${MAX_TOPIC_NAME_LENGTH}`);
  }
  if (!LEGAL.test(name)) {
    bad(`Topic name is invalid: '${name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

/**
 * '.' and '_' map to the same character in metric names, so topics that differ only by
 * them would share metrics; Kafka refuses the second one.
 */
export function hasCollisionChars(name: string): boolean {
  return name.includes(".") || name.includes("_");
}

export function unifyCollisionChars(name: string): string {
  return name.replaceAll(".", "_");
}

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}
