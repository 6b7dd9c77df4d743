import * as fs from "node:fs";
import { openReadWrite, removeFileIfExists, writeFully } from "./io.ts";

/** An index file whose content can't be trusted; the segment rebuilds it from the log. */
export class CorruptIndexError extends Error {
  override readonly name = "CorruptIndexError";
}

const INITIAL_ENTRIES = 64;
/** Entries buffered before they are written out; recovery rebuilds any that a crash loses. */
const WRITE_BATCH_ENTRIES = 128;

/**
 * What the offset and time indexes share (Kafka's AbstractIndex): fixed-size big-endian
 * entries, kept in memory in file format for binary search, appended to the file in small
 * batches, loaded lazily so old segments cost no memory until read, and capped at
 * `segment.index.bytes` — a full index rolls the segment. No preallocation or mmap: the
 * file is always exactly the entries written.
 */
export abstract class IndexFile {
  /** Entries in file format; the first `count * entrySize` bytes are valid. */
  protected data: Buffer;
  protected count = 0;
  /** Entries already written to the file. */
  private persisted = 0;
  private loaded: boolean;
  private fd: number | undefined;
  readonly maxEntries: number;

  constructor(
    private filePath: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
    protected readonly entrySize: number,
    isNew: boolean,
  ) {
    this.maxEntries = Math.floor(maxIndexBytes / entrySize);
    this.data = Buffer.alloc(0);
    this.loaded = isNew;
    if (isNew) this.fd = openReadWrite(filePath, true);
  }

  get path(): string {
    return this.filePath;
  }

  get entries(): number {
    this.load();
    return this.count;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  isFull(): boolean {
    return this.entries >= this.maxEntries;
  }

  /** Reads the file into memory and checks it; throws CorruptIndexError. */
  load(): void {
    if (this.loaded) return;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.filePath);
    } catch (e) {
      throw new CorruptIndexError(`cannot read index ${this.filePath}: ${(e as Error).message}`);
    }
    if (bytes.length % this.entrySize !== 0) {
      throw new CorruptIndexError(`index ${this.filePath} has size ${bytes.length}, not a multiple of ${this.entrySize}`);
    }
    this.data = bytes;
    this.count = this.persisted = bytes.length / this.entrySize;
    this.validate();
    this.loaded = true;
  }

  /** Checks loaded entries are in order and in range; throws CorruptIndexError. */
  protected abstract validate(): void;

  /** Discards all entries and empties the file, for a rebuild. */
  reset(): void {
    this.data = Buffer.alloc(0);
    this.count = this.persisted = 0;
    this.loaded = true;
    fs.ftruncateSync(this.handle(), 0);
  }

  /** Byte offset at which to write a new entry (grows the buffer geometrically). */
  protected appendSlot(): number {
    const need = (this.count + 1) * this.entrySize;
    if (need > this.data.length) {
      const cap = Math.max(INITIAL_ENTRIES, this.count * 2) * this.entrySize;
      const grown = Buffer.allocUnsafe(cap);
      this.data.copy(grown, 0, 0, this.count * this.entrySize);
      this.data = grown;
    }
    return this.count * this.entrySize;
  }

  protected commitAppend(): void {
    this.count++;
    if (this.count - this.persisted >= WRITE_BATCH_ENTRIES) this.writePending();
  }

  /** Drops entries from `n` on, in memory and in the file. */
  protected truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.persisted > n) {
      fs.ftruncateSync(this.handle(), n * this.entrySize);
      this.persisted = n;
    }
  }

  /** Largest slot whose key is <= target, or -1 (keys ascend with the slot). */
  protected largestLowerBound(target: number, keyAt: (slot: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    if (hi < 0 || keyAt(0) > target) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (keyAt(mid) <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  writePending(): void {
    if (this.persisted >= this.count) return;
    const from = this.persisted * this.entrySize;
    writeFully(this.handle(), this.data, from, this.count * this.entrySize - from, from);
    this.persisted = this.count;
  }

  flush(): void {
    if (!this.loaded) return;
    // An inactive segment's index keeps no descriptor open; don't leave one behind.
    const wasOpen = this.fd !== undefined;
    this.writePending();
    fs.fsyncSync(this.handle());
    if (!wasOpen) this.close();
  }

  /** Writes pending entries and closes the descriptor (reopened on demand). */
  close(): void {
    if (this.loaded) this.writePending();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  renameTo(path: string): void {
    this.close();
    if (fs.existsSync(this.filePath)) fs.renameSync(this.filePath, path);
    this.filePath = path;
  }

  deleteFile(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    removeFileIfExists(this.filePath);
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  private handle(): number {
    if (this.fd === undefined) this.fd = openReadWrite(this.filePath);
    return this.fd;
  }
}
