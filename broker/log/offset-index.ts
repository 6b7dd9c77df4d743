import { CorruptIndexError, IndexFile } from "./index-file.ts";

export interface OffsetPosition {
  offset: number;
  position: number;
}

const ENTRY_SIZE = 8;
const MAX_INT32 = 2147483647;

/**
 * Kafka's sparse offset index (`.index`): entries of (offset - baseOffset: int32, file
 * position: int32), one per `index.interval.bytes` of log. Each entry maps the LAST offset of
 * a batch to the position where that batch starts, so the largest entry <= a target is a
 * safe place to start scanning for the batch containing it.
 */
export class OffsetIndex extends IndexFile {
  constructor(path: string, baseOffset: number, maxIndexBytes: number, isNew: boolean) {
    super(path, baseOffset, maxIndexBytes, ENTRY_SIZE, isNew);
  }

  private relativeOffsetAt(slot: number): number {
    return this.data.readInt32BE(slot * ENTRY_SIZE);
  }

  private positionAt(slot: number): number {
    return this.data.readInt32BE(slot * ENTRY_SIZE + 4);
  }

  entryAt(slot: number): OffsetPosition {
    return { offset: this.baseOffset + this.relativeOffsetAt(slot), position: this.positionAt(slot) };
  }

  /** The last indexed offset, or the base offset when empty. */
  get lastOffset(): number {
    const n = this.entries;
    return n === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsetAt(n - 1);
  }

  get lastPosition(): number {
    const n = this.entries;
    return n === 0 ? 0 : this.positionAt(n - 1);
  }

  append(offset: number, position: number): void {
    this.load();
    if (this.count >= this.maxEntries) throw new Error(`index ${this.path} is full`);
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > MAX_INT32) throw new Error(`offset ${offset} is out of range for index with base ${this.baseOffset}`);
    if (this.count > 0 && rel <= this.relativeOffsetAt(this.count - 1)) {
      throw new Error(`index entry for offset ${offset} is not larger than the last entry ${this.lastOffset}`);
    }
    const at = this.appendSlot();
    this.data.writeInt32BE(rel, at);
    this.data.writeInt32BE(position, at + 4);
    this.commitAppend();
  }

  /** The largest entry with offset <= target, or (baseOffset, 0) when there is none. */
  lookup(target: number): OffsetPosition {
    this.load();
    const slot = this.largestLowerBound(target - this.baseOffset, (s) => this.relativeOffsetAt(s));
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(slot);
  }

  /** Removes entries with offset >= `offset`. */
  truncateTo(offset: number): void {
    this.load();
    const slot = this.largestLowerBound(offset - this.baseOffset, (s) => this.relativeOffsetAt(s));
    if (slot < 0) this.truncateEntries(0);
    else this.truncateEntries(this.baseOffset + this.relativeOffsetAt(slot) === offset ? slot : slot + 1);
  }

  /** Entries must be strictly increasing in both offset and position. */
  protected validate(): void {
    let lastRel = -1;
    let lastPos = -1;
    for (let s = 0; s < this.count; s++) {
      const rel = this.relativeOffsetAt(s);
      const pos = this.positionAt(s);
      if (rel <= lastRel || pos <= lastPos) {
        throw new CorruptIndexError(`offset index ${this.path} entry ${s} (${rel}, ${pos}) is out of order`);
      }
      lastRel = rel;
      lastPos = pos;
    }
  }

  /** Throws if an entry points at or beyond the end of a log of `logSize` bytes. */
  checkAgainstLogSize(logSize: number): void {
    if (this.entries > 0 && this.lastPosition >= logSize) {
      throw new CorruptIndexError(`offset index ${this.path} points at ${this.lastPosition}, beyond the log's ${logSize} bytes`);
    }
  }
}
