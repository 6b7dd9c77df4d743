import { ErrorCode, KafkaError } from "../protocol/errors.ts";

/**
 * The topic configs the log acts on, under their Kafka names, with Kafka's defaults. Values
 * are numbers; Kafka's Long.MAX_VALUE ("never") is Infinity.
 */
export interface LogConfig {
  /** Roll the active segment before it would exceed this size. */
  "segment.bytes": number;
  /** Roll the active segment once its records span this long (log.roll.ms). */
  "segment.ms": number;
  /** Random reduction of segment.ms per segment, so partitions don't all roll together. */
  "segment.jitter.ms": number;
  /** Max size of each offset/time index; a full index rolls the segment. */
  "segment.index.bytes": number;
  /** Bytes of log between sparse index entries. */
  "index.interval.bytes": number;
  /** Delete segments whose newest record is older than this; -1 keeps them forever. */
  "retention.ms": number;
  /** Delete oldest segments while the log is bigger than this; -1 means no limit. */
  "retention.bytes": number;
  /** fsync after this many unflushed messages (default never: rely on replication + OS). */
  "flush.messages": number;
  /** fsync when the last flush is older than this (default never). */
  "flush.ms": number;
  /** Delay between renaming a deleted segment to .deleted and removing it. */
  "file.delete.delay.ms": number;
  /** "delete", "compact" or "compact,delete"; time/size retention only applies with delete. */
  "cleanup.policy": string;
}

export type LogConfigKey = keyof LogConfig;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  "segment.bytes": 1073741824,
  "segment.ms": 604800000,
  "segment.jitter.ms": 0,
  "segment.index.bytes": 10485760,
  "index.interval.bytes": 4096,
  "retention.ms": 604800000,
  "retention.bytes": -1,
  "flush.messages": Infinity,
  "flush.ms": Infinity,
  "file.delete.delay.ms": 60000,
  "cleanup.policy": "delete",
});

/** Kafka's lower bounds (LogConfig validators). */
const MIN: Partial<Record<LogConfigKey, number>> = {
  "segment.bytes": 14,
  "segment.ms": 1,
  "segment.jitter.ms": 0,
  "segment.index.bytes": 4,
  "index.interval.bytes": 0,
  "retention.ms": -1,
  "flush.messages": 1,
  "flush.ms": 0,
  "file.delete.delay.ms": 0,
};

const LONG_MAX = "9223372036854775807";

/**
 * A full LogConfig from defaults plus overrides. Overrides may be strings as topic configs
 * travel on the wire; keys the log doesn't use (min.insync.replicas, ...) are ignored.
 * Throws INVALID_CONFIG for values Kafka would reject.
 */
export function logConfig(...layers: (Readonly<Record<string, string | number | undefined>> | undefined)[]): LogConfig {
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(DEFAULT_LOG_CONFIG) as LogConfigKey[]) {
      const raw = layer[key];
      if (raw === undefined) continue;
      if (key === "cleanup.policy") {
        const policy = String(raw).split(",").map((s) => s.trim()).filter(Boolean);
        if (policy.length === 0 || policy.some((p) => p !== "delete" && p !== "compact")) invalid(key, raw);
        config[key] = policy.join(",");
        continue;
      }
      const n = typeof raw === "number" ? raw : raw.trim() === LONG_MAX ? Infinity : Number(raw.trim());
      if (Number.isNaN(n) || (Number.isFinite(n) && !Number.isInteger(n))) invalid(key, raw);
      const min = MIN[key];
      if (min !== undefined && n < min) invalid(key, raw, `Value must be at least ${min}`);
      config[key] = n;
    }
  }
  return config;
}

function invalid(key: string, value: unknown, why = "Invalid value"): never {
  throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${String(value)} for configuration ${key}: ${why}`);
}

export function hasDeletePolicy(config: LogConfig): boolean {
  return config["cleanup.policy"].split(",").includes("delete");
}
