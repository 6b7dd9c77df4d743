import type { KafkaError } from "../protocol/errors.ts";
import type { BrokerConfig } from "../config/broker-config.ts";
import type { MetadataImage } from "../controller/metadata-image.ts";
import type { QuorumController } from "../controller/controller.ts";
import type { ReplicaManager } from "../replication/replica-manager.ts";
import type { GroupCoordinator } from "../coordinator/group-coordinator.ts";
import type { Clock } from "../util/clock.ts";
import type { Logger } from "../util/logger.ts";

export interface LogDirDescription {
  path: string;
  totalBytes: number;
  usableBytes: number;
  partitions: { topic: string; partition: number; size: number }[];
}

/** What request handlers use of the node, so each handler file depends on one narrow seam. */
export interface BrokerServices {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly replicaManager: ReplicaManager;
  readonly controller: QuorumController;
  /** The classic group coordinator for the `__consumer_offsets` partitions this node leads. */
  readonly groupCoordinator: GroupCoordinator;
  /** The latest committed metadata image. */
  metadata(): MetadataImage;
  describeLogDirs(): LogDirDescription[];
  /**
   * Creates missing topics with the broker's defaults (Metadata's auto-creation) and waits
   * until this node hosts them; resolves each name to null or the error that stopped it.
   */
  autoCreateTopics(names: readonly string[]): Promise<Map<string, KafkaError | null>>;
  /**
   * Creates an internal topic (`__consumer_offsets`, `__transaction_state`) with Kafka's
   * settings if it does not exist; resolves once it exists, rejects with a KafkaError (e.g.
   * INVALID_REPLICATION_FACTOR while too few brokers are alive).
   */
  ensureInternalTopic(name: string): Promise<void>;
}
