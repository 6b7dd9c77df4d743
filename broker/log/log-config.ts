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
  /** Compacted logs keep a tombstone this long after the cleaner first sees it (its delete horizon). */
  "delete.retention.ms": number;
  /** Records younger than this are never compacted (their producers may still read them back). */
  "min.compaction.lag.ms": number;
  /** A dirty record older than this makes its log eligible for cleaning whatever its dirty ratio. */
  "max.compaction.lag.ms": number;
  /** Clean a log once dirty bytes / cleanable bytes reach this (0..1). */
  "min.cleanable.dirty.ratio": number;
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
  "delete.retention.ms": 86400000,
  "min.compaction.lag.ms": 0,
  "max.compaction.lag.ms": Infinity,
  "min.cleanable.dirty.ratio": 0.5,
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
  "delete.retention.ms": 0,
  "min.compaction.lag.ms": 0,
  "max.compaction.lag.ms": 1,
  "min.cleanable.dirty.ratio": 0,
};

/** Kafka's upper bounds. */
const MAX: Partial<Record<LogConfigKey, number>> = {
  "min.cleanable.dirty.ratio": 1,
};

/** DOUBLE configs; every other number is a LONG or INT and must be whole. */
const FRACTIONAL = new Set<LogConfigKey>(["min.cleanable.dirty.ratio"]);

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
      if (Number.isNaN(n) || (Number.isFinite(n) && !Number.isInteger(n) && !FRACTIONAL.has(key))) invalid(key, raw);
      const min = MIN[key];
      if (min !== undefined && n < min) invalid(key, raw, `Value must be at least ${min}`);
      const max = MAX[key];
      if (max !== undefined && n > max) invalid(key, raw, `Value must be no more than ${max}`);
      config[key] = n;
    }
  }
  // Kafka's LogConfig.validateValues: the lags must not contradict each other.
  if (config["min.compaction.lag.ms"] > config["max.compaction.lag.ms"]) {
    invalid("min.compaction.lag.ms", config["min.compaction.lag.ms"], `conflicts with max.compaction.lag.ms ${config["max.compaction.lag.ms"]}`);
  }
  return config;
}

function invalid(key: string, value: unknown, why = "Invalid value"): never {
  throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${String(value)} for configuration ${key}: ${why}`);
}

export function hasDeletePolicy(config: LogConfig): boolean {
  return config["cleanup.policy"].split(",").includes("delete");
}

export function hasCompactPolicy(config: LogConfig): boolean {
  return config["cleanup.policy"].split(",").includes("compact");
}

/**
 * segment.ms as rolling applies it: a compacted log rolls by max.compaction.lag.ms too, so
 * its active segment (never cleaned) can't hold dirty records past that lag (KIP-354).
 */
export function effectiveSegmentMs(config: LogConfig): number {
  const lag = config["max.compaction.lag.ms"];
  return hasCompactPolicy(config) && lag > 0 ? Math.min(lag, config["segment.ms"]) : config["segment.ms"];
}
