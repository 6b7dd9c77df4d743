/**
 * What a state change's subject refers to (DESIGN.md's subjects): partitions are
 * `<topic>-<partition>`, replicas `<topic>-<partition>@<broker>`, reassignments name a
 * partition, brokers are their id. Pure, so the browser's live filter and the store's
 * columns agree.
 */
export interface SubjectParts {
  /** The topic of a partition, replica or reassignment event. */
  topic: string | null;
  /** The broker a broker or replica event concerns. */
  broker: number | null;
}

const PARTITION = /^(.+)-(\d+)(?:@(\d+))?$/;

export function subjectParts(machine: string, subject: string): SubjectParts {
  if (machine === "broker") return { topic: null, broker: /^\d+$/.test(subject) ? Number(subject) : null };
  if (machine !== "partition" && machine !== "replica" && machine !== "reassignment") return { topic: null, broker: null };
  const m = PARTITION.exec(subject);
  if (!m) return { topic: null, broker: null };
  return { topic: m[1]!, broker: machine === "replica" && m[3] !== undefined ? Number(m[3]) : null };
}
