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
 * file is always exactly the entries written. No descriptor is kept either: lookups use the
 * memory copy, so the file is opened only for the moment of a write, truncate or fsync (one
 * write per WRITE_BATCH_ENTRIES entries), and a partition costs no index descriptors.
 */
export abstract class IndexFile {
  /** Entries in file format; the first `count * entrySize` bytes are valid. */
  protected data: Buffer;
  protected count = 0;
  /** Entries already written to the file. */
  private persisted = 0;
  private loaded: boolean;
  /** Written or truncated since the last fsync. */
  private unsynced = true;
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
    if (isNew) fs.closeSync(openReadWrite(filePath, true));
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
    fs.closeSync(openReadWrite(this.filePath, true));
    this.unsynced = true;
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
      this.withFile((fd) => fs.ftruncateSync(fd, n * this.entrySize));
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
    this.withFile((fd) => this.writeEntries(fd));
  }

  private writeEntries(fd: number): void {
    if (this.persisted >= this.count) return;
    const from = this.persisted * this.entrySize;
    writeFully(fd, this.data, from, this.count * this.entrySize - from, from);
    this.persisted = this.count;
    this.unsynced = true;
  }

  /** Writes pending entries and fsyncs them (and any truncation); a no-op when nothing changed since. */
  flush(): void {
    if (!this.loaded || (!this.unsynced && this.persisted >= this.count)) return;
    this.withFile((fd) => {
      this.writeEntries(fd);
      fs.fsyncSync(fd);
    });
    this.unsynced = false;
  }

  /** Writes pending entries (the segment is closing or becoming inactive). */
  close(): void {
    if (this.loaded) this.writePending();
  }

  renameTo(path: string): void {
    this.close();
    if (fs.existsSync(this.filePath)) fs.renameSync(this.filePath, path);
    this.filePath = path;
  }

  deleteFile(): void {
    removeFileIfExists(this.filePath);
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  /** Opens the file (creating it if it went missing) for one operation. */
  private withFile(use: (fd: number) => void): void {
    const fd = openReadWrite(this.filePath);
    try {
      use(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}
