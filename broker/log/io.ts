import * as fs from "node:fs";

/**
 * The few file primitives the log's storage classes share. Sync calls on descriptors are
 * used on purpose: appends and reads stay on the event loop without promise overhead, and
 * the page cache makes them fast.
 */

/** Opens read-write, creating the file; `truncate` empties an existing one. */
export function openReadWrite(path: string, truncate = false): number {
  const { O_RDWR, O_CREAT, O_TRUNC } = fs.constants;
  return fs.openSync(path, O_RDWR | O_CREAT | (truncate ? O_TRUNC : 0), 0o644);
}

/** write(2) may write less than asked (e.g. on a full disk); loop until all is written. */
export function writeFully(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
  while (length > 0) {
    const n = fs.writeSync(fd, buf, offset, length, position);
    offset += n;
    length -= n;
    position += n;
  }
}

/** Reads up to `length` bytes; returns fewer only at end of file. */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let total = 0;
  while (total < length) {
    const n = fs.readSync(fd, buf, offset + total, length - total, position + total);
    if (n === 0) break;
    total += n;
  }
  return total;
}

/** Makes a rename or create in `dir` durable (a no-op where directories can't be opened). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // Some platforms refuse fsync on directories; the rename is still atomic.
  } finally {
    fs.closeSync(fd);
  }
}

export function removeFileIfExists(path: string): void {
  fs.rmSync(path, { force: true });
}

export function fileExists(path: string): boolean {
  return fs.existsSync(path);
}
