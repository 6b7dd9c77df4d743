/**
 * Kafka's `metadata.version` feature (MetadataVersion): a cluster-wide level that decides
 * which metadata record versions the controller may write. Samsa bootstraps new clusters
 * at 3.7-IV4 (level 19), the last 3.7 level: it has JBOD directory assignment (records
 * carry replica directories) and predates the 3.8+/4.0 changes (KIP-853 voters in the
 * log, eligible leader replicas) that Samsa does not implement.
 */
export const METADATA_VERSION_FEATURE = "metadata.version";

export const MetadataVersion = {
  IBP_3_0_IV1: 1,
  IBP_3_2_IV0: 3,
  IBP_3_3_IV3: 7,
  IBP_3_4_IV0: 8,
  IBP_3_7_IV2: 17,
  IBP_3_7_IV4: 19,
} as const;

/** The level a fresh cluster starts at. */
export const BOOTSTRAP_METADATA_VERSION = MetadataVersion.IBP_3_7_IV4;
/** The range this controller and broker support (RegisterBroker's feature range). */
export const MIN_SUPPORTED_METADATA_VERSION = MetadataVersion.IBP_3_0_IV1;
export const MAX_SUPPORTED_METADATA_VERSION = MetadataVersion.IBP_3_7_IV4;

/** Replica directories in partition records arrived with JBOD support (3.7-IV2). */
export function isDirectoryAssignmentSupported(level: number): boolean {
  return level >= MetadataVersion.IBP_3_7_IV2;
}

/** LeaderRecoveryState in partition records (KIP-704, 3.2-IV0): RECOVERING after an unclean election. */
export function isLeaderRecoverySupported(level: number): boolean {
  return level >= MetadataVersion.IBP_3_2_IV0;
}

export function partitionRecordVersion(level: number): number {
  return isDirectoryAssignmentSupported(level) ? 1 : 0;
}

export function partitionChangeRecordVersion(level: number): number {
  return isDirectoryAssignmentSupported(level) ? 1 : 0;
}

/** BrokerRegistrationChangeRecord: v1 adds InControlledShutdown (3.3-IV3), v2 LogDirs (3.7-IV2). */
export function brokerRegistrationChangeRecordVersion(level: number): number {
  if (isDirectoryAssignmentSupported(level)) return 2;
  return level >= MetadataVersion.IBP_3_3_IV3 ? 1 : 0;
}

/** v1 adds InControlledShutdown (3.3-IV3), v2 IsMigratingZkBroker (3.4-IV0), v3 LogDirs (3.7-IV2). */
export function registerBrokerRecordVersion(level: number): number {
  if (isDirectoryAssignmentSupported(level)) return 3;
  if (level >= MetadataVersion.IBP_3_4_IV0) return 2;
  if (level >= MetadataVersion.IBP_3_3_IV3) return 1;
  return 0;
}
