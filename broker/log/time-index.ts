import * as fs from "node:fs";
import { readInt64, writeInt64 } from "./batch-view.ts";
import { CorruptIndexError, IndexFile } from "./index-file.ts";

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

const ENTRY_SIZE = 12;
/** RecordBatch.NO_TIMESTAMP */
export const NO_TIMESTAMP = -1;

/**
 * Kafka's time index (`.timeindex`): entries of (timestamp: int64, offset - baseOffset:
 * int32), added alongside offset index entries whenever the segment's max timestamp has
 * grown. An entry (T, O) says the largest timestamp up to offset O is T, first reached by
 * the batch ending at O, so every earlier batch holds only timestamps < T.
 */
export class TimeIndex extends IndexFile {
  constructor(path: string, baseOffset: number, maxIndexBytes: number, isNew: boolean) {
    super(path, baseOffset, maxIndexBytes, ENTRY_SIZE, isNew);
  }

  /**
   * One slot stays free for the entry written when the segment becomes inactive or closes
   * (Kafka's TimeIndex.isFull).
   */
  override isFull(): boolean {
    return this.entries >= this.maxEntries - 1;
  }

  private timestampAt(slot: number): number {
    return readInt64(this.data, slot * ENTRY_SIZE);
  }

  private relativeOffsetAt(slot: number): number {
    return this.data.readInt32BE(slot * ENTRY_SIZE + 8);
  }

  entryAt(slot: number): TimestampOffset {
    return { timestamp: this.timestampAt(slot), offset: this.baseOffset + this.relativeOffsetAt(slot) };
  }

  /** The last entry, or (NO_TIMESTAMP, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    const n = this.entries;
    return n === 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.entryAt(n - 1);
  }

  /**
   * Adds (timestamp, offset) if the timestamp is larger than the last entry's. Re-adding the
   * last entry is a no-op (it happens on roll then close).
   */
  maybeAppend(timestamp: number, offset: number, skipFullCheck = false): void {
    this.load();
    if (!skipFullCheck && this.isFull()) throw new Error(`time index ${this.path} is full`);
    const last = this.lastEntry();
    if (this.count > 0 && offset < last.offset) {
      throw new Error(`time index entry offset ${offset} is smaller than the last entry's ${last.offset}`);
    }
    if (timestamp <= last.timestamp) return;
    if (this.count >= this.maxEntries) return;
    const at = this.appendSlot();
    writeInt64(this.data, timestamp, at);
    this.data.writeInt32BE(offset - this.baseOffset, at + 8);
    this.commitAppend();
  }

  /** The entry with the largest timestamp <= target, or (NO_TIMESTAMP, baseOffset). */
  lookup(targetTimestamp: number): TimestampOffset {
    this.load();
    const slot = this.largestLowerBound(targetTimestamp, (s) => this.timestampAt(s));
    return slot < 0 ? { timestamp: NO_TIMESTAMP, offset: this.baseOffset } : this.entryAt(slot);
  }

  /** Removes entries with offset >= `offset` (offsets ascend with timestamps). */
  truncateTo(offset: number): void {
    this.load();
    const slot = this.largestLowerBound(offset - this.baseOffset - 1, (s) => this.relativeOffsetAt(s));
    this.truncateEntries(slot + 1);
  }

  /** Timestamps strictly increase, offsets never decrease. */
  protected validate(): void {
    let lastTs = NO_TIMESTAMP;
    let lastRel = 0;
    for (let s = 0; s < this.count; s++) {
      const ts = this.timestampAt(s);
      const rel = this.relativeOffsetAt(s);
      if (ts <= lastTs || rel < lastRel) {
        throw new CorruptIndexError(`time index ${this.path} entry ${s} (${ts}, ${rel}) is out of order`);
      }
      lastTs = ts;
      lastRel = rel;
    }
  }

  /**
   * The last entry straight from the file, without loading the index: how an unread old
   * segment learns its largest timestamp for retention. Undefined if the file is empty.
   */
  static peekLastEntry(path: string, baseOffset: number): TimestampOffset | undefined {
    let fd: number;
    try {
      fd = fs.openSync(path, "r");
    } catch {
      return undefined;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size < ENTRY_SIZE || size % ENTRY_SIZE !== 0) return undefined;
      const buf = Buffer.alloc(ENTRY_SIZE);
      fs.readSync(fd, buf, 0, ENTRY_SIZE, size - ENTRY_SIZE);
      const rel = buf.readInt32BE(8);
      if (rel < 0) return undefined;
      return { timestamp: readInt64(buf, 0), offset: baseOffset + rel };
    } finally {
      fs.closeSync(fd);
    }
  }
}
