/** The broker configs the group coordinator reads (Kafka's names in the comments). */
export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions */
  offsetsTopicNumPartitions: number;
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.max.size */
  groupMaxSize: number;
  /** group.initial.rebalance.delay.ms */
  groupInitialRebalanceDelayMs: number;
  /** offset.metadata.max.bytes (Kafka compares the metadata string's length in chars) */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes, in ms */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
}

/** Kafka 3.9's defaults. */
export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicNumPartitions: 50,
  groupMinSessionTimeoutMs: 6000,
  groupMaxSessionTimeoutMs: 1_800_000,
  groupMaxSize: 2_147_483_647,
  groupInitialRebalanceDelayMs: 3000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 10080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
};

/** Reads the coordinator's settings from broker config values, Kafka's defaults for missing ones. */
export function groupCoordinatorConfigFrom(get: (name: string) => string | null): GroupCoordinatorConfig {
  const d = DEFAULT_GROUP_COORDINATOR_CONFIG;
  const num = (name: string, fallback: number): number => {
    const v = get(name);
    return v === null || v.trim() === "" ? fallback : Number(v);
  };
  const retentionMinutes = get("offsets.retention.minutes");
  return {
    offsetsTopicNumPartitions: num("offsets.topic.num.partitions", d.offsetsTopicNumPartitions),
    groupMinSessionTimeoutMs: num("group.min.session.timeout.ms", d.groupMinSessionTimeoutMs),
    groupMaxSessionTimeoutMs: num("group.max.session.timeout.ms", d.groupMaxSessionTimeoutMs),
    groupMaxSize: num("group.max.size", d.groupMaxSize),
    groupInitialRebalanceDelayMs: num("group.initial.rebalance.delay.ms", d.groupInitialRebalanceDelayMs),
    offsetMetadataMaxBytes: num("offset.metadata.max.bytes", d.offsetMetadataMaxBytes),
    offsetsRetentionMs: retentionMinutes === null ? d.offsetsRetentionMs : Number(retentionMinutes) * 60_000,
    offsetsRetentionCheckIntervalMs: num("offsets.retention.check.interval.ms", d.offsetsRetentionCheckIntervalMs),
  };
}
