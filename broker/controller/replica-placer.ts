import { ErrorCode, KafkaError } from "../protocol/errors.ts";

/** A broker the placer may put replicas on (registered and not in controlled shutdown). */
export interface UsableBroker {
  id: number;
  rack: string | null;
  fenced: boolean;
}

export interface PlacementSpec {
  /** Id of the first partition to place (new partitions continue the striping). */
  startPartition: number;
  numPartitions: number;
  replicationFactor: number;
}

/** Why a placement is impossible; Kafka's InvalidReplicationFactorException. */
export class InvalidReplicationFactorError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.INVALID_REPLICATION_FACTOR, message);
  }
}

/**
 * Chooses replicas for new partitions, in the spirit of Kafka's StripedReplicaPlacer:
 *  - brokers are interleaved across racks (one from each rack in turn) so consecutive
 *    replicas land on different racks where possible;
 *  - partitions stripe round-robin over that list from a random start, and the followers'
 *    offset shifts once per full round, so leaders and followers both spread evenly;
 *  - fenced brokers are used only when there are not enough unfenced ones, and never first,
 *    so every new partition's preferred leader is a live broker.
 * `random` makes placement reproducible in tests.
 */
export function placeReplicas(spec: PlacementSpec, brokers: readonly UsableBroker[], random: () => number): number[][] {
  const rf = spec.replicationFactor;
  if (rf <= 0) {
    throw new InvalidReplicationFactorError(`Invalid replication factor ${rf}: the replication factor must be positive.`);
  }
  const unfenced = rackAlternated(brokers.filter((b) => !b.fenced));
  const fenced = rackAlternated(brokers.filter((b) => b.fenced));
  if (unfenced.length === 0) throw new InvalidReplicationFactorError("All brokers are currently fenced.");
  if (rf > brokers.length) {
    throw new InvalidReplicationFactorError(
      `The target replication factor of ${rf} cannot be reached because only ${brokers.length} broker(s) are registered.`,
    );
  }
  const n = unfenced.length;
  const start = Math.floor(random() * n);
  let shift = Math.floor(random() * n);
  const out: number[][] = [];
  for (let i = 0; i < spec.numPartitions; i++) {
    const p = spec.startPartition + i;
    if (i > 0 && p % n === 0) shift++;
    const first = (p + start) % n;
    const replicas = [unfenced[first]!];
    const fromUnfenced = Math.min(rf, n);
    for (let j = 0; j < fromUnfenced - 1; j++) {
      replicas.push(unfenced[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    }
    for (let j = 0; j < rf - fromUnfenced; j++) {
      replicas.push(fenced[(p + j) % fenced.length]!);
    }
    out.push(replicas);
  }
  return out;
}

/** Broker ids ordered rack by rack in turn (racks and ids sorted; no rack is its own group). */
function rackAlternated(brokers: readonly UsableBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((a, c) => a.id - c.id)) {
    const key = b.rack ?? "";
    let list = byRack.get(key);
    if (!list) byRack.set(key, (list = []));
    list.push(b.id);
  }
  const racks = [...byRack.keys()].sort().map((k) => byRack.get(k)!);
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) {
    for (const rack of racks) if (i < rack.length) out.push(rack[i]!);
  }
  return out;
}
