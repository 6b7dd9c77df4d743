import type { PartitionSettings } from "./partition.ts";

/** Partition settings for tests: Kafka's defaults for a plain (delete-policy) topic, min ISR 1. */
export const TEST_PARTITION_SETTINGS: PartitionSettings = {
  minInsyncReplicas: 1,
  maxMessageBytes: 1048588,
  timestampType: "CreateTime",
  timestampBeforeMaxMs: Infinity,
  timestampAfterMaxMs: Infinity,
  compacted: false,
};
