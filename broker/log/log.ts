import * as fs from "node:fs";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { Clock, Timer } from "../util/clock.ts";
import {
  batchBaseOffset,
  batchCrcMatches,
  batchFramingProblem,
  batchLastOffset,
  batchLeaderEpoch,
  batchSize,
  fitsRelativeOffset,
} from "./batch-view.ts";
import type { FilePool } from "./file-pool.ts";
import { fsyncDir } from "./io.ts";
import { CLEANED_SUFFIX, SWAP_SUFFIX } from "./log-files.ts";
import { LeaderEpochCache, UNDEFINED_EPOCH } from "./leader-epoch-cache.ts";
import { effectiveSegmentMs, hasDeletePolicy, type LogConfig } from "./log-config.ts";
import { floorIndex, loadLog } from "./log-loader.ts";
import { silentLogger, type LogLogger } from "./log-logger.ts";
import { LogSegment, type RecordTimestampSearch, type SegmentSettings } from "./log-segment.ts";
import { scheduleOnce } from "./scheduler.ts";

/** What the caller knows of the batches it appends (offsets were assigned by the leader). */
export interface AppendInfo {
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp?: number;
  /** The leader's validator already checked the CRCs; skip the log's own check. */
  crcVerified?: boolean;
}

export interface LogReadResult {
  /** Whole v2 batches, possibly empty. */
  records: Buffer;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface TimestampAndOffset {
  timestamp: number;
  offset: number;
  /** The leader epoch the offset was written in, or -1. */
  leaderEpoch: number;
}

/** ListOffsets' special timestamps. */
export const ListOffsetsTimestamp = {
  LATEST: -1,
  EARLIEST: -2,
  MAX_TIMESTAMP: -3,
  /** Same as EARLIEST without tiered storage. */
  EARLIEST_LOCAL: -4,
} as const;

export interface LogOptions {
  /** The partition directory (`<log.dir>/<topic>-<partition>`), created if missing. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  clock: Clock;
  /** Runs background work: flushing rolled segments, removing deleted ones. */
  timer: Timer;
  logger?: LogLogger;
  recoveryPoint?: number;
  logStartOffset?: number;
  highWatermark?: number;
  /** False (the default) re-validates everything from the recovery point on. */
  hadCleanShutdown?: boolean;
  recordTimestampSearch?: RecordTimestampSearch;
  /** For segment.jitter.ms; injectable for deterministic tests. */
  random?: () => number;
  /** Where segments get their `.log` descriptors (LogManager shares one); default FilePool.standalone. */
  filePool?: FilePool;
}

/** A follower append starting below the log end (Kafka's UnexpectedAppendOffsetException). */
export class UnexpectedAppendOffsetError extends KafkaError {
  constructor(
    readonly firstOffset: number,
    readonly logEndOffset: number,
    partitionName: string,
  ) {
    super(ErrorCode.UNKNOWN_SERVER_ERROR, `Append to ${partitionName} at offset ${firstOffset} is below the log end offset ${logEndOffset}`);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The log of one partition replica (Kafka's UnifiedLog + LocalLog): segments ordered by base
 * offset, the last one active. Appends take batches whose offsets are already assigned and
 * check they ascend past the log end; reads return whole batches. It tracks the log start
 * offset (raised by retention and DeleteRecords), the log end offset, the high watermark
 * (set by the partition, never above the log end) and the recovery point (everything below
 * is fsynced).
 */
export class Log {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpochCache: LeaderEpochCache;
  private dirPath: string;
  private cfg: LogConfig;
  private segments: LogSegment[];
  private startOffset: number;
  private endOffset: number;
  private hw: number;
  private recoveryPointOffset: number;
  private lastFlushTime: number;
  private dirNeedsFsync = false;
  private offline: string | undefined;
  private closed = false;
  private readonly clock: Clock;
  private readonly timer: Timer;
  private readonly logger: LogLogger;
  private readonly random: () => number;
  private readonly timestampSearch: RecordTimestampSearch | undefined;
  private readonly filePool: FilePool | undefined;
  /** Told the new log end after a truncation, so the cleaner can lower its checkpoint. */
  onTruncation: ((newLogEnd: number) => void) | undefined;

  private constructor(o: LogOptions, epochCache: LeaderEpochCache) {
    this.topic = o.topic;
    this.partition = o.partition;
    this.dirPath = o.dir;
    this.cfg = o.config;
    this.clock = o.clock;
    this.timer = o.timer;
    this.logger = o.logger ?? silentLogger;
    this.random = o.random ?? Math.random;
    this.timestampSearch = o.recordTimestampSearch;
    this.filePool = o.filePool;
    this.leaderEpochCache = epochCache;
    this.lastFlushTime = o.clock.now();
    const loaded = loadLog({
      dir: o.dir,
      name: this.name,
      segmentSettings: () => this.segmentSettings(),
      logger: this.logger,
      recoveryPoint: o.recoveryPoint ?? 0,
      logStartOffset: o.logStartOffset ?? 0,
      hadCleanShutdown: o.hadCleanShutdown ?? false,
      epochCache,
    });
    this.segments = loaded.segments;
    this.startOffset = loaded.logStartOffset;
    this.endOffset = loaded.logEndOffset;
    this.recoveryPointOffset = loaded.recoveryPoint;
    this.hw = clamp(o.highWatermark ?? 0, this.startOffset, this.endOffset);
  }

  /** Opens (recovering if needed) or creates the log in `options.dir`. */
  static open(options: LogOptions): Log {
    fs.mkdirSync(options.dir, { recursive: true });
    return new Log(options, LeaderEpochCache.load(options.dir));
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }
  get dir(): string {
    return this.dirPath;
  }
  get config(): LogConfig {
    return this.cfg;
  }
  get logStartOffset(): number {
    return this.startOffset;
  }
  get logEndOffset(): number {
    return this.endOffset;
  }
  get highWatermark(): number {
    return this.hw;
  }
  get recoveryPoint(): number {
    return this.recoveryPointOffset;
  }
  /** Total bytes of all segments (DescribeLogDirs' size). */
  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }
  get numberOfSegments(): number {
    return this.segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }
  get isOffline(): boolean {
    return this.offline !== undefined;
  }
  private get activeSegment(): LogSegment {
    return this.segments.at(-1)!;
  }

  /** Applies changed topic configs; index sizes take effect from the next segment. */
  updateConfig(config: LogConfig): void {
    this.cfg = config;
    this.activeSegment.indexIntervalBytes = config["index.interval.bytes"];
  }

  // ---- append ----

  /**
   * Appends one or more complete v2 batches. Their offsets must ascend and start at or after
   * the log end; framing (and, unless `crcVerified`, CRCs) are checked. May roll a new
   * segment first, and fsyncs if flush.messages / flush.ms say so.
   */
  append(records: Buffer, info: AppendInfo): void {
    this.checkUsable();
    if (records.length === 0) return;
    let prevLast = this.endOffset - 1;
    let epochChanged = false;
    const latestEpoch = this.leaderEpochCache.latestEpoch();
    for (let p = 0; p < records.length; ) {
      const problem = batchFramingProblem(records, p, records.length - p);
      if (problem) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Invalid batch at byte ${p} of an append to ${this.name}: ${problem}`);
      const size = batchSize(records, p);
      if (info.crcVerified !== true && !batchCrcMatches(records, p, size)) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `CRC mismatch in batch at byte ${p} of an append to ${this.name}`);
      }
      const base = batchBaseOffset(records, p);
      if (base <= prevLast) {
        if (p === 0) throw new UnexpectedAppendOffsetError(base, this.endOffset, this.name);
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Out of order offsets in an append to ${this.name}: ${base} after ${prevLast}`);
      }
      prevLast = batchLastOffset(records, p);
      const epoch = batchLeaderEpoch(records, p);
      if (epoch >= 0 && epoch !== latestEpoch) epochChanged = true;
      p += size;
    }
    const firstOffset = batchBaseOffset(records, 0);
    if (firstOffset !== info.firstOffset || prevLast !== info.lastOffset) {
      throw new KafkaError(
        ErrorCode.UNKNOWN_SERVER_ERROR,
        `Append to ${this.name} claims offsets ${info.firstOffset}..${info.lastOffset} but its batches hold ${firstOffset}..${prevLast}`,
      );
    }
    if (records.length > this.cfg["segment.bytes"]) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `Append of ${records.length} bytes to ${this.name} exceeds segment.bytes ${this.cfg["segment.bytes"]}`,
      );
    }
    this.io(() => {
      const segment = this.maybeRoll(records.length, firstOffset, prevLast, info.maxTimestamp);
      segment.append(records, prevLast);
    });
    this.endOffset = prevLast + 1;
    if (epochChanged) this.assignEpochsFrom(records);
    if (this.endOffset - this.recoveryPointOffset >= this.cfg["flush.messages"]) this.flush();
    else if (this.clock.now() - this.lastFlushTime >= this.cfg["flush.ms"]) this.flush();
  }

  private assignEpochsFrom(records: Buffer): void {
    for (let p = 0; p < records.length; p += batchSize(records, p)) {
      const epoch = batchLeaderEpoch(records, p);
      if (epoch >= 0 && epoch !== this.leaderEpochCache.latestEpoch()) this.leaderEpochCache.assign(epoch, batchBaseOffset(records, p));
    }
  }

  private maybeRoll(size: number, firstOffset: number, lastOffset: number, maxTimestamp: number): LogSegment {
    const active = this.activeSegment;
    const roll = active.shouldRoll({
      maxSegmentBytes: this.cfg["segment.bytes"],
      maxSegmentMs: effectiveSegmentMs(this.cfg),
      maxTimestampInMessages: maxTimestamp,
      maxOffsetInMessages: lastOffset,
      messagesSize: size,
      now: this.clock.now(),
    });
    if (!roll) return active;
    const segment = this.roll(firstOffset);
    if (!fitsRelativeOffset(lastOffset, segment.baseOffset)) {
      throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Append to ${this.name} spans more offsets (${firstOffset}..${lastOffset}) than a segment holds`);
    }
    return segment;
  }

  /**
   * Starts a new active segment at max(expectedNextOffset, log end). The old one is flushed
   * in the background, which moves the recovery point up to the new base.
   */
  roll(expectedNextOffset = 0): LogSegment {
    this.checkUsable();
    const newBase = Math.max(expectedNextOffset, this.endOffset);
    const active = this.activeSegment;
    if (active.baseOffset === newBase && active.size === 0) return active;
    if (active.size === 0) {
      // An empty active segment below the new base (an offset jump) is simply replaced.
      this.segments.pop();
      active.deleteFiles();
    } else {
      active.onBecomeInactive();
    }
    const segment = LogSegment.create(this.dirPath, newBase, this.segmentSettings());
    this.segments.push(segment);
    this.dirNeedsFsync = true;
    scheduleOnce(this.timer, 0, () => this.flushUpTo(newBase), (e) => this.backgroundError("flush", e));
    return segment;
  }

  private segmentSettings(): SegmentSettings {
    const jitter = Math.min(this.cfg["segment.jitter.ms"], this.cfg["segment.ms"]);
    return {
      indexIntervalBytes: this.cfg["index.interval.bytes"],
      maxIndexBytes: this.cfg["segment.index.bytes"],
      rollJitterMs: jitter > 0 && Number.isFinite(jitter) ? Math.floor(this.random() * jitter) : 0,
      clock: this.clock,
      logger: this.logger,
      files: this.filePool,
    };
  }

  // ---- read ----

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (at least one
   * batch with `minOneMessage`), excluding any batch that reaches `upperBound` (the high
   * watermark for consumers, the log end for followers). Data comes from one segment per
   * call; when the fetch offset is past the last batch of its segment, the next one serves.
   * Throws OFFSET_OUT_OF_RANGE outside [logStartOffset, logEndOffset].
   */
  read(fetchOffset: number, maxBytes: number, upperBound: number, minOneMessage: boolean): LogReadResult {
    this.checkUsable();
    const leo = this.endOffset;
    if (fetchOffset < this.startOffset || fetchOffset > leo) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Received request for offset ${fetchOffset} for partition ${this.name}, but we only have log segments in the range ${this.startOffset} to ${leo}.`,
      );
    }
    const maxOffset = Math.min(upperBound, leo);
    let records: Buffer = EMPTY;
    if (fetchOffset < maxOffset) {
      records = this.io(() => {
        for (let i = Math.max(0, floorIndex(this.segments, fetchOffset)); i < this.segments.length; i++) {
          const data = this.segments[i]!.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
          if (data) return data;
        }
        return EMPTY;
      });
    }
    return { records, highWatermark: this.hw, logStartOffset: this.startOffset, logEndOffset: leo };
  }

  /**
   * Calls `visit(buffer, offset)` for the header (BATCH.HEADER_SIZE bytes at `offset`, valid
   * only during the call) of each batch ending at or after `fromOffset`, oldest first — e.g.
   * to rebuild producer state. `visit` returns false to stop.
   */
  forEachBatchHeader(fromOffset: number, visit: (header: Buffer, offset: number) => boolean | void): void {
    this.checkUsable();
    this.io(() => {
      for (let i = Math.max(0, floorIndex(this.segments, fromOffset)); i < this.segments.length; i++) {
        if (!this.segments[i]!.scanBatchHeaders(fromOffset, visit)) return;
      }
    });
  }

  /**
   * ListOffsets: LATEST (-1) is the log end, EARLIEST (-2) the log start, MAX_TIMESTAMP (-3)
   * the record with the largest timestamp; otherwise the earliest offset whose timestamp is
   * >= `timestamp`. Undefined when no record qualifies.
   */
  fetchOffsetByTimestamp(timestamp: number): TimestampAndOffset | undefined {
    this.checkUsable();
    const epochOf = (offset: number) => this.leaderEpochCache.epochForOffset(offset);
    switch (timestamp) {
      case ListOffsetsTimestamp.LATEST:
        return { timestamp: -1, offset: this.endOffset, leaderEpoch: this.leaderEpochCache.latestEpoch() };
      case ListOffsetsTimestamp.EARLIEST:
      case ListOffsetsTimestamp.EARLIEST_LOCAL:
        return { timestamp: -1, offset: this.startOffset, leaderEpoch: epochOf(this.startOffset) };
      case ListOffsetsTimestamp.MAX_TIMESTAMP: {
        let best: LogSegment | undefined;
        for (const s of this.segments) if (s.maxTimestampSoFar >= 0 && (!best || s.maxTimestampSoFar > best.maxTimestampSoFar)) best = s;
        const found = best && this.io(() => best.findMaxTimestamp(this.timestampSearch));
        return found && { ...found, leaderEpoch: epochOf(found.offset) };
      }
    }
    if (timestamp < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported ListOffsets timestamp ${timestamp}`);
    return this.io(() => {
      for (const s of this.segments) {
        if (s.maxTimestampSoFar < timestamp) continue;
        const found = s.findOffsetByTimestamp(timestamp, this.startOffset, this.timestampSearch);
        if (found) return { ...found, leaderEpoch: epochOf(found.offset) };
      }
      return undefined;
    });
  }

  // ---- high watermark, epochs ----

  /** Sets the high watermark, clamped to [logStartOffset, logEndOffset]; returns it. */
  updateHighWatermark(offset: number): number {
    this.hw = clamp(offset, this.startOffset, this.endOffset);
    return this.hw;
  }

  /** Moves the high watermark forward only; it may not pass the log end. */
  maybeIncrementHighWatermark(offset: number): boolean {
    if (offset > this.endOffset) throw new Error(`High watermark ${offset} of ${this.name} would exceed the log end ${this.endOffset}`);
    if (offset <= this.hw) return false;
    this.hw = offset;
    return true;
  }

  /** A new leader epoch starts at `startOffset` (the log end when this replica becomes leader). */
  assignEpochStartOffset(epoch: number, startOffset: number): void {
    this.leaderEpochCache.assign(epoch, startOffset);
  }

  latestEpoch(): number {
    return this.leaderEpochCache.latestEpoch();
  }

  /** OffsetForLeaderEpoch; undefined when the epoch is unknown here. */
  endOffsetForEpoch(epoch: number): { leaderEpoch: number; endOffset: number } | undefined {
    const r = this.leaderEpochCache.endOffsetFor(epoch, this.endOffset);
    return r.endOffset === -1 && r.leaderEpoch === UNDEFINED_EPOCH ? undefined : r;
  }

  // ---- truncation, deletion ----

  /**
   * DeleteRecords: raises the log start offset to `offset` (at most the high watermark) and
   * deletes segments that lie wholly below it. Returns the new log start offset.
   */
  deleteRecordsBefore(offset: number): number {
    this.checkUsable();
    if (offset > this.hw) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `Cannot increment the log start offset of ${this.name} to ${offset}: it is above the high watermark ${this.hw}`,
      );
    }
    if (offset > this.startOffset) {
      this.startOffset = offset;
      this.leaderEpochCache.truncateFromStart(offset);
      this.deleteLogStartOffsetBreachedSegments();
    }
    return this.startOffset;
  }

  /**
   * Removes everything at and after `targetOffset` (a follower diverged from its leader);
   * a batch containing it is removed whole. Returns false if there was nothing to remove.
   */
  truncateTo(targetOffset: number): boolean {
    this.checkUsable();
    if (targetOffset < 0) throw new Error(`Cannot truncate ${this.name} to a negative offset ${targetOffset}`);
    if (targetOffset >= this.endOffset) return false;
    this.logger.info(`Truncating ${this.name} to offset ${targetOffset}`);
    if (targetOffset < this.segments[0]!.baseOffset) {
      this.truncateFullyAndStartAt(targetOffset);
      return true;
    }
    this.io(() => {
      const firstRemoved = floorIndex(this.segments, targetOffset) + 1;
      // Later segments start above the target; the one containing it keeps its earlier batches.
      const removed = this.segments.splice(firstRemoved);
      for (const s of removed) this.deleteSegmentFiles(s);
      const active = this.activeSegment;
      active.truncateTo(targetOffset);
      this.endOffset = active.nextOffset;
    });
    this.leaderEpochCache.truncateFromEnd(this.endOffset);
    this.startOffset = Math.min(this.startOffset, this.endOffset);
    this.hw = Math.min(this.hw, this.endOffset);
    this.recoveryPointOffset = Math.min(this.recoveryPointOffset, this.endOffset);
    this.onTruncation?.(this.endOffset);
    return true;
  }

  /** Deletes all data and restarts the log, empty, at `newOffset`. */
  truncateFullyAndStartAt(newOffset: number): void {
    this.checkUsable();
    this.logger.info(`Truncating ${this.name} fully and starting at offset ${newOffset}`);
    this.io(() => {
      for (const s of this.segments.splice(0)) this.deleteSegmentFiles(s);
      this.segments.push(LogSegment.create(this.dirPath, newOffset, this.segmentSettings()));
      this.dirNeedsFsync = true;
    });
    this.leaderEpochCache.clear();
    this.endOffset = this.startOffset = this.hw = this.recoveryPointOffset = newOffset;
    this.onTruncation?.(newOffset);
  }

  /**
   * Retention: deletes the oldest segments whose newest record is older than retention.ms,
   * then while the log exceeds retention.bytes, then those wholly below the log start offset.
   * Never deletes data at or above the high watermark; the active segment goes too only when
   * it qualifies, and a fresh one replaces it. Returns how many segments were deleted.
   */
  deleteOldSegments(now = this.clock.now()): number {
    this.checkUsable();
    let deleted = 0;
    if (hasDeletePolicy(this.cfg)) {
      const retentionMs = this.cfg["retention.ms"];
      if (retentionMs >= 0 && Number.isFinite(retentionMs)) {
        deleted += this.deleteSegmentsWhile((s) => now - s.largestTimestamp > retentionMs, `retention time ${retentionMs}ms breach`);
      }
      const retentionBytes = this.cfg["retention.bytes"];
      const size = this.size;
      if (retentionBytes >= 0 && size > retentionBytes) {
        let excess = size - retentionBytes;
        deleted += this.deleteSegmentsWhile((s) => {
          if (excess - s.size < 0) return false;
          excess -= s.size;
          return true;
        }, `retention size ${retentionBytes} breach`);
      }
    }
    return deleted + this.deleteLogStartOffsetBreachedSegments();
  }

  private deleteLogStartOffsetBreachedSegments(): number {
    return this.deleteSegmentsWhile((_, next) => next !== undefined && next.baseOffset <= this.startOffset, "log start offset breach");
  }

  /** Deletes segments from the oldest while `predicate` holds and all their data is below the HW. */
  private deleteSegmentsWhile(predicate: (segment: LogSegment, next: LogSegment | undefined) => boolean, reason: string): number {
    let count = 0;
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      const next = this.segments[i + 1];
      const upperBound = next ? next.baseOffset : this.endOffset;
      if (this.hw < upperBound || (!next && segment.size === 0) || !predicate(segment, next)) break;
      count++;
    }
    if (count === 0) return 0;
    this.io(() => {
      if (count === this.segments.length) this.roll();
      const removed = this.segments.splice(0, count);
      for (const s of removed) this.deleteSegmentFiles(s);
      this.logger.info(`Deleting segments ${removed.map((s) => s.baseOffset).join(",")} of ${this.name} due to ${reason}`);
    });
    const first = this.segments[0]!.baseOffset;
    if (first > this.startOffset) {
      this.startOffset = first;
      this.leaderEpochCache.truncateFromStart(first);
    }
    return count;
  }

  /** Renames now, removes after file.delete.delay.ms (Kafka's asynchronous segment delete). */
  private deleteSegmentFiles(segment: LogSegment): void {
    segment.markDeleted();
    scheduleOnce(this.timer, this.cfg["file.delete.delay.ms"], () => segment.deleteFiles(), (e) => this.backgroundError("delete", e));
  }

  // ---- compaction (cleaner.ts does the work) ----

  /** The segments, oldest first, the last one active: a snapshot, stale after any await. */
  segmentsSnapshot(): LogSegment[] {
    return [...this.segments];
  }

  /** A new, empty `<base>.log.cleaned` segment (and indexes) for the cleaner to fill. */
  createCleanedSegment(baseOffset: number): LogSegment {
    this.checkUsable();
    return LogSegment.create(this.dirPath, baseOffset, this.segmentSettings(), CLEANED_SUFFIX);
  }

  /**
   * Kafka's replaceSegments: puts the cleaner's flushed `.cleaned` segment in place of
   * `oldSegments` (consecutive and inactive). Each step is a rename, so a crash anywhere
   * leaves a state log-loader resolves: `.cleaned` → `.swap` is the commit point (recovery
   * finishes any swap it finds and drops `.cleaned` files); the old segments then become
   * `.deleted` (removed after file.delete.delay.ms); last, `.swap` takes the live name.
   */
  replaceSegments(cleaned: LogSegment, oldSegments: readonly LogSegment[]): void {
    this.checkUsable();
    const first = oldSegments.length > 0 ? this.segments.indexOf(oldSegments[0]!) : -1;
    const inPlace = first >= 0 && first + oldSegments.length < this.segments.length && oldSegments.every((s, i) => this.segments[first + i] === s);
    if (!inPlace) throw new Error(`Cannot replace segments of ${this.name}: they are no longer its inactive segments`);
    this.io(() => {
      cleaned.changeFileSuffixes(CLEANED_SUFFIX, SWAP_SUFFIX);
      fsyncDir(this.dirPath);
      this.segments.splice(first, oldSegments.length, cleaned);
      for (const s of oldSegments) this.deleteSegmentFiles(s);
      cleaned.changeFileSuffixes(SWAP_SUFFIX, "");
      fsyncDir(this.dirPath);
    });
    this.logger.info(`Replaced segments ${oldSegments.map((s) => s.baseOffset).join(",")} of ${this.name} with a cleaned segment of ${cleaned.size} bytes`);
  }

  // ---- durability ----

  /** fsyncs everything up to the log end and moves the recovery point there. */
  flush(): void {
    this.flushUpTo(this.endOffset);
  }

  /** fsyncs the segments holding offsets below `offset` that may be unflushed. */
  flushUpTo(offset: number): void {
    if (this.closed || this.offline) return;
    const target = Math.min(offset, this.endOffset);
    this.io(() => {
      if (target > this.recoveryPointOffset) {
        for (let i = 0; i < this.segments.length; i++) {
          const s = this.segments[i]!;
          const end = this.segments[i + 1]?.baseOffset ?? Infinity;
          if (s.baseOffset < target && end > this.recoveryPointOffset) s.flush();
        }
      }
      if (this.dirNeedsFsync) {
        fsyncDir(this.dirPath);
        this.dirNeedsFsync = false;
      }
    });
    this.recoveryPointOffset = Math.max(this.recoveryPointOffset, target);
    this.lastFlushTime = this.clock.now();
  }

  /** How long since the last fsync (for the flush.ms check of idle logs). */
  timeSinceLastFlush(now = this.clock.now()): number {
    return now - this.lastFlushTime;
  }

  /** Closes files without fsync (LogManager flushes first on a clean shutdown). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.segments) {
      try {
        s.close();
      } catch (e) {
        this.logger.error(`Error closing ${s.path}: ${(e as Error).message}`);
      }
    }
  }

  /** For LogManager.deleteLog: the dir was renamed; later background work must use the new path. */
  markDirRenamed(newDir: string): void {
    this.dirPath = newDir;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private checkUsable(): void {
    if (this.offline) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Log ${this.name} is offline: ${this.offline}`);
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Log ${this.name} is closed`);
  }

  /** Disk errors take the log offline (its files may be half-written): KAFKA_STORAGE_ERROR. */
  private io<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof KafkaError) throw e;
      this.offline = (e as Error).message;
      this.logger.error(`Log ${this.name} is going offline after an I/O error: ${this.offline}`);
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `Storage error on ${this.name}: ${this.offline}`);
    }
  }

  private backgroundError(what: string, e: unknown): void {
    this.logger.error(`Background ${what} of ${this.name} failed: ${(e as Error).message}`);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(value, max));
}
