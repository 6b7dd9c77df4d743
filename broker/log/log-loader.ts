import * as fs from "node:fs";
import { join } from "node:path";
import { completeInterruptedSwaps } from "./cleaner-swap-recovery.ts";
import type { LeaderEpochCache } from "./leader-epoch-cache.ts";
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  offsetFromFilename,
  SWAP_SUFFIX,
  TIME_INDEX_SUFFIX,
  TMP_SUFFIX,
} from "./log-files.ts";
import type { LogLogger } from "./log-logger.ts";
import { LogSegment, type SegmentSettings } from "./log-segment.ts";

export interface LoadLogParams {
  dir: string;
  /** `topic-partition`, for messages. */
  name: string;
  segmentSettings: () => SegmentSettings;
  logger: LogLogger;
  /** From recovery-point-offset-checkpoint: everything below it was fsynced. */
  recoveryPoint: number;
  /** From log-start-offset-checkpoint (DeleteRecords or retention moved it). */
  logStartOffset: number;
  /** The log dir had a .kafka_cleanshutdown marker: files are complete, skip recovery. */
  hadCleanShutdown: boolean;
  epochCache: LeaderEpochCache;
}

export interface LoadedLog {
  segments: LogSegment[];
  logStartOffset: number;
  logEndOffset: number;
  recoveryPoint: number;
}

const LEFTOVER_SUFFIXES = [DELETED_SUFFIX, CLEANED_SUFFIX, SWAP_SUFFIX, TMP_SUFFIX];

/**
 * Kafka's LogLoader: opens a partition dir's segments. After a crash (no clean-shutdown
 * marker) every segment from the recovery point on is re-validated batch by batch; the first
 * one found torn or corrupt is truncated there and all later segments are deleted, so a
 * corrupt batch is never served. After a clean shutdown files are trusted and indexes load
 * lazily (a missing or corrupt one is rebuilt from its segment).
 */
export function loadLog(p: LoadLogParams): LoadedLog {
  const segments = openSegments(p);

  if (!p.hadCleanShutdown) {
    const first = Math.max(0, floorIndex(segments, p.recoveryPoint));
    for (let i = first; i < segments.length; i++) {
      const segment = segments[i]!;
      const truncated = segment.recover(p.epochCache);
      if (truncated > 0) {
        p.logger.warn(`Log ${p.name}: truncated ${truncated} bytes of ${segment.path} during recovery (${segment.recoveryProblem})`);
        const later = segments.splice(i + 1);
        for (const s of later) {
          p.logger.warn(`Log ${p.name}: deleting ${s.path}, which follows a corrupt segment`);
          s.deleteFiles();
        }
        break;
      }
    }
  }

  let logStartOffset = Math.max(p.logStartOffset, segments[0]?.baseOffset ?? 0);
  if (segments.length === 0) segments.push(LogSegment.create(p.dir, logStartOffset, p.segmentSettings()));
  const active = segments.at(-1)!;
  active.loadIndexes();
  let logEndOffset = active.nextOffset;

  if (logEndOffset < logStartOffset) {
    // The checkpointed start is beyond what survived: start over there (Kafka does the same).
    p.logger.warn(`Log ${p.name}: log end ${logEndOffset} is below the log start ${logStartOffset}; starting empty at ${logStartOffset}`);
    for (const s of segments.splice(0)) s.deleteFiles();
    segments.push(LogSegment.create(p.dir, logStartOffset, p.segmentSettings()));
    logEndOffset = logStartOffset;
  }

  p.epochCache.truncateFromEnd(logEndOffset);
  p.epochCache.truncateFromStart(logStartOffset);
  const recoveryPoint = p.hadCleanShutdown ? logEndOffset : Math.min(p.recoveryPoint, logEndOffset);
  return { segments, logStartOffset, logEndOffset, recoveryPoint };
}

/**
 * Completes or rolls back an interrupted cleaner swap, drops leftovers and orphan indexes,
 * then opens each `.log` in offset order.
 */
function openSegments(p: LoadLogParams): LogSegment[] {
  completeInterruptedSwaps(p.dir, p.segmentSettings(), p.logger, p.name);
  const names = fs.readdirSync(p.dir);
  const bases = new Set<number>();
  for (const name of names) {
    if (LEFTOVER_SUFFIXES.some((s) => name.endsWith(s))) {
      fs.rmSync(join(p.dir, name), { force: true, recursive: true });
    } else if (name.endsWith(LOG_SUFFIX)) {
      const base = offsetFromFilename(name);
      if (base >= 0) bases.add(base);
    }
  }
  for (const name of names) {
    if ((name.endsWith(INDEX_SUFFIX) || name.endsWith(TIME_INDEX_SUFFIX)) && !bases.has(offsetFromFilename(name))) {
      fs.rmSync(join(p.dir, name), { force: true });
    }
  }
  const sorted = [...bases].sort((a, b) => a - b);
  // Segments that crash recovery will rebuild anyway need no separate index rebuild.
  const recoveredFrom = p.hadCleanShutdown ? Infinity : (sorted.findLast((b) => b <= p.recoveryPoint) ?? -1);
  return sorted.map((base) => {
      const segment = LogSegment.open(p.dir, base, p.segmentSettings());
      if (base < recoveredFrom && !segment.hasIndexFiles()) {
        p.logger.warn(`Log ${p.name}: index files of ${segment.path} are missing; rebuilding them`);
        segment.recover();
      }
      return segment;
    });
}

/** Index of the segment with the largest base offset <= offset, or -1. */
export function floorIndex(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
