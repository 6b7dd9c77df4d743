import type { ClusterConnection, FetchedMessage } from "../kafka/cluster.ts";

export interface BrowseRequest {
  topic: string;
  /** A partition, or null for all of them. */
  partition: number | null;
  mode: "latest" | "offset" | "timestamp";
  offset?: bigint;
  timestamp?: number;
  limit: number;
}

/**
 * Messages for the browser: the latest N (per partition, merged newest first), or from an
 * offset or a timestamp (oldest first), read with plain Fetch requests, no consumer group.
 */
export async function browseMessages(cluster: ClusterConnection, req: BrowseRequest): Promise<FetchedMessage[]> {
  const snap = await cluster.snapshot();
  const topic = snap.byName.get(req.topic);
  if (!topic) return [];
  const partitions = req.partition === null ? topic.partitions.map((p) => p.partition) : [req.partition];
  const offsets = await cluster.offsets(req.topic);
  const byTime = req.mode === "timestamp" ? await cluster.offsetsForTimestamp(req.topic, req.timestamp ?? 0) : null;
  const perPartition = await Promise.all(
    partitions.map(async (p) => {
      const o = offsets.get(p);
      if (!o) return [];
      const low = BigInt(o.low);
      const high = BigInt(o.high);
      let start: bigint;
      if (req.mode === "latest") start = high - BigInt(req.limit);
      else if (req.mode === "offset") start = req.offset ?? low;
      else start = BigInt(byTime?.get(p) ?? o.high);
      if (start < low) start = low;
      if (start >= high) return [];
      return (await cluster.fetchMessages(req.topic, p, start, req.limit)).messages;
    }),
  );
  const all = perPartition.flat();
  if (req.mode === "latest") {
    all.sort((a, b) => b.timestamp - a.timestamp || (BigInt(b.offset) > BigInt(a.offset) ? 1 : -1));
  } else {
    all.sort((a, b) => a.timestamp - b.timestamp || (BigInt(a.offset) > BigInt(b.offset) ? 1 : -1));
  }
  return all.slice(0, req.limit);
}
