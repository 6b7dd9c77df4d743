import type { OffsetAndMetadata, TopicPartition } from "./offset-and-metadata.ts";

interface Committed {
  value: OffsetAndMetadata;
  /**
   * Position in the log: commits can complete out of order, and an older append must never
   * replace a newer one. Loaded offsets are older than any commit made since (-1).
   */
  order: number;
}

export const LOADED_ORDER = -1;

/**
 * A group's committed offsets and the commits still being appended (Kafka keeps both in
 * GroupMetadata: pending commits hold back expiration, and a commit's value becomes visible
 * only once its record is in the log). Unlike Kafka, which remembers only the latest pending
 * commit of a partition, every commit in flight is tracked: otherwise a later commit that
 * fails first makes an earlier one that succeeds invisible (acknowledged, but not fetched).
 */
export class GroupOffsets {
  private readonly committed = new Map<string, Map<number, Committed>>();
  private readonly pending = new Map<string, Map<number, Set<OffsetAndMetadata>>>();

  get size(): number {
    let n = 0;
    for (const m of this.committed.values()) n += m.size;
    return n;
  }

  /** Committed or pending offsets exist (an Empty group with none left may become Dead). */
  get hasOffsets(): boolean {
    return this.committed.size > 0 || this.pending.size > 0;
  }

  hasPending(tp: TopicPartition): boolean {
    return this.pending.get(tp.topic)?.has(tp.partition) ?? false;
  }

  get(tp: TopicPartition): OffsetAndMetadata | undefined {
    return this.committed.get(tp.topic)?.get(tp.partition)?.value;
  }

  /** Every committed offset, sorted by topic then partition. */
  all(): { tp: TopicPartition; value: OffsetAndMetadata }[] {
    const out: { tp: TopicPartition; value: OffsetAndMetadata }[] = [];
    for (const topic of [...this.committed.keys()].sort()) {
      const parts = this.committed.get(topic)!;
      for (const partition of [...parts.keys()].sort((a, b) => a - b)) out.push({ tp: { topic, partition }, value: parts.get(partition)!.value });
    }
    return out;
  }

  /** Installs offsets read from the log. */
  load(tp: TopicPartition, value: OffsetAndMetadata): void {
    setIn(this.committed, tp, { value, order: LOADED_ORDER });
  }

  prepareCommit(tp: TopicPartition, value: OffsetAndMetadata): void {
    let inFlight = this.pending.get(tp.topic)?.get(tp.partition);
    if (!inFlight) setIn(this.pending, tp, (inFlight = new Set()));
    inFlight.add(value);
  }

  /** The commit's record is in the log: it becomes the committed offset unless a newer one is. */
  onCommitAppended(tp: TopicPartition, value: OffsetAndMetadata, order: number): void {
    // Not pending any more means the offset was deleted meanwhile (OffsetDelete, topic deletion).
    if (!this.takePending(tp, value)) return;
    const current = this.committed.get(tp.topic)?.get(tp.partition);
    if (!current || current.order < order) setIn(this.committed, tp, { value, order });
  }

  failPendingCommit(tp: TopicPartition, value: OffsetAndMetadata): void {
    this.takePending(tp, value);
  }

  private takePending(tp: TopicPartition, value: OffsetAndMetadata): boolean {
    const inFlight = this.pending.get(tp.topic)?.get(tp.partition);
    if (!inFlight?.delete(value)) return false;
    if (inFlight.size === 0) deleteIn(this.pending, tp);
    return true;
  }

  /** Removes the offsets (and pending commits) of these partitions; returns what was committed. */
  remove(tps: readonly TopicPartition[]): TopicPartition[] {
    const removed: TopicPartition[] = [];
    for (const tp of tps) {
      deleteIn(this.pending, tp);
      if (deleteIn(this.committed, tp)) removed.push(tp);
    }
    return removed;
  }

  removeAll(): TopicPartition[] {
    return this.remove(this.all().map((e) => e.tp));
  }

  /**
   * Removes offsets past retention: an offset with an explicit expire timestamp (commits
   * made with a retention time) expires then; any other once `retentionMs` has passed since
   * `base(offset)`. Topics in `keepTopics` and partitions with a commit in flight are kept.
   */
  removeExpired(now: number, retentionMs: number, base: (o: OffsetAndMetadata) => number, keepTopics: ReadonlySet<string> = new Set()): TopicPartition[] {
    const expired: TopicPartition[] = [];
    for (const [topic, parts] of this.committed) {
      if (keepTopics.has(topic)) continue;
      for (const [partition, { value }] of parts) {
        const tp = { topic, partition };
        if (this.hasPending(tp)) continue;
        const isExpired = value.expireTimestamp !== null ? now >= value.expireTimestamp : now - base(value) >= retentionMs;
        if (isExpired) expired.push(tp);
      }
    }
    for (const tp of expired) deleteIn(this.committed, tp);
    return expired;
  }
}

function setIn<V>(m: Map<string, Map<number, V>>, tp: TopicPartition, v: V): void {
  let parts = m.get(tp.topic);
  if (!parts) m.set(tp.topic, (parts = new Map()));
  parts.set(tp.partition, v);
}

function deleteIn<V>(m: Map<string, Map<number, V>>, tp: TopicPartition): boolean {
  const parts = m.get(tp.topic);
  if (!parts || !parts.delete(tp.partition)) return false;
  if (parts.size === 0) m.delete(tp.topic);
  return true;
}
