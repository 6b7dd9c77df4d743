import * as fs from "node:fs";
import { ATTR, BATCH } from "../protocol/records/batch-header.ts";
import { decodeRecordBatch } from "../protocol/records/record-batch.ts";
import { batchBaseOffset, batchLastOffset, fitsRelativeOffset, readInt64 } from "./batch-view.ts";
import { filterBatch, newBatchFilterStats, type BatchFilterStats } from "./cleaner-batch-filter.ts";
import type { LogToClean } from "./cleaner-offsets.ts";
import { floorIndex } from "./log-loader.ts";
import type { LogSegment } from "./log-segment.ts";
import type { Log } from "./log.ts";
import type { OffsetMap } from "./offset-map.ts";

/** Thrown at a yield point when cleaning must stop (shutdown, the log changed under it). */
export class CleaningAbortedError extends Error {
  override readonly name = "CleaningAbortedError";
}

export interface CleanerStats extends BatchFilterStats {
  bytesRead: number;
  bytesWritten: number;
  /** Records whose keys went into the offset map. */
  mapRecords: number;
  segmentsCleaned: number;
  /** Replacement segments swapped in. */
  groups: number;
}

export interface CleanResult {
  /** The new cleaner checkpoint: everything below was deduplicated. */
  endOffset: number;
  stats: CleanerStats;
}

export interface CleanOptions {
  /** Reused between cleanings (Kafka's dedupe buffer); cleared here first. */
  map: OffsetMap;
  now: number;
  /** Awaited every `yieldBytes` of input and between segments; throws CleaningAbortedError to stop. */
  pause: () => Promise<void>;
  yieldBytes?: number;
}

/** Reads are chunked this big; output is appended to the cleaned segment in chunks this big. */
const IO_CHUNK = 1024 * 1024;
const DEFAULT_YIELD_BYTES = IO_CHUNK;

/**
 * Kafka's Cleaner.doClean for one log, in three steps:
 * 1. build the offset map (key → latest offset) over the dirty section; if the map fills up
 *    the section ends early and the rest waits for the next cleaning;
 * 2. find each producer's last data batch, which must survive (as an empty batch if need be)
 *    so its sequence and epoch are not forgotten;
 * 3. rewrite the segments from the log start up to the end of the mapped section, in groups
 *    that fit one segment, each into a `.cleaned` segment swapped in for the group.
 * Offsets never change. The work is split by `pause()` calls so the event loop keeps going;
 * after each one the segments in use are checked still to be the log's, else the cleaning
 * is abandoned (the `.cleaned` file removed) and retried on a later pass.
 */
export async function cleanLog(ltc: LogToClean, o: CleanOptions): Promise<CleanResult> {
  const { log, firstDirtyOffset, firstUncleanableOffset } = ltc;
  const stats: CleanerStats = { ...newBatchFilterStats(), bytesRead: 0, bytesWritten: 0, mapRecords: 0, segmentsCleaned: 0, groups: 0 };
  const yieldBytes = o.yieldBytes ?? DEFAULT_YIELD_BYTES;
  o.map.clear();

  const endOffset = await buildOffsetMap(log, firstDirtyOffset, firstUncleanableOffset, o.map, stats, o.pause, yieldBytes);
  const lastDataOffsets = await producerLastDataOffsets(log, o.pause, yieldBytes);

  const segments = log.segmentsSnapshot();
  const upTo = segments.findIndex((s, i) => i === segments.length - 1 || s.baseOffset >= endOffset);
  const groups = groupSegmentsBySize(segments.slice(0, upTo), segments[upTo]!.baseOffset, log.config["segment.bytes"], log.config["segment.index.bytes"]);
  for (const group of groups) {
    await cleanSegments(log, group, stats, o, yieldBytes, {
      map: o.map,
      now: o.now,
      deleteRetentionMs: log.config["delete.retention.ms"],
      retainFrom: endOffset,
      // Kafka keeps a producer's last data batch, and the batch ending the cleaned range.
      retainEmpty: (producerId, lastOffset) => (producerId >= 0 && lastDataOffsets.get(producerId) === lastOffset) || lastOffset + 1 === endOffset,
      stats,
    });
  }
  return { endOffset, stats };
}

/**
 * Puts the keys of every record in [from, to) into the map, whole batches only, stopping
 * before a batch that reaches `to` or wouldn't fit. Returns where it stopped.
 */
async function buildOffsetMap(
  log: Log,
  from: number,
  to: number,
  map: OffsetMap,
  stats: CleanerStats,
  pause: () => Promise<void>,
  yieldBytes: number,
): Promise<number> {
  let end = from;
  const segments = log.segmentsSnapshot();
  for (let i = Math.max(0, floorIndex(segments, from)); i < segments.length - 1 && segments[i]!.baseOffset < to; i++) {
    const segment = segments[i]!;
    const size = segment.size;
    checkStillLive(log, [segment], [size]);
    const reader = segment.batchReader(true, IO_CHUNK);
    let sinceYield = 0;
    while (reader.next()) {
      const buf = reader.buffer;
      const at = reader.offset;
      const last = batchLastOffset(buf, at);
      if (last < from) continue;
      if (last >= to) return end;
      if (!(buf.readInt16BE(at + BATCH.ATTRIBUTES) & ATTR.CONTROL)) {
        const count = buf.readInt32BE(at + BATCH.RECORD_COUNT);
        // A map too small for even one batch still takes it, so cleaning always progresses.
        if (map.size > 0 && !map.canHold(count)) return end;
        const base = batchBaseOffset(buf, at);
        for (const r of decodeRecordBatch(buf.subarray(at, at + reader.size)).records) {
          const offset = base + r.offsetDelta;
          if (offset < from || r.key === null) continue;
          map.put(r.key, offset);
          stats.mapRecords++;
        }
      }
      end = last + 1;
      sinceYield += reader.size;
      if (sinceYield >= yieldBytes) {
        await pause();
        checkStillLive(log, [segment], [size]);
        sinceYield = 0;
      }
    }
    if (reader.problem) throw new Error(`${segment.path} is damaged: ${reader.problem} batch at position ${reader.validEnd}`);
    await pause();
  }
  return end;
}

/**
 * The last offset of each producer's last data (non-control) batch in the log: Kafka takes it
 * from the producer state; the log layer reads it from the batch headers.
 */
async function producerLastDataOffsets(log: Log, pause: () => Promise<void>, yieldBytes: number): Promise<Map<number, number>> {
  const last = new Map<number, number>();
  for (const segment of log.segmentsSnapshot()) {
    if (segment.isClosed) throw new CleaningAbortedError(`${segment.path} went away`);
    const reader = segment.batchReader(false, IO_CHUNK);
    let sinceYield = 0;
    while (reader.next()) {
      const header = reader.buffer;
      const at = reader.offset;
      const producerId = readInt64(header, at + BATCH.PRODUCER_ID);
      if (producerId >= 0 && !(header.readInt16BE(at + BATCH.ATTRIBUTES) & ATTR.CONTROL)) last.set(producerId, batchLastOffset(header, at));
      sinceYield += reader.size;
      if (sinceYield >= yieldBytes) {
        await pause();
        // The active segment may grow meanwhile: this reader stops at its size when created.
        if (segment.isClosed) throw new CleaningAbortedError(`${segment.path} went away`);
        sinceYield = 0;
      }
    }
    await pause();
  }
  return last;
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments merge while the sum of their sizes fits
 * segment.bytes, the sums of their index sizes fit segment.index.bytes, and their offsets fit
 * the first one's relative-offset range. `nextBase` is the base of the segment after the last.
 */
export function groupSegmentsBySize(segments: readonly LogSegment[], nextBase: number, maxBytes: number, maxIndexBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  const endOf = (i: number) => segments[i + 1]?.baseOffset ?? nextBase;
  let i = 0;
  while (i < segments.length) {
    const first = segments[i]!;
    const group = [first];
    let bytes = first.size;
    let offsetIndexBytes = fileSize(first.offsetIndex.path);
    let timeIndexBytes = fileSize(first.timeIndex.path);
    for (i++; i < segments.length; i++) {
      const s = segments[i]!;
      const oi = fileSize(s.offsetIndex.path);
      const ti = fileSize(s.timeIndex.path);
      if (bytes + s.size > maxBytes || offsetIndexBytes + oi > maxIndexBytes || timeIndexBytes + ti > maxIndexBytes) break;
      if (!fitsRelativeOffset(endOf(i) - 1, first.baseOffset)) break;
      group.push(s);
      bytes += s.size;
      offsetIndexBytes += oi;
      timeIndexBytes += ti;
    }
    groups.push(group);
  }
  return groups;
}

function fileSize(path: string): number {
  try {
    return fs.statSync(path).size;
  } catch {
    return 0;
  }
}

/** Kafka's cleanSegments: rewrites a group into one `.cleaned` segment and swaps it in. */
async function cleanSegments(
  log: Log,
  group: readonly LogSegment[],
  stats: CleanerStats,
  o: CleanOptions,
  yieldBytes: number,
  ctx: Parameters<typeof filterBatch>[1],
): Promise<void> {
  const sizes = group.map((s) => s.size);
  checkStillLive(log, group, sizes);
  const cleaned = log.createCleanedSegment(group[0]!.baseOffset);
  let swapped = false;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let pendingLast = -1;
    const writePending = () => {
      if (pendingBytes === 0) return;
      cleaned.append(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes), pendingLast);
      stats.bytesWritten += pendingBytes;
      pending = [];
      pendingBytes = 0;
    };
    for (const segment of group) {
      const reader = segment.batchReader(true, IO_CHUNK);
      let sinceYield = 0;
      while (reader.next()) {
        const view = reader.buffer.subarray(reader.offset, reader.offset + reader.size);
        stats.bytesRead += view.length;
        const outcome = filterBatch(view, ctx);
        if (outcome.kind !== "drop") {
          // The reader reuses its buffer: kept bytes must be copied out.
          const out = outcome.kind === "keep" ? Buffer.from(view) : outcome.batch;
          pending.push(out);
          pendingBytes += out.length;
          pendingLast = batchLastOffset(out, 0);
          if (pendingBytes >= IO_CHUNK) writePending();
        }
        sinceYield += view.length;
        if (sinceYield >= yieldBytes) {
          await o.pause();
          checkStillLive(log, group, sizes);
          sinceYield = 0;
        }
      }
      if (reader.problem) throw new Error(`${segment.path} is damaged: ${reader.problem} batch at position ${reader.validEnd}`);
      writePending();
      stats.segmentsCleaned++;
      await o.pause();
      checkStillLive(log, group, sizes);
    }
    cleaned.onBecomeInactive();
    cleaned.flush();
    // Retention's fallback clock must not restart because the data was rewritten.
    cleaned.setLastModified(Math.max(...group.map((s) => s.lastModified)));
    checkStillLive(log, group, sizes);
    swapped = true;
    log.replaceSegments(cleaned, group);
    stats.groups++;
  } finally {
    if (!swapped) cleaned.deleteFiles();
  }
}

/**
 * The segments must still be the log's, inactive and unchanged: retention, DeleteRecords or a
 * truncation may have replaced them while the cleaner yielded (their descriptors may be closed).
 */
function checkStillLive(log: Log, segments: readonly LogSegment[], sizes: readonly number[]): void {
  if (log.isClosed || log.isOffline) throw new CleaningAbortedError(`log ${log.name} is closed or offline`);
  const current = log.segmentsSnapshot();
  const first = current.indexOf(segments[0]!);
  const ok =
    first >= 0 &&
    first + segments.length < current.length &&
    segments.every((s, i) => current[first + i] === s && !s.isClosed && s.size === sizes[i]);
  if (!ok) throw new CleaningAbortedError(`segments of ${log.name} changed during cleaning`);
}
