import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { ControlContext, ControllerResult } from "./controller-result.ts";
import type { Endpoint } from "./metadata-image.ts";
import { metadataRecord, type MetadataRecord } from "./metadata-record-serde.ts";
import { registerBrokerRecordVersion } from "./metadata-version.ts";
import { electLeadersOnUnfence } from "./replication-control.ts";

/**
 * Broker registration (Kafka's ClusterControlManager). A broker registers at every start
 * with a fresh incarnation id; its broker epoch is the metadata offset of the registration,
 * so a newer registration always has a higher epoch and requests carrying an older one
 * (producer id blocks, heartbeats) are recognisably stale.
 *
 * Kafka registers a broker fenced and unfences it once its heartbeats show it has caught up
 * with the metadata log. Samsa has no heartbeats yet, so the registration and the unfencing
 * are committed together and the broker can lead at once.
 */
export interface RegisterBrokerCommand {
  brokerId: number;
  /** The cluster id the broker was formatted with; checked when given. */
  clusterId?: string;
  incarnationId: string;
  listeners: readonly Endpoint[];
  rack: string | null;
  /** Feature ranges the broker supports; must include the finalized levels. */
  features: readonly { name: string; minSupportedVersion: number; maxSupportedVersion: number }[];
  /** Directory ids of the broker's online log directories (meta.properties directory.id). */
  logDirs: readonly string[];
}

export interface BrokerRegistrationReply {
  brokerEpoch: bigint;
}

export function registerBroker(ctx: ControlContext, cmd: RegisterBrokerCommand): ControllerResult<BrokerRegistrationReply> {
  const { image } = ctx;
  if (cmd.clusterId !== undefined && cmd.clusterId !== image.clusterId) {
    throw new KafkaError(
      ErrorCode.INCONSISTENT_CLUSTER_ID,
      `Expected cluster ID ${image.clusterId}, but got cluster ID ${cmd.clusterId}`,
    );
  }
  const supported = new Map(cmd.features.map((f) => [f.name, f]));
  for (const [name, level] of image.features) {
    const f = supported.get(name);
    const min = f?.minSupportedVersion ?? 0;
    const max = f?.maxSupportedVersion ?? 0;
    if (level < min || level > max) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `Unable to register because the broker does not support version ${level} of ${name}. It wants a version between ${min} and ${max}, inclusive.`,
      );
    }
  }
  const epoch = ctx.nextOffset;
  const level = image.metadataVersion() ?? 0;
  const version = registerBrokerRecordVersion(level);
  const records: MetadataRecord[] = [
    metadataRecord(
      "RegisterBrokerRecord",
      {
        brokerId: cmd.brokerId,
        isMigratingZkBroker: false,
        incarnationId: cmd.incarnationId,
        brokerEpoch: epoch,
        endPoints: cmd.listeners.map((l) => ({ ...l })),
        features: cmd.features.map((f) => ({ ...f })),
        rack: cmd.rack,
        fenced: true,
        inControlledShutdown: false,
        logDirs: version >= 3 ? [...cmd.logDirs] : [],
      },
      version,
    ),
    metadataRecord("UnfenceBrokerRecord", { id: cmd.brokerId, epoch }),
    ...electLeadersOnUnfence(ctx, cmd.brokerId),
  ];
  return { records, response: { brokerEpoch: epoch } };
}

/** Kafka's checkBrokerEpoch: requests from a broker must carry its current registration's epoch. */
export function checkBrokerEpoch(ctx: ControlContext, brokerId: number, brokerEpoch: bigint): void {
  const b = ctx.image.brokers.get(brokerId);
  if (!b) throw new KafkaError(ErrorCode.STALE_BROKER_EPOCH, `No broker registration found for broker ${brokerId}`);
  if (b.epoch !== brokerEpoch) {
    throw new KafkaError(ErrorCode.STALE_BROKER_EPOCH, `Expected broker epoch ${b.epoch}, but got broker epoch ${brokerEpoch}`);
  }
}
