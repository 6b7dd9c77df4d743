import { ErrorCode, KafkaError } from "../protocol/errors.ts";

/** Kafka's ConfigType values as DescribeConfigs v3+ reports them. */
export const ConfigType = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;
export type ConfigTypeName = Exclude<keyof typeof ConfigType, "UNKNOWN">;

/** Kafka's ConfigSource values (DescribeConfigs). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export interface ConfigDef {
  name: string;
  type: ConfigTypeName;
  /** Kafka's default as Kafka prints it; null when the config has no default. */
  default: string | null;
  /** Allowed values (case-sensitive, as Kafka's ValidString/ValidList). */
  oneOf?: readonly string[];
  /** Inclusive lower bound for numeric configs. */
  min?: number;
  /** Inclusive upper bound for numeric configs. */
  max?: number;
  sensitive?: boolean;
}

const LONG_MAX = "9223372036854775807";
export const LONG_MAX_STRING = LONG_MAX;

/** Checks a value against its definition; throws INVALID_CONFIG with Kafka-like text. */
export function validateConfigValue(def: ConfigDef, value: string): void {
  const bad = (why: string): never => {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${def.name}: ${why}`);
  };
  switch (def.type) {
    case "INT":
    case "SHORT":
    case "LONG": {
      if (!/^-?\d+$/.test(value.trim())) bad(`Not a number of type ${def.type}`);
      const n = BigInt(value.trim());
      const limit = def.type === "LONG" ? 2n ** 63n : def.type === "INT" ? 2n ** 31n : 2n ** 15n;
      if (n >= limit || n < -limit) bad(`Not a number of type ${def.type}`);
      if (def.min !== undefined && n < BigInt(def.min)) bad(`Value must be at least ${def.min}`);
      if (def.max !== undefined && n > BigInt(def.max)) bad(`Value must be no more than ${def.max}`);
      break;
    }
    case "DOUBLE": {
      const n = Number(value);
      if (value.trim() === "" || Number.isNaN(n)) bad("Not a number of type DOUBLE");
      if (def.min !== undefined && n < def.min) bad(`Value must be at least ${def.min}`);
      break;
    }
    case "BOOLEAN":
      if (!/^(true|false)$/i.test(value.trim())) bad("Expected value to be either true or false");
      break;
    case "LIST":
      if (def.oneOf) {
        for (const item of value.split(",").map((s) => s.trim())) {
          if (!def.oneOf.includes(item)) bad(`String must be one of: ${def.oneOf.join(", ")}`);
        }
      }
      break;
    default:
      if (def.oneOf && !def.oneOf.includes(value)) bad(`String must be one of: ${def.oneOf.join(", ")}`);
  }
}

/** Numeric value of a config string; Long.MAX_VALUE maps to Infinity ("never"). */
export function configNumber(value: string): number {
  if (value === LONG_MAX) return Number.POSITIVE_INFINITY;
  return Number(value);
}
