/** One record of a coordinator's internal topic partition; a null value is a tombstone. */
export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

/**
 * The group coordinator's only dependency on storage and replication: the partitions of
 * `__consumer_offsets` this node leads. The node implements it over its partition logs;
 * tests and simulations use InMemoryCoordinatorLog.
 */
export interface CoordinatorLog {
  /** Appends the records to __consumer_offsets-<partition> as one batch; resolves once committed (acks=all), rejects with a KafkaError. */
  append(partition: number, records: CoordinatorRecord[]): Promise<void>;
  /** Every record of __consumer_offsets-<partition> from the log start, in offset order (for loading). */
  read(partition: number): AsyncIterable<{ offset: number; key: Buffer | null; value: Buffer | null }>;
}
