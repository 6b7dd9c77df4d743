/** A committed offset as the coordinator keeps it (Kafka's OffsetAndMetadata). */
export interface OffsetAndMetadata {
  offset: bigint;
  /** The leader epoch the consumer saw, -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  /** When the commit happened (ms), the base for retention. */
  commitTimestamp: number;
  /**
   * Only for commits with a retention time (OffsetCommit v2-4) or loaded from value v1:
   * the offset expires at this time instead of after offsets.retention.minutes.
   */
  expireTimestamp: number | null;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export const NO_LEADER_EPOCH = -1;
/** OffsetFetch's answer for a partition with no committed offset. */
export const INVALID_OFFSET = -1n;
