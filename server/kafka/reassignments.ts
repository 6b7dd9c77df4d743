import { ApiKey } from "../../broker/protocol/generated/apis.ts";
import { ErrorCode } from "../../broker/protocol/errors.ts";
import type { ClusterConnection } from "./cluster.ts";
import { ClusterError, kafkaErrorName } from "./errors.ts";
import { replicaKey } from "./replica-status.ts";

/** One partition being moved, as ListPartitionReassignments reports it. */
export interface Reassignment {
  topic: string;
  partition: number;
  /** The replica set during the move: target plus the replicas being removed. */
  replicas: number[];
  adding: number[];
  removing: number[];
}

/** One partition's answer to AlterPartitionReassignments or ElectLeaders: null error = done. */
export interface PartitionOutcome {
  partition: number;
  error: string | null;
  message: string | null;
}

/** How far one adding replica has copied the leader's log. */
export interface CatchUp {
  broker: number;
  logEndOffset: string | null;
  /** Offsets behind the leader's log end; null when either end is unknown. */
  behind: string | null;
  /** 0-100 of the leader's log copied (from its log start); null when unknown. */
  percent: number | null;
}

/** Kafka's ElectionType: 0 preferred, 1 unclean. */
const PREFERRED = 0;
const REQUEST_TIMEOUT_MS = 30_000;

/** Every reassignment in progress (topics null), or those of the given partitions. */
export async function listReassignments(cluster: ClusterConnection, topics: { topic: string; partitions: number[] }[] | null = null): Promise<Reassignment[]> {
  return cluster.withControllerWire(async (c) => {
    const v = c.version(ApiKey.ListPartitionReassignments, 0, 0);
    const r = await c.request(ApiKey.ListPartitionReassignments, v, { timeoutMs: REQUEST_TIMEOUT_MS, topics: topics?.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) ?? null });
    if (r.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(r.errorCode), r.errorMessage || kafkaErrorName(r.errorCode));
    return r.topics
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  });
}

/**
 * AlterPartitionReassignments for one topic: per partition the ordered target replicas (the
 * first is the preferred leader), or null to cancel the partition's reassignment. Kafka
 * answers per partition; each outcome carries its error name and message.
 */
export async function alterReassignments(cluster: ClusterConnection, topic: string, targets: { partition: number; replicas: number[] | null }[]): Promise<PartitionOutcome[]> {
  try {
    return await cluster.withControllerWire(async (c) => {
      const v = c.version(ApiKey.AlterPartitionReassignments, 0, 0);
      const r = await c.request(ApiKey.AlterPartitionReassignments, v, {
        timeoutMs: REQUEST_TIMEOUT_MS,
        topics: [{ name: topic, partitions: targets.map((t) => ({ partitionIndex: t.partition, replicas: t.replicas })) }],
      });
      if (r.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(r.errorCode), r.errorMessage || kafkaErrorName(r.errorCode));
      return (r.responses[0]?.partitions ?? []).map((p) => outcome(p.partitionIndex, p.errorCode, p.errorMessage));
    });
  } finally {
    cluster.invalidate();
  }
}

/**
 * ElectLeaders (preferred) for the given partitions of a topic. ELECTION_NOT_NEEDED (already
 * led by its preferred replica) comes back as an outcome like any other; the caller decides
 * that it is no failure.
 */
export async function electPreferredLeaders(cluster: ClusterConnection, topic: string, partitions: number[]): Promise<PartitionOutcome[]> {
  try {
    return await cluster.withControllerWire(async (c) => {
      // v0 has no election type (always preferred); v1+ carries it.
      const v = c.version(ApiKey.ElectLeaders, 0, 2);
      const r = await c.request(ApiKey.ElectLeaders, v, { electionType: PREFERRED, topicPartitions: [{ topic, partitions }], timeoutMs: REQUEST_TIMEOUT_MS });
      if (r.errorCode !== ErrorCode.NONE) throw new ClusterError(kafkaErrorName(r.errorCode), kafkaErrorName(r.errorCode));
      return r.replicaElectionResults
        .filter((t) => t.topic === topic)
        .flatMap((t) => t.partitionResult.map((p) => outcome(p.partitionId, p.errorCode, p.errorMessage)))
        .sort((a, b) => a.partition - b.partition);
    });
  } finally {
    cluster.invalidate();
  }
}

function outcome(partition: number, errorCode: number, message: string | null): PartitionOutcome {
  return errorCode === ErrorCode.NONE ? { partition, error: null, message: null } : { partition, error: kafkaErrorName(errorCode), message: message || null };
}

/**
 * Each adding replica's catch-up: how many offsets it is behind the leader's log end and what
 * share of the leader's log (from `logStart`, where a new replica starts copying) it holds.
 * `ends` holds log end offsets by `replicaKey`.
 */
export function catchUp(r: Pick<Reassignment, "topic" | "partition" | "adding">, leader: number, logStart: bigint | null, ends: ReadonlyMap<string, bigint>): CatchUp[] {
  const leaderEnd = leader >= 0 ? ends.get(replicaKey(r.topic, r.partition, leader)) : undefined;
  return r.adding.map((broker) => {
    const end = ends.get(replicaKey(r.topic, r.partition, broker));
    if (end === undefined || leaderEnd === undefined) return { broker, logEndOffset: end?.toString() ?? null, behind: null, percent: null };
    const behind = leaderEnd > end ? leaderEnd - end : 0n;
    const start = logStart ?? 0n;
    const span = leaderEnd - start;
    const percent = span <= 0n ? 100 : Math.max(0, Math.min(100, Math.floor((Number(end - start) * 100) / Number(span))));
    return { broker, logEndOffset: end.toString(), behind: behind.toString(), percent };
  });
}

/** Kafka's per-partition refusal of a reassignment or election in words (Kafka's own message after, when it sent one). */
export function explainOutcome(o: PartitionOutcome): string {
  const words: Record<string, string> = {
    NO_REASSIGNMENT_IN_PROGRESS: "no reassignment is in progress for it (it may have just completed)",
    UNKNOWN_TOPIC_OR_PARTITION: "the partition does not exist",
    PREFERRED_LEADER_NOT_AVAILABLE: "its preferred replica cannot lead now (offline or out of the ISR)",
    ELIGIBLE_LEADERS_NOT_AVAILABLE: "no replica can lead it now",
    ELECTION_NOT_NEEDED: "already led by the preferred replica",
    NOT_CONTROLLER: "the controller moved; try again",
    REQUEST_TIMED_OUT: "the controller did not answer in time; it may still apply the change",
  };
  const said = o.error ? words[o.error] : undefined;
  const kafka = o.message ? `${o.error}: ${o.message}` : (o.error ?? "");
  return `partition ${o.partition}: ${said ? `${said} (${kafka})` : kafka}`;
}
