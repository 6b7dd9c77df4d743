/**
 * A partition's ordered replica list as an operator types it ("2, 0, 1": the first is the
 * preferred leader), checked the same way in the browser and on the server: non-empty, whole
 * broker ids, no broker twice and, when the brokers are known, only those.
 */
export type ParsedReplicaList = { ok: true; replicas: number[] } | { ok: false; error: string };

/** The form field of a partition's replica list. */
export const replicaField = (partition: number) => `replicas-${partition}`;

export function parseReplicaList(text: string, knownBrokers?: ReadonlySet<number>): ParsedReplicaList {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length === 0) return { ok: false, error: "Enter at least one broker id" };
  const bad = parts.find((s) => !/^\d+$/.test(s));
  if (bad !== undefined) return { ok: false, error: `"${bad}" is not a broker id` };
  const replicas = parts.map(Number);
  const twice = replicas.find((b, i) => replicas.indexOf(b) !== i);
  if (twice !== undefined) return { ok: false, error: `Broker ${twice} is listed twice: a partition has one replica per broker` };
  const unknown = knownBrokers ? replicas.filter((b) => !knownBrokers.has(b)) : [];
  if (unknown.length > 0) return { ok: false, error: `No broker ${unknown.join(", ")} in the cluster (brokers: ${[...knownBrokers!].sort((a, b) => a - b).join(", ")})` };
  return { ok: true, replicas };
}
