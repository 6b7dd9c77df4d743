import * as fs from "node:fs";
import { BATCH } from "../protocol/records/batch-header.ts";
import type { Clock } from "../util/clock.ts";
import {
  batchBaseOffset,
  batchCrcMatches,
  batchLastOffset,
  batchLeaderEpoch,
  batchMaxTimestamp,
  batchSize,
  fitsRelativeOffset,
} from "./batch-view.ts";
import { FileBatchReader } from "./file-batch-reader.ts";
import { FilePool, type PooledFile } from "./file-pool.ts";
import { CorruptIndexError } from "./index-file.ts";
import { openReadWrite, readFully, removeFileIfExists, writeFully } from "./io.ts";
import type { LeaderEpochCache } from "./leader-epoch-cache.ts";
import { DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, segmentPath, TIME_INDEX_SUFFIX } from "./log-files.ts";
import type { LogLogger } from "./log-logger.ts";
import { OffsetIndex } from "./offset-index.ts";
import { NO_TIMESTAMP, TimeIndex, type TimestampOffset } from "./time-index.ts";

export interface SegmentSettings {
  indexIntervalBytes: number;
  maxIndexBytes: number;
  /** Subtracted from segment.ms for this segment (segment.jitter.ms). */
  rollJitterMs: number;
  clock: Clock;
  logger: LogLogger;
  /** Where the `.log` descriptor comes from (default: the pool shared by standalone logs). */
  files?: FilePool;
}

export interface RollParams {
  maxSegmentBytes: number;
  maxSegmentMs: number;
  maxTimestampInMessages: number;
  maxOffsetInMessages: number;
  messagesSize: number;
  now: number;
}

/**
 * Finds, inside one batch, the first record with timestamp >= target and offset >= minOffset.
 * Decoding records is the codec's job, so the broker injects this; without it timestamp
 * lookups answer at batch granularity.
 */
export type RecordTimestampSearch = (batch: Buffer, targetTimestamp: number, minOffset: number) => TimestampOffset | undefined;

const RECOVERY_CHUNK = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * One segment of a partition log (Kafka's LogSegment): `<base>.log` holding whole v2 batches
 * back to back, plus its sparse offset and time indexes. Offsets inside are relative to the
 * base offset as int32, which bounds how far a segment can span. The `.log` descriptor comes
 * from a FilePool: opened on first read or append, closed when the pool needs room (so every
 * use reads `file.fd` afresh); the indexes keep none (see IndexFile).
 */
export class LogSegment {
  private readonly file: PooledFile;
  private sizeBytes: number;
  private bytesSinceLastIndexEntry = 0;
  private maxTimestamp = NO_TIMESTAMP;
  private offsetOfMaxTimestamp: number;
  private cachedNextOffset: number | undefined;
  /** Max timestamp of the first batch, which time-based rolling measures from; undefined = not read yet. */
  private firstBatchTimestamp: number | undefined;
  /** Indexes are loaded and consistent with the log file. */
  private indexesReady: boolean;
  private closed = false;
  /** When this segment object was made (Kafka's `created`, the fallback for segment.ms). */
  created: number;
  /** Time of the last append (the file's mtime after a restart); retention's fallback. */
  lastModified: number;
  indexIntervalBytes: number;
  readonly rollJitterMs: number;
  /** Why the last recover() truncated, for logging. */
  recoveryProblem: string | undefined;

  private constructor(
    readonly baseOffset: number,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    logPath: string,
    size: number,
    isNew: boolean,
    private readonly settings: SegmentSettings,
  ) {
    this.file = (settings.files ?? FilePool.standalone).file(logPath);
    this.sizeBytes = size;
    this.offsetOfMaxTimestamp = baseOffset;
    this.indexesReady = isNew;
    this.indexIntervalBytes = settings.indexIntervalBytes;
    this.rollJitterMs = settings.rollJitterMs;
    this.created = this.lastModified = settings.clock.now();
    if (isNew) {
      this.cachedNextOffset = baseOffset;
      this.firstBatchTimestamp = NO_TIMESTAMP;
    }
  }

  /**
   * A new, empty segment; files left over at that offset are replaced. `fileSuffix` (e.g.
   * `.cleaned`) follows each file's name while the cleaner writes a replacement segment.
   */
  static create(dir: string, baseOffset: number, settings: SegmentSettings, fileSuffix = ""): LogSegment {
    const logPath = segmentPath(dir, baseOffset, LOG_SUFFIX + fileSuffix);
    // Only created here: an empty segment holds no descriptor until its first append.
    fs.closeSync(openReadWrite(logPath, true));
    const offsetIndex = new OffsetIndex(segmentPath(dir, baseOffset, INDEX_SUFFIX + fileSuffix), baseOffset, settings.maxIndexBytes, true);
    const timeIndex = new TimeIndex(segmentPath(dir, baseOffset, TIME_INDEX_SUFFIX + fileSuffix), baseOffset, settings.maxIndexBytes, true);
    return new LogSegment(baseOffset, offsetIndex, timeIndex, logPath, 0, true, settings);
  }

  /** An existing segment. Its indexes load on first use (and are rebuilt if bad). */
  static open(dir: string, baseOffset: number, settings: SegmentSettings, fileSuffix = ""): LogSegment {
    const logPath = segmentPath(dir, baseOffset, LOG_SUFFIX + fileSuffix);
    const stat = fs.statSync(logPath);
    const timeIndexPath = segmentPath(dir, baseOffset, TIME_INDEX_SUFFIX + fileSuffix);
    const offsetIndex = new OffsetIndex(segmentPath(dir, baseOffset, INDEX_SUFFIX + fileSuffix), baseOffset, settings.maxIndexBytes, false);
    const timeIndex = new TimeIndex(timeIndexPath, baseOffset, settings.maxIndexBytes, false);
    const segment = new LogSegment(baseOffset, offsetIndex, timeIndex, logPath, stat.size, false, settings);
    segment.lastModified = stat.mtimeMs;
    // The time index's last entry holds the segment's max timestamp (written on roll/close).
    const last = TimeIndex.peekLastEntry(timeIndexPath, baseOffset);
    if (last && last.timestamp >= 0 && last.offset >= baseOffset) {
      segment.maxTimestamp = last.timestamp;
      segment.offsetOfMaxTimestamp = last.offset;
    }
    return segment;
  }

  get size(): number {
    return this.sizeBytes;
  }

  get path(): string {
    return this.file.path;
  }

  /** Whether the `.log` descriptor is open now (the pool may have closed it). */
  get hasOpenDescriptor(): boolean {
    return this.file.isOpen;
  }

  /** Offset after the last batch (the base offset when empty). */
  get nextOffset(): number {
    if (this.cachedNextOffset === undefined) {
      this.ensureIndexes();
      if (this.cachedNextOffset === undefined) this.cachedNextOffset = this.scanTail();
    }
    return this.cachedNextOffset;
  }

  /** Largest record timestamp, or NO_TIMESTAMP. */
  get maxTimestampSoFar(): number {
    return this.maxTimestamp;
  }

  /** The offset of the batch holding the max timestamp (its last offset, as Kafka's shallow offset). */
  get offsetOfMaxTimestampSoFar(): number {
    return this.offsetOfMaxTimestamp;
  }

  /** What time retention compares: the newest record timestamp, else the last write. */
  get largestTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.lastModified;
  }

  hasIndexFiles(): boolean {
    return fs.existsSync(this.offsetIndex.path) && fs.existsSync(this.timeIndex.path);
  }

  /**
   * Appends complete batches whose offsets the log has checked (ascending, above this
   * segment's contents). Index entries are added per batch, every index.interval.bytes.
   */
  append(records: Buffer, largestOffset: number): void {
    if (!fitsRelativeOffset(largestOffset, this.baseOffset)) {
      throw new Error(`offset ${largestOffset} does not fit segment ${this.baseOffset}`);
    }
    this.ensureIndexes();
    const position = this.sizeBytes;
    try {
      writeFully(this.file.fd, records, 0, records.length, position);
    } catch (e) {
      // Don't leave half a batch behind a later successful append.
      try {
        fs.ftruncateSync(this.file.fd, position);
      } catch {
        // The caller takes the log offline.
      }
      throw e;
    }
    if (position === 0) this.firstBatchTimestamp = batchMaxTimestamp(records, 0);
    for (let p = 0; p < records.length; ) {
      const size = batchSize(records, p);
      this.indexBatch(position + p, size, batchLastOffset(records, p), batchMaxTimestamp(records, p));
      p += size;
    }
    this.sizeBytes += records.length;
    this.cachedNextOffset = largestOffset + 1;
    this.lastModified = this.settings.clock.now();
  }

  private indexBatch(position: number, size: number, lastOffset: number, maxTimestamp: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      // A full index only makes the index sparser; the log rolls before appending more.
      if (!this.offsetIndex.isFull()) this.offsetIndex.append(lastOffset, position);
      if (!this.timeIndex.isFull()) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  /**
   * Whole batches starting with the one that contains `startOffset` (Kafka returns the whole
   * batch even when the fetch offset is inside it), stopping before any batch that reaches
   * `maxOffset` (the high watermark or log end) and within `maxBytes` — except that with
   * `minOneMessage` the first batch is returned even if bigger. Undefined when no batch in
   * this segment ends at or after `startOffset`.
   */
  read(startOffset: number, maxBytes: number, maxOffset: number, minOneMessage: boolean): Buffer | undefined {
    this.ensureIndexes();
    const size = this.sizeBytes;
    const from = this.offsetIndex.lookup(startOffset).position;
    if (from >= size) return undefined;
    // The scan from the index entry reads about one index interval: entries are keyed by a
    // batch's last offset, so a fetch at a batch boundary (a follower's) starts from the batch
    // before, which with large batches is a whole batch (up to a MiB) not worth reading. The
    // fetch window below is one more read unless the scan read already holds it.
    const chunk = Math.min(size - from, this.indexIntervalBytes + BATCH.HEADER_SIZE);
    const reader = new FileBatchReader(this.file, from, size, false, chunk);
    let found = false;
    while (reader.next()) {
      if (batchLastOffset(reader.buffer, reader.offset) >= startOffset) {
        found = true;
        break;
      }
    }
    if (!found) return undefined;
    if (batchLastOffset(reader.buffer, reader.offset) >= maxOffset) return EMPTY;
    const start = reader.position;
    const firstSize = reader.size;
    const limit = minOneMessage ? Math.max(maxBytes, firstSize) : maxBytes;
    if (firstSize > limit) return EMPTY;
    const length = Math.min(size - start, limit);
    let data = reader.buffered(start, length);
    if (!data) {
      data = Buffer.allocUnsafe(length);
      data = data.subarray(0, readFully(this.file.fd, data, 0, length, start));
    }
    let end = firstSize;
    while (end + BATCH.HEADER_SIZE <= data.length) {
      const next = batchSize(data, end);
      if (next < BATCH.HEADER_SIZE || end + next > data.length || batchLastOffset(data, end) >= maxOffset) break;
      end += next;
    }
    return data.subarray(0, end);
  }

  /**
   * The first record at or after `startingOffset` with timestamp >= `timestamp`: the time
   * index narrows the scan, batch max timestamps find the batch, `search` the record.
   */
  findOffsetByTimestamp(timestamp: number, startingOffset: number, search?: RecordTimestampSearch): TimestampOffset | undefined {
    this.ensureIndexes();
    const entry = this.timeIndex.lookup(timestamp);
    const from = this.offsetIndex.lookup(Math.max(entry.offset, startingOffset)).position;
    const reader = new FileBatchReader(this.file, from, this.sizeBytes, false);
    while (reader.next()) {
      const buf = reader.buffer;
      const o = reader.offset;
      const maxTs = batchMaxTimestamp(buf, o);
      if (maxTs < timestamp || batchLastOffset(buf, o) < startingOffset) continue;
      if (!search) return { timestamp: maxTs, offset: Math.max(batchBaseOffset(buf, o), startingOffset) };
      const found = search(this.readBatch(reader.position, reader.size), timestamp, startingOffset);
      if (found) return found;
    }
    return undefined;
  }

  /** The record holding this segment's max timestamp (ListOffsets MAX_TIMESTAMP). */
  findMaxTimestamp(search?: RecordTimestampSearch): TimestampOffset | undefined {
    if (this.maxTimestamp < 0) return undefined;
    this.ensureIndexes();
    const from = this.offsetIndex.lookup(this.offsetOfMaxTimestamp).position;
    const reader = new FileBatchReader(this.file, from, this.sizeBytes, false);
    while (reader.next()) {
      const buf = reader.buffer;
      const o = reader.offset;
      if (batchMaxTimestamp(buf, o) !== this.maxTimestamp) continue;
      const found = search?.(this.readBatch(reader.position, reader.size), this.maxTimestamp, batchBaseOffset(buf, o));
      return found ?? { timestamp: this.maxTimestamp, offset: batchLastOffset(buf, o) };
    }
    return undefined;
  }

  /**
   * Calls `visit(buffer, offset)` with the header of each batch that ends at or after
   * `fromOffset` (header bytes valid only during the call); `visit` returns false to stop.
   */
  scanBatchHeaders(fromOffset: number, visit: (header: Buffer, offset: number) => boolean | void): boolean {
    this.ensureIndexes();
    const reader = new FileBatchReader(this.file, this.offsetIndex.lookup(fromOffset).position, this.sizeBytes, false);
    while (reader.next()) {
      if (batchLastOffset(reader.buffer, reader.offset) < fromOffset) continue;
      if (visit(reader.buffer, reader.offset) === false) return false;
    }
    return true;
  }

  /**
   * A reader over this segment's batches from the start (whole batches, or headers only), for
   * the cleaner. It reads through the segment's pooled descriptor (safe across awaits, as
   * it fetches the descriptor for every read); it fails once the segment is closed.
   */
  batchReader(wholeBatches: boolean, chunkSize = RECOVERY_CHUNK): FileBatchReader {
    return new FileBatchReader(this.file, 0, this.sizeBytes, wholeBatches, chunkSize);
  }

  private readBatch(position: number, size: number): Buffer {
    const buf = Buffer.allocUnsafe(size);
    readFully(this.file.fd, buf, 0, size, position);
    return buf;
  }

  shouldRoll(p: RollParams): boolean {
    const reachedRollMs = this.timeWaitedForRoll(p.now, p.maxTimestampInMessages) > p.maxSegmentMs - this.rollJitterMs;
    return (
      this.sizeBytes > p.maxSegmentBytes - p.messagesSize ||
      (this.sizeBytes > 0 && reachedRollMs) ||
      this.offsetIndex.isFull() ||
      this.timeIndex.isFull() ||
      !fitsRelativeOffset(p.maxOffsetInMessages, this.baseOffset)
    );
  }

  /**
   * How long this segment has been filling: by record timestamps when it has them (so
   * replicas roll alike), else by the wall clock since the segment object was made.
   */
  timeWaitedForRoll(now: number, messageTimestamp: number): number {
    const first = this.firstBatchMaxTimestamp;
    return first >= 0 ? messageTimestamp - first : now - this.created;
  }

  /** Max timestamp of the first batch, or NO_TIMESTAMP (rolling and max.compaction.lag.ms measure from it). */
  get firstBatchMaxTimestamp(): number {
    if (this.firstBatchTimestamp === undefined) {
      if (this.sizeBytes >= BATCH.HEADER_SIZE) {
        const header = Buffer.allocUnsafe(BATCH.HEADER_SIZE);
        readFully(this.file.fd, header, 0, BATCH.HEADER_SIZE, 0);
        this.firstBatchTimestamp = batchMaxTimestamp(header, 0);
      } else {
        this.firstBatchTimestamp = NO_TIMESTAMP;
      }
    }
    return this.firstBatchTimestamp;
  }

  /**
   * Validates every batch from the start (framing, magic 2, CRC, ascending offsets that fit
   * the segment), rebuilds both indexes and the leader epochs seen, and truncates the file at
   * the first bad or torn batch. Returns the number of bytes truncated.
   */
  recover(epochCache?: LeaderEpochCache): number {
    const fileSize = fs.fstatSync(this.file.fd).size;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestamp = NO_TIMESTAMP;
    this.offsetOfMaxTimestamp = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    this.firstBatchTimestamp = NO_TIMESTAMP;
    this.recoveryProblem = undefined;
    const reader = new FileBatchReader(this.file, 0, fileSize, true, RECOVERY_CHUNK);
    let validBytes = 0;
    let prevLast = this.baseOffset - 1;
    while (reader.next()) {
      const buf = reader.buffer;
      const o = reader.offset;
      const base = batchBaseOffset(buf, o);
      const last = batchLastOffset(buf, o);
      if (base <= prevLast || !fitsRelativeOffset(last, this.baseOffset)) {
        this.recoveryProblem = `batch offsets ${base}..${last} out of order or out of range at position ${reader.position}`;
        break;
      }
      if (!batchCrcMatches(buf, o, reader.size)) {
        this.recoveryProblem = `CRC mismatch in batch at offset ${base}, position ${reader.position}`;
        break;
      }
      const maxTs = batchMaxTimestamp(buf, o);
      if (validBytes === 0) this.firstBatchTimestamp = maxTs;
      this.indexBatch(reader.position, reader.size, last, maxTs);
      const epoch = batchLeaderEpoch(buf, o);
      if (epochCache && epoch >= 0 && epoch > epochCache.latestEpoch()) epochCache.assign(epoch, base);
      validBytes = reader.position + reader.size;
      prevLast = last;
    }
    this.recoveryProblem ??= reader.problem && `${reader.problem} batch at position ${reader.validEnd}`;
    const truncated = fileSize - validBytes;
    if (truncated > 0) fs.ftruncateSync(this.file.fd, validBytes);
    this.sizeBytes = validBytes;
    this.cachedNextOffset = prevLast + 1;
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    this.indexesReady = true;
    return truncated;
  }

  /**
   * Removes the batch containing `offset` and everything after (a mid-batch offset drops the
   * whole batch). Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    this.ensureIndexes();
    const reader = new FileBatchReader(this.file, this.offsetIndex.lookup(offset).position, this.sizeBytes, false);
    let cut = -1;
    while (reader.next()) {
      if (batchLastOffset(reader.buffer, reader.offset) >= offset) {
        cut = reader.position;
        break;
      }
    }
    if (cut < 0) return 0;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    fs.ftruncateSync(this.file.fd, cut);
    const truncated = this.sizeBytes - cut;
    this.sizeBytes = cut;
    // Recompute the max timestamp and next offset from the last surviving index entries.
    const lastTime = this.timeIndex.lastEntry();
    this.maxTimestamp = lastTime.timestamp;
    this.offsetOfMaxTimestamp = lastTime.offset;
    const scanFrom = Math.min(this.offsetIndex.lookup(lastTime.offset).position, this.offsetIndex.lastPosition);
    this.cachedNextOffset = this.scanTail(scanFrom);
    this.bytesSinceLastIndexEntry = cut - (this.offsetIndex.entries > 0 ? this.offsetIndex.lastPosition : 0);
    if (cut === 0) {
      this.created = this.settings.clock.now();
      this.firstBatchTimestamp = NO_TIMESTAMP;
    }
    this.lastModified = this.settings.clock.now();
    return truncated;
  }

  /**
   * Scans batch headers from `from` to the end, folding in max timestamps, and returns the
   * next offset. A tail that doesn't frame cleanly means the file is damaged: recover.
   */
  private scanTail(from = this.offsetIndex.lastPosition): number {
    const reader = new FileBatchReader(this.file, from, this.sizeBytes, false);
    let last = this.baseOffset - 1;
    while (reader.next()) {
      const maxTs = batchMaxTimestamp(reader.buffer, reader.offset);
      last = batchLastOffset(reader.buffer, reader.offset);
      if (maxTs > this.maxTimestamp) {
        this.maxTimestamp = maxTs;
        this.offsetOfMaxTimestamp = last;
      }
    }
    if (reader.problem) {
      this.settings.logger.warn(`Segment ${this.path} is damaged (${reader.problem} at ${reader.validEnd}); recovering it`);
      this.recover();
      return this.cachedNextOffset!;
    }
    return last + 1;
  }

  /** Loads the indexes on first use; a corrupt or missing index is rebuilt from the log. */
  private ensureIndexes(): void {
    if (this.indexesReady) return;
    if (this.closed) throw new Error(`segment ${this.path} is closed`);
    try {
      this.offsetIndex.load();
      this.timeIndex.load();
      this.offsetIndex.checkAgainstLogSize(this.sizeBytes);
      if (this.timeIndex.entries > 0 && this.timeIndex.lastEntry().offset < this.baseOffset) {
        throw new CorruptIndexError(`time index ${this.timeIndex.path} points below the base offset`);
      }
      this.indexesReady = true;
      this.bytesSinceLastIndexEntry = this.sizeBytes - this.offsetIndex.lastPosition;
    } catch (e) {
      if (!(e instanceof CorruptIndexError)) throw e;
      this.settings.logger.warn(`${e.message}; rebuilding the indexes of ${this.path}`);
      const truncated = this.recover();
      if (truncated > 0) this.settings.logger.warn(`Truncated ${truncated} bytes of ${this.path}: ${this.recoveryProblem}`);
    }
  }

  /** Ensures the indexes are loaded (and valid), e.g. for the active segment at load. */
  loadIndexes(): void {
    this.ensureIndexes();
  }

  /** The segment stops being the active one: record its final max timestamp, free index handles. */
  onBecomeInactive(): void {
    this.ensureIndexes();
    this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    this.offsetIndex.close();
    this.timeIndex.close();
  }

  flush(): void {
    fs.fsyncSync(this.file.fd);
    this.offsetIndex.flush();
    this.timeIndex.flush();
  }

  close(): void {
    if (this.closed) return;
    if (this.indexesReady) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp, true);
    this.offsetIndex.close();
    this.timeIndex.close();
    this.closed = true;
    this.file.close();
  }

  /**
   * Renames the three files from `<name><oldSuffix>` to `<name><newSuffix>` (the cleaner's
   * `.cleaned` → `.swap` → live steps); the descriptor stays valid across a rename.
   */
  changeFileSuffixes(oldSuffix: string, newSuffix: string): void {
    const renamed = (path: string): string => {
      if (!path.endsWith(oldSuffix)) throw new Error(`${path} does not end with "${oldSuffix}"`);
      return path.slice(0, path.length - oldSuffix.length) + newSuffix;
    };
    const logPath = renamed(this.path);
    fs.renameSync(this.path, logPath);
    this.file.movedTo(logPath);
    this.offsetIndex.renameTo(renamed(this.offsetIndex.path));
    this.timeIndex.renameTo(renamed(this.timeIndex.path));
  }

  /** Sets the last-modified time, in memory and on the file (retention's fallback survives a restart). */
  setLastModified(ms: number): void {
    this.lastModified = ms;
    const seconds = ms / 1000;
    fs.utimesSync(this.path, seconds, seconds);
  }

  /** Closes and renames the files `*.deleted`, for removal after file.delete.delay.ms. */
  markDeleted(): void {
    this.closeHandles();
    const deletedPath = this.path + DELETED_SUFFIX;
    if (fs.existsSync(this.path)) fs.renameSync(this.path, deletedPath);
    this.file.movedTo(deletedPath);
    this.offsetIndex.renameTo(this.offsetIndex.path + DELETED_SUFFIX);
    this.timeIndex.renameTo(this.timeIndex.path + DELETED_SUFFIX);
  }

  /** Removes the files (wherever they are now); missing files are fine. */
  deleteFiles(): void {
    this.closeHandles();
    removeFileIfExists(this.path);
    this.offsetIndex.deleteFile();
    this.timeIndex.deleteFile();
  }

  private closeHandles(): void {
    this.closed = true;
    this.file.close();
    this.offsetIndex.close();
    this.timeIndex.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
