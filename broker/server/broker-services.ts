import type { KafkaError } from "../protocol/errors.ts";
import type { BrokerConfig } from "../config/broker-config.ts";
import type { MetadataImage } from "../controller/metadata-image.ts";
import type { ControllerApi } from "../controller/controller.ts";
import type { MetadataLogRead } from "../controller/quorum/metadata-quorum.ts";
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
  /** Controller commands: carried out here on the controller node, forwarded from the others. */
  readonly controller: ControllerApi;
  /** The node id of the metadata quorum's leader (the active controller), null while unknown. */
  activeControllerId(): number | null;
  /** True on the node that runs the controller (and serves the broker-to-controller APIs). */
  readonly isController: boolean;
  /** Observers' fetches of `__cluster_metadata` (the controller node only; others refuse). */
  readMetadataLog(offset: bigint, maxBytes: number, maxWaitMs: number): Promise<MetadataLogRead>;
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
