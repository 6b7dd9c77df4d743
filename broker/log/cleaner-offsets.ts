import { batchBaseOffset, batchMaxTimestamp } from "./batch-view.ts";
import { floorIndex } from "./log-loader.ts";
import type { LogSegment } from "./log-segment.ts";
import type { Log } from "./log.ts";

/**
 * What the cleaner knows of one compacted log before cleaning it (Kafka's LogToClean, from
 * LogCleanerManager.cleanableOffsets): the clean head [log start, first dirty), the dirty
 * section [first dirty, first uncleanable) and the bytes of each.
 */
export interface LogToClean {
  log: Log;
  /** The cleaner checkpoint (where the last cleaning stopped), reset to the log start if invalid. */
  firstDirtyOffset: number;
  /** Nothing at or above this is cleaned: see cleanableOffsets. */
  firstUncleanableOffset: number;
  /** The checkpoint was below the log start or above the log end and must be rewritten. */
  checkpointReset: boolean;
  /** Bytes of the segments wholly below the first dirty offset. */
  cleanBytes: number;
  /** Bytes of the non-active segments holding dirty offsets below the first uncleanable one. */
  cleanableBytes: number;
  totalBytes: number;
  /** cleanableBytes / totalBytes, compared with min.cleanable.dirty.ratio. */
  cleanableRatio: number;
  /** A dirty segment's first batch is older than max.compaction.lag.ms: clean whatever the ratio. */
  needCompactionNow: boolean;
}

/**
 * The cleanable range of `log` given its checkpoint. The first uncleanable offset is the
 * smallest of: the active segment's base (the active segment is never cleaned), the high
 * watermark (consumers and followers may not have seen what lies above), and the first batch
 * whose max timestamp is younger than min.compaction.lag.ms (Kafka cuts at the segment holding
 * it; cutting at the batch cleans a little more and is equally safe).
 */
export function logToClean(log: Log, checkpoint: number | undefined, now: number): LogToClean {
  const segments = log.segmentsSnapshot();
  const active = segments.at(-1)!;
  let firstDirtyOffset = checkpoint ?? log.logStartOffset;
  let checkpointReset = false;
  if (firstDirtyOffset < log.logStartOffset || firstDirtyOffset > log.logEndOffset) {
    // Retention or DeleteRecords moved the start past it, or the log lost its tail: assume
    // everything is dirty (Kafka does the same).
    checkpointReset = checkpoint !== undefined;
    firstDirtyOffset = log.logStartOffset;
  }
  const minLag = log.config["min.compaction.lag.ms"];
  const firstUncleanableOffset = Math.max(
    firstDirtyOffset,
    Math.min(active.baseOffset, log.highWatermark, minLag > 0 ? firstYoungOffset(segments, firstDirtyOffset, now - minLag) : Infinity),
  );

  let cleanBytes = 0;
  let cleanableBytes = 0;
  let earliestDirtyTimestamp = Infinity;
  for (let i = 0; i < segments.length - 1; i++) {
    const s = segments[i]!;
    const end = segments[i + 1]!.baseOffset;
    if (end <= firstDirtyOffset) {
      cleanBytes += s.size;
      continue;
    }
    const first = s.firstBatchMaxTimestamp;
    if (first > 0) earliestDirtyTimestamp = Math.min(earliestDirtyTimestamp, first);
    if (s.baseOffset < firstUncleanableOffset) cleanableBytes += s.size;
  }
  const totalBytes = cleanBytes + cleanableBytes;
  const maxLag = log.config["max.compaction.lag.ms"];
  return {
    log,
    firstDirtyOffset,
    firstUncleanableOffset,
    checkpointReset,
    cleanBytes,
    cleanableBytes,
    totalBytes,
    cleanableRatio: totalBytes > 0 ? cleanableBytes / totalBytes : 0,
    needCompactionNow: Number.isFinite(maxLag) && earliestDirtyTimestamp < now - maxLag,
  };
}

/**
 * The base offset of the first batch at or after `from` in a non-active segment whose max
 * timestamp is above `cutoff`, or Infinity. Segments whose largest timestamp is at most the
 * cutoff are skipped unread; a segment that is young only by its modification time (its
 * batches carry no timestamps) counts as young from its base offset.
 */
function firstYoungOffset(segments: readonly LogSegment[], from: number, cutoff: number): number {
  for (let i = Math.max(0, floorIndex(segments, from)); i < segments.length - 1; i++) {
    const s = segments[i]!;
    if (s.largestTimestamp <= cutoff) continue;
    let young = Infinity;
    s.scanBatchHeaders(from, (header, offset) => {
      if (batchMaxTimestamp(header, offset) <= cutoff) return true;
      young = Math.max(from, batchBaseOffset(header, offset));
      return false;
    });
    return Number.isFinite(young) ? young : Math.max(from, s.baseOffset);
  }
  return Infinity;
}
