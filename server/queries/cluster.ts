import { getRuntime, type ConsoleRuntime } from "../runtime.ts";
import type { ClusterSnapshot } from "../kafka/snapshot.ts";

export type Loaded<T> = { ok: true; value: T } | { ok: false; error: string };

/** The shared metadata snapshot, or why the cluster could not be read. */
export async function loadSnapshot(rt?: ConsoleRuntime): Promise<Loaded<ClusterSnapshot>> {
  const runtime = rt ?? (await getRuntime());
  try {
    return { ok: true, value: await runtime.cluster.snapshot() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
