import { configNumber } from "../config/config-types.ts";
import type { PartitionSettings } from "../replication/partition.ts";

/** The append-time settings of a partition, read from its topic's effective config. */
export function partitionSettings(config: ReadonlyMap<string, string>): PartitionSettings {
  const num = (name: string) => configNumber(config.get(name) ?? "");
  return {
    minInsyncReplicas: num("min.insync.replicas"),
    maxMessageBytes: num("max.message.bytes"),
    timestampType: config.get("message.timestamp.type") === "LogAppendTime" ? "LogAppendTime" : "CreateTime",
    timestampBeforeMaxMs: num("message.timestamp.before.max.ms"),
    timestampAfterMaxMs: num("message.timestamp.after.max.ms"),
    compacted: (config.get("cleanup.policy") ?? "").split(",").includes("compact"),
  };
}
