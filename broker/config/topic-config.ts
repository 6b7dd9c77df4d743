import { type ConfigDef, LONG_MAX_STRING as LONG_MAX, validateConfigValue } from "./config-types.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

/**
 * A topic config: its definition and the broker configs that supply its default, in
 * Kafka's synonym order (LogConfig / ServerTopicConfigSynonyms). `scale` converts a
 * synonym's unit (hours, minutes) to the topic config's.
 */
export interface TopicConfigDef extends ConfigDef {
  synonyms: readonly { name: string; scale?: number }[];
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: "cleanup.policy", type: "LIST", default: "delete", oneOf: ["compact", "delete"], synonyms: [{ name: "log.cleanup.policy" }] },
  { name: "compression.gzip.level", type: "INT", default: "-1", min: -1, max: 9, synonyms: [{ name: "compression.gzip.level" }] },
  { name: "compression.lz4.level", type: "INT", default: "9", min: 1, max: 17, synonyms: [{ name: "compression.lz4.level" }] },
  { name: "compression.type", type: "STRING", default: "producer", oneOf: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"], synonyms: [{ name: "compression.type" }] },
  { name: "compression.zstd.level", type: "INT", default: "3", min: -131072, max: 22, synonyms: [{ name: "compression.zstd.level" }] },
  { name: "delete.retention.ms", type: "LONG", default: "86400000", min: 0, synonyms: [{ name: "log.cleaner.delete.retention.ms" }] },
  { name: "file.delete.delay.ms", type: "LONG", default: "60000", min: 0, synonyms: [{ name: "log.segment.delete.delay.ms" }] },
  { name: "flush.messages", type: "LONG", default: LONG_MAX, min: 1, synonyms: [{ name: "log.flush.interval.messages" }] },
  { name: "flush.ms", type: "LONG", default: LONG_MAX, min: 0, synonyms: [{ name: "log.flush.interval.ms" }, { name: "log.flush.scheduler.interval.ms" }] },
  { name: "follower.replication.throttled.replicas", type: "LIST", default: "", synonyms: [] },
  { name: "index.interval.bytes", type: "INT", default: "4096", min: 0, synonyms: [{ name: "log.index.interval.bytes" }] },
  { name: "leader.replication.throttled.replicas", type: "LIST", default: "", synonyms: [] },
  // Tiered storage (KIP-405): accepted and described as Kafka does; Samsa keeps every segment locally.
  { name: "local.retention.bytes", type: "LONG", default: "-2", min: -2, synonyms: [{ name: "log.local.retention.bytes" }] },
  { name: "local.retention.ms", type: "LONG", default: "-2", min: -2, synonyms: [{ name: "log.local.retention.ms" }] },
  { name: "max.compaction.lag.ms", type: "LONG", default: LONG_MAX, min: 1, synonyms: [{ name: "log.cleaner.max.compaction.lag.ms" }] },
  { name: "max.message.bytes", type: "INT", default: "1048588", min: 0, synonyms: [{ name: "message.max.bytes" }] },
  // Message format down-conversion and the v0/v1 formats are gone (Kafka 4 removes them); described only.
  { name: "message.downconversion.enable", type: "BOOLEAN", default: "true", synonyms: [{ name: "log.message.downconversion.enable" }] },
  { name: "message.format.version", type: "STRING", default: "3.0-IV1", synonyms: [{ name: "log.message.format.version" }] },
  { name: "message.timestamp.after.max.ms", type: "LONG", default: LONG_MAX, min: 0, synonyms: [{ name: "log.message.timestamp.after.max.ms" }] },
  { name: "message.timestamp.before.max.ms", type: "LONG", default: LONG_MAX, min: 0, synonyms: [{ name: "log.message.timestamp.before.max.ms" }] },
  { name: "message.timestamp.difference.max.ms", type: "LONG", default: LONG_MAX, min: 0, synonyms: [{ name: "log.message.timestamp.difference.max.ms" }] },
  { name: "message.timestamp.type", type: "STRING", default: "CreateTime", oneOf: ["CreateTime", "LogAppendTime"], synonyms: [{ name: "log.message.timestamp.type" }] },
  { name: "min.cleanable.dirty.ratio", type: "DOUBLE", default: "0.5", min: 0, synonyms: [{ name: "log.cleaner.min.cleanable.ratio" }] },
  { name: "min.compaction.lag.ms", type: "LONG", default: "0", min: 0, synonyms: [{ name: "log.cleaner.min.compaction.lag.ms" }] },
  { name: "min.insync.replicas", type: "INT", default: "1", min: 1, synonyms: [{ name: "min.insync.replicas" }] },
  { name: "preallocate", type: "BOOLEAN", default: "false", synonyms: [{ name: "log.preallocate" }] },
  { name: "remote.log.copy.disable", type: "BOOLEAN", default: "false", synonyms: [] },
  { name: "remote.log.delete.on.disable", type: "BOOLEAN", default: "false", synonyms: [] },
  { name: "remote.storage.enable", type: "BOOLEAN", default: "false", synonyms: [] },
  { name: "retention.bytes", type: "LONG", default: "-1", synonyms: [{ name: "log.retention.bytes" }] },
  { name: "retention.ms", type: "LONG", default: "604800000", min: -1, synonyms: [{ name: "log.retention.ms" }, { name: "log.retention.minutes", scale: MINUTE }, { name: "log.retention.hours", scale: HOUR }] },
  { name: "segment.bytes", type: "INT", default: "1073741824", min: 14, synonyms: [{ name: "log.segment.bytes" }] },
  { name: "segment.index.bytes", type: "INT", default: "10485760", min: 4, synonyms: [{ name: "log.index.size.max.bytes" }] },
  { name: "segment.jitter.ms", type: "LONG", default: "0", min: 0, synonyms: [{ name: "log.roll.jitter.ms" }, { name: "log.roll.jitter.hours", scale: HOUR }] },
  { name: "segment.ms", type: "LONG", default: "604800000", min: 1, synonyms: [{ name: "log.roll.ms" }, { name: "log.roll.hours", scale: HOUR }] },
  { name: "unclean.leader.election.enable", type: "BOOLEAN", default: "false", synonyms: [{ name: "unclean.leader.election.enable" }] },
];

const BY_NAME = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return BY_NAME.get(name);
}

/** Validates topic config overrides as CreateTopics/AlterConfigs do; throws INVALID_CONFIG. */
export function validateTopicConfigs(configs: ReadonlyMap<string, string>): void {
  for (const [name, value] of configs) {
    const def = BY_NAME.get(name);
    if (!def) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    validateConfigValue(def, value);
  }
}
