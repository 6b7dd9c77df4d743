import type { MetadataRecord } from "./metadata-record-serde.ts";

/** Why the controller elected leaders beyond keeping partitions online: who asked for it. */
export const ElectionCause = {
  ADMIN_PREFERRED: "preferred leader election requested by an admin (ElectLeaders)",
  ADMIN_UNCLEAN: "unclean leader election requested by an admin (ElectLeaders)",
  AUTO_REBALANCE: "preferred leader rebalance by the controller (auto.leader.rebalance.enable)",
} as const;
export type ElectionCause = (typeof ElectionCause)[keyof typeof ElectionCause];

/**
 * The causes of the elections the active controller is committing, by partition, so the
 * partition state machine (which sees only committed records) can say who asked for a
 * leader change. A cause is noted when the command decides its records and forgotten once
 * they are committed; the state machine reads it while the records are published.
 */
export class ElectionCauses {
  private readonly causes = new Map<string, ElectionCause>();

  /** Notes `cause` for every partition change in `records`; returns what forgets them. */
  note(records: readonly MetadataRecord[], cause: ElectionCause): () => void {
    const keys: string[] = [];
    for (const r of records) {
      if (r.type !== "PartitionChangeRecord") continue;
      const key = keyOf(r.data.topicId, r.data.partitionId);
      this.causes.set(key, cause);
      keys.push(key);
    }
    return () => {
      for (const key of keys) if (this.causes.get(key) === cause) this.causes.delete(key);
    };
  }

  causeOf(topicId: string, partitionId: number): ElectionCause | undefined {
    return this.causes.get(keyOf(topicId, partitionId));
  }
}

function keyOf(topicId: string, partitionId: number): string {
  return `${topicId}:${partitionId}`;
}
