import * as fs from "node:fs";

/** Where a reader gets a descriptor: fetched again for every syscall, as the pool may close it in between. */
export interface DescriptorSource {
  readonly fd: number;
}

/** How many segment files one LogManager keeps open at most. */
export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 1000;
/** Logs opened without a LogManager (the metadata log, tests, benchmarks) share this bound. */
const STANDALONE_MAX_OPEN_FILES = 128;

/**
 * A bounded set of open descriptors shared by many files — the `.log` files of every segment
 * of a LogManager's logs — so descriptors grow with what is in use, not with the number of
 * partitions. A file opens on first use and stays open while it is used; when the pool is
 * full, the least recently used one is closed, and reopens by path on its next use (its data
 * is in the page cache either way, and fsync through a new descriptor syncs the file).
 *
 * A descriptor number is valid only until another file of the pool is opened, so callers
 * never keep one: they read `file.fd` at each syscall. Everything is synchronous, so nothing
 * else can run between reading `fd` and the syscall that uses it.
 */
export class FilePool {
  /** Open files, least recently used first (an intrusive list: no allocation on use). */
  private lru: PooledFile | undefined;
  private mru: PooledFile | undefined;
  private count = 0;
  /** Descriptors opened and closed to make room, since the pool was made. */
  opens = 0;
  evictions = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`file pool capacity must be a positive integer, not ${capacity}`);
  }

  /** Logs opened without a pool of their own share this one. */
  static readonly standalone = new FilePool(STANDALONE_MAX_OPEN_FILES);

  /** A handle on an existing file; nothing is opened until its descriptor is used. */
  file(path: string): PooledFile {
    return new PooledFile(this, path);
  }

  /** Descriptors open now. */
  get openFiles(): number {
    return this.count;
  }

  /** Closes every open descriptor; the files reopen on their next use. */
  closeAll(): void {
    while (this.lru) this.lru.release();
  }

  /** @internal Opens `file`, closing least recently used ones to stay within capacity. */
  openDescriptor(file: PooledFile, path: string): number {
    while (this.count >= this.capacity && this.lru) this.evictOne();
    let fd: number;
    for (;;) {
      try {
        fd = fs.openSync(path, fs.constants.O_RDWR);
        break;
      } catch (e) {
        // Other parts of the process filled the descriptor table: give up ours first.
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== "EMFILE" && code !== "ENFILE") || !this.lru) throw e;
        this.evictOne();
      }
    }
    this.opens++;
    this.count++;
    this.append(file);
    return fd;
  }

  /** @internal Marks `file` most recently used. */
  touch(file: PooledFile): void {
    if (file === this.mru) return;
    this.unlink(file);
    this.append(file);
  }

  /** @internal `file` closed its descriptor. */
  forget(file: PooledFile): void {
    this.unlink(file);
    this.count--;
  }

  private evictOne(): void {
    this.evictions++;
    this.lru!.release();
  }

  private append(file: PooledFile): void {
    file.prev = this.mru;
    file.next = undefined;
    if (this.mru) this.mru.next = file;
    else this.lru = file;
    this.mru = file;
  }

  private unlink(file: PooledFile): void {
    if (file.prev) file.prev.next = file.next;
    else this.lru = file.next;
    if (file.next) file.next.prev = file.prev;
    else this.mru = file.prev;
    file.prev = file.next = undefined;
  }
}

/** One file whose descriptor the pool opens on demand and may close when it isn't used. */
export class PooledFile implements DescriptorSource {
  /** @internal The pool's recency list. */
  prev: PooledFile | undefined;
  /** @internal */
  next: PooledFile | undefined;
  private descriptor = -1;
  private closed = false;

  constructor(
    private readonly pool: FilePool,
    private filePath: string,
  ) {}

  get path(): string {
    return this.filePath;
  }

  /** The descriptor, opened (read-write, never created) if the pool closed it; throws once closed. */
  get fd(): number {
    if (this.descriptor >= 0) {
      if (this.next) this.pool.touch(this);
      return this.descriptor;
    }
    if (this.closed) throw new Error(`${this.filePath} is closed`);
    this.descriptor = this.pool.openDescriptor(this, this.filePath);
    return this.descriptor;
  }

  get isOpen(): boolean {
    return this.descriptor >= 0;
  }

  /** The file was renamed: an open descriptor stays valid, a reopen uses the new name. */
  movedTo(path: string): void {
    this.filePath = path;
  }

  /** Closes the descriptor; the next use reopens it. */
  release(): void {
    try {
      this.closeDescriptor();
    } catch {
      // close(2) frees the descriptor even when it reports an error; the data is in the page cache.
    }
  }

  /** Closes the descriptor for good (reporting a failing close(2)); later uses throw. */
  close(): void {
    this.closed = true;
    this.closeDescriptor();
  }

  private closeDescriptor(): void {
    if (this.descriptor < 0) return;
    const fd = this.descriptor;
    this.descriptor = -1;
    this.pool.forget(this);
    fs.closeSync(fd);
  }
}
