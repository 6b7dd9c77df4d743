import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { ControlContext, ControllerResult } from "./controller-result.ts";
import type { Endpoint } from "./metadata-image.ts";
import { metadataRecord, type MetadataRecord } from "./metadata-record-serde.ts";
import { brokerRegistrationChangeRecordVersion, registerBrokerRecordVersion } from "./metadata-version.ts";
import { electLeadersOnUnfence, leaderAndIsrUpdatesRemoving } from "./replication-control.ts";

/**
 * Broker registration (Kafka's ClusterControlManager). A broker registers at every start
 * with a fresh incarnation id; its broker epoch is the metadata offset of the registration,
 * so a newer registration always has a higher epoch and requests carrying an older one
 * (producer id blocks, heartbeats) are recognisably stale.
 *
 * A broker registers fenced and is unfenced once a heartbeat shows it has replayed the
 * metadata log up to its own registration (Kafka's BrokerHeartbeat). A combined node's own
 * broker registers in-process with the controller that serves it, so it cannot lag behind
 * and is unfenced in the same commit.
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
  /** Unfence in the same commit: only for the controller's own in-process broker. */
  unfenceAtOnce?: boolean;
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
  const existing = image.brokers.get(cmd.brokerId);
  // A retried registration of the same incarnation (the first reply was lost) keeps its epoch.
  if (existing && existing.incarnationId === cmd.incarnationId) return { records: [], response: { brokerEpoch: existing.epoch } };
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
    ...(cmd.unfenceAtOnce ? [metadataRecord("UnfenceBrokerRecord", { id: cmd.brokerId, epoch }), ...electLeadersOnUnfence(ctx, cmd.brokerId)] : []),
  ];
  // A new incarnation may have lost its unflushed log tail (a power loss): it leaves every
  // ISR and leadership before it can serve, and rejoins by catching up (Kafka's
  // handleBrokerUncleanShutdown). Its old session expired, but the fencing that does the
  // same may not have run yet.
  if (existing && !cmd.unfenceAtOnce) records.push(...leaderAndIsrUpdatesRemoving(ctx, cmd.brokerId));
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

export interface BrokerHeartbeatCommand {
  brokerId: number;
  brokerEpoch: bigint;
  /** The last metadata offset the broker has applied. */
  currentMetadataOffset: bigint;
  wantFence: boolean;
  wantShutDown: boolean;
}

export interface BrokerHeartbeatReply {
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

/**
 * One broker heartbeat (Kafka's ReplicationControlManager.processBrokerHeartbeat and
 * BrokerHeartbeatManager.calculateNextBrokerState): a fenced broker that has caught up with
 * its own registration is unfenced and takes back the leaderships only it can hold; a
 * broker asking to shut down enters controlled shutdown, handing its leaderships to other
 * in-sync replicas in the same commit, and on its next heartbeat is fenced and told it may
 * stop, so it can register again at once when it restarts.
 */
export function processBrokerHeartbeat(ctx: ControlContext, cmd: BrokerHeartbeatCommand): ControllerResult<BrokerHeartbeatReply> {
  checkBrokerEpoch(ctx, cmd.brokerId, cmd.brokerEpoch);
  const b = ctx.image.brokers.get(cmd.brokerId)!;
  const isCaughtUp = cmd.currentMetadataOffset >= b.epoch;
  const version = registrationChangeRecordVersion(ctx);
  if (b.fenced) {
    if (cmd.wantShutDown) return { records: [], response: { isCaughtUp, isFenced: true, shouldShutDown: true } };
    if (cmd.wantFence || !isCaughtUp || b.inControlledShutdown) return { records: [], response: { isCaughtUp, isFenced: true, shouldShutDown: false } };
    return {
      records: [
        metadataRecord("BrokerRegistrationChangeRecord", { ...registrationChange(b.id, b.epoch), fenced: -1 }, version),
        ...electLeadersOnUnfence(ctx, b.id),
      ],
      response: { isCaughtUp, isFenced: false, shouldShutDown: false },
    };
  }
  if (cmd.wantShutDown) {
    // First heartbeat: enter controlled shutdown, leaderships move in the same commit. The
    // next one finds it leading nothing: it is fenced and may stop (Kafka's SHUTDOWN_NOW).
    if (!b.inControlledShutdown) {
      return {
        records: [metadataRecord("BrokerRegistrationChangeRecord", { ...registrationChange(b.id, b.epoch), inControlledShutdown: 1 }, version), ...leaderAndIsrUpdatesRemoving(ctx, b.id)],
        response: { isCaughtUp, isFenced: false, shouldShutDown: false },
      };
    }
    return { records: fenceBroker(ctx, b.id), response: { isCaughtUp, isFenced: true, shouldShutDown: true } };
  }
  if (cmd.wantFence) return { records: fenceBroker(ctx, b.id), response: { isCaughtUp, isFenced: true, shouldShutDown: false } };
  return { records: [], response: { isCaughtUp, isFenced: false, shouldShutDown: false } };
}

/** Fences `brokerId` (missed heartbeats, or asked to) and moves its leaderships away. */
export function fenceBroker(ctx: ControlContext, brokerId: number): MetadataRecord[] {
  const b = ctx.image.brokers.get(brokerId);
  if (!b || b.fenced) return [];
  return [
    metadataRecord("BrokerRegistrationChangeRecord", { ...registrationChange(b.id, b.epoch), fenced: 1 }, registrationChangeRecordVersion(ctx)),
    ...leaderAndIsrUpdatesRemoving(ctx, brokerId),
  ];
}

function registrationChange(brokerId: number, brokerEpoch: bigint) {
  return { brokerId, brokerEpoch, fenced: 0, inControlledShutdown: 0, logDirs: [] as string[] };
}

function registrationChangeRecordVersion(ctx: ControlContext): number {
  return brokerRegistrationChangeRecordVersion(ctx.image.metadataVersion() ?? 0);
}
