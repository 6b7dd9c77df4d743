import { ATTR, BATCH } from "../protocol/records/batch-header.ts";
import { decodeRecordBatch, encodeRecordBatch } from "../protocol/records/record-batch.ts";
import type { Record } from "../protocol/records/record.ts";
import { batchBaseOffset, batchLastOffset, readInt64 } from "./batch-view.ts";
import type { OffsetMap } from "./offset-map.ts";

/** How one batch of a segment being cleaned fares. */
export type BatchOutcome =
  /** Copy the original bytes. */
  | { kind: "keep" }
  /** Nothing survives: leave it out. */
  | { kind: "drop" }
  /** Write this re-encoded batch instead (same base offset, last offset and producer fields). */
  | { kind: "rewrite"; batch: Buffer };

export interface BatchFilterContext {
  map: OffsetMap;
  now: number;
  /** delete.retention.ms: how long a tombstone outlives the cleaning that first sees it. */
  deleteRetentionMs: number;
  /** Batches reaching this offset are past the offset map's range: kept as they are. */
  retainFrom: number;
  /** Whether an emptied batch must stay (as a bare header) to keep producer state. */
  retainEmpty(producerId: number, lastOffset: number): boolean;
  stats: BatchFilterStats;
}

export interface BatchFilterStats {
  recordsRead: number;
  recordsRetained: number;
  /** Keyless records found in the compacted log and dropped, as Kafka's cleaner does. */
  invalidRecords: number;
  tombstonesRemoved: number;
  /** Largest delete horizon of a batch still holding tombstones, or -1. */
  latestDeleteHorizon: number;
}

export function newBatchFilterStats(): BatchFilterStats {
  return { recordsRead: 0, recordsRetained: 0, invalidRecords: 0, tombstonesRemoved: 0, latestDeleteHorizon: -1 };
}

const KEEP: BatchOutcome = { kind: "keep" };
const DROP: BatchOutcome = { kind: "drop" };

/**
 * Kafka's cleaner record filter (Cleaner.cleanInto + MemoryRecords.filterTo) for one v2 batch.
 * A record survives when its offset is the latest the map holds for its key (or its key is
 * not in the map: it is newer than the dirty section) and it is not a tombstone past its
 * delete horizon.
 *
 * Tombstones follow KIP-534 (Kafka 3.1+): the first cleaning that keeps a tombstone rewrites
 * its batch with the DELETE_HORIZON attribute and baseTimestamp = now + delete.retention.ms
 * (record timestamp deltas re-based so each record keeps its timestamp); a later cleaning at
 * or after that time drops it. The older rule (the last-modified time of the last clean
 * segment) only ever applied to pre-v2 batches, which Samsa does not store.
 *
 * Control batches are kept whole: dropping a transaction marker needs the transaction
 * tracking Samsa doesn't have, and Kafka keeps every marker of a non-empty transaction too.
 * Transactional data batches are treated as committed, since no transaction can abort here.
 */
export function filterBatch(batch: Buffer, ctx: BatchFilterContext): BatchOutcome {
  const attributes = batch.readInt16BE(BATCH.ATTRIBUTES);
  const lastOffset = batchLastOffset(batch, 0);
  if (lastOffset >= ctx.retainFrom || attributes & ATTR.CONTROL) return KEEP;

  const { header, records } = decodeRecordBatch(batch);
  const baseOffset = batchBaseOffset(batch, 0);
  const horizon = attributes & ATTR.DELETE_HORIZON ? Number(header.baseTimestamp) : undefined;
  const retained: Record[] = [];
  let tombstones = false;
  for (const r of records) {
    ctx.stats.recordsRead++;
    if (r.key === null) {
      ctx.stats.invalidRecords++;
      continue;
    }
    if (baseOffset + r.offsetDelta < ctx.map.get(r.key)) continue;
    if (r.value === null) {
      if (horizon !== undefined && ctx.now >= horizon) {
        ctx.stats.tombstonesRemoved++;
        continue;
      }
      tombstones = true;
    }
    retained.push(r);
  }
  ctx.stats.recordsRetained += retained.length;

  if (retained.length === 0) {
    const producerId = readInt64(batch, BATCH.PRODUCER_ID);
    if (!ctx.retainEmpty(producerId, lastOffset)) return DROP;
    return records.length === 0 ? KEEP : { kind: "rewrite", batch: emptyBatch(batch) };
  }
  const newHorizon = horizon ?? (tombstones ? ctx.now + ctx.deleteRetentionMs : undefined);
  if (tombstones) ctx.stats.latestDeleteHorizon = Math.max(ctx.stats.latestDeleteHorizon, newHorizon!);
  if (retained.length === records.length && newHorizon === horizon) return KEEP;

  // Offsets, producer fields and the codec stay; only the record set (and maybe the horizon) change.
  const baseTimestamp = newHorizon !== undefined ? BigInt(newHorizon) : header.baseTimestamp;
  const shift = Number(header.baseTimestamp - baseTimestamp);
  let maxTimestamp = header.maxTimestamp;
  if (!(attributes & ATTR.TIMESTAMP_TYPE_LOG_APPEND)) {
    let maxDelta = -Infinity;
    for (const r of retained) maxDelta = Math.max(maxDelta, r.timestampDelta);
    maxTimestamp = header.baseTimestamp + BigInt(maxDelta);
  }
  return {
    kind: "rewrite",
    batch: encodeRecordBatch({
      baseOffset: header.baseOffset,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      attributes: newHorizon !== undefined ? attributes | ATTR.DELETE_HORIZON : attributes,
      lastOffsetDelta: header.lastOffsetDelta,
      baseTimestamp,
      maxTimestamp,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      records: shift === 0 ? retained : retained.map((r) => ({ ...r, timestampDelta: r.timestampDelta + shift })),
    }),
  };
}

/**
 * What Kafka writes for a batch kept only for its producer state (writeEmptyHeader): the same
 * offsets, producer id/epoch/sequence and leader epoch, no records, no compression, both
 * timestamps the original max timestamp.
 */
function emptyBatch(batch: Buffer): Buffer {
  const attributes = batch.readInt16BE(BATCH.ATTRIBUTES);
  const maxTimestamp = batch.readBigInt64BE(BATCH.MAX_TIMESTAMP);
  return encodeRecordBatch({
    baseOffset: batch.readBigInt64BE(BATCH.BASE_OFFSET),
    partitionLeaderEpoch: batch.readInt32BE(BATCH.PARTITION_LEADER_EPOCH),
    attributes: attributes & (ATTR.TIMESTAMP_TYPE_LOG_APPEND | ATTR.TRANSACTIONAL | ATTR.CONTROL),
    lastOffsetDelta: batch.readInt32BE(BATCH.LAST_OFFSET_DELTA),
    baseTimestamp: maxTimestamp,
    maxTimestamp,
    producerId: batch.readBigInt64BE(BATCH.PRODUCER_ID),
    producerEpoch: batch.readInt16BE(BATCH.PRODUCER_EPOCH),
    baseSequence: batch.readInt32BE(BATCH.BASE_SEQUENCE),
    records: [],
  });
}
