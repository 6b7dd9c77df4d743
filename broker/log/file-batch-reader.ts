import { BATCH } from "../protocol/records/batch-header.ts";
import { batchFramingProblem, batchSize } from "./batch-view.ts";
import type { DescriptorSource } from "./file-pool.ts";
import { readFully } from "./io.ts";

/**
 * Walks the batches of a segment file with large positional reads, so scanning forward from
 * an index entry, or recovering a whole segment, costs a few syscalls rather than one per
 * batch. Header mode guarantees the 61-byte header is buffered; whole mode buffers the
 * entire batch (for CRC checks or handing it out).
 */
export class FileBatchReader {
  private buf: Buffer;
  /** File position of buf[0] and how many bytes of buf are valid. */
  private bufStart = 0;
  private bufLength = 0;
  private nextPosition: number;

  /** The current batch: its file position, where it sits in `buffer`, and its size. */
  position = -1;
  offset = 0;
  size = 0;
  /** Set when next() stopped before `end` because the bytes there are not a valid batch. */
  problem: string | undefined;

  constructor(
    /** Asked for the descriptor at every read: a pooled one may have been closed and reopened meanwhile. */
    private readonly file: DescriptorSource,
    start: number,
    private readonly end: number,
    private readonly wholeBatches: boolean,
    chunkSize = 64 * 1024,
  ) {
    this.nextPosition = start;
    this.buf = Buffer.allocUnsafe(Math.max(BATCH.HEADER_SIZE, Math.min(chunkSize, end - start)));
  }

  /** Bytes of the current batch live in buffer[offset, offset + size) (header only in header mode). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Where the next batch would start: after the last good batch once next() returns false. */
  get validEnd(): number {
    return this.nextPosition;
  }

  next(): boolean {
    const pos = this.nextPosition;
    this.problem = undefined;
    if (pos >= this.end) return false;
    const available = this.end - pos;
    const headerBytes = Math.min(available, BATCH.HEADER_SIZE);
    if (!this.ensure(pos, headerBytes)) return false;
    let off = pos - this.bufStart;
    if (headerBytes < BATCH.HEADER_SIZE) {
      this.problem = "truncated";
      return false;
    }
    // Framing is checked on the header alone: sizes are compared with what the file holds.
    this.problem = batchFramingProblem(this.buf, off, available);
    if (this.problem) return false;
    const size = batchSize(this.buf, off);
    if (this.wholeBatches) {
      if (!this.ensure(pos, size)) return false;
      off = pos - this.bufStart;
    }
    this.position = pos;
    this.offset = off;
    this.size = size;
    this.nextPosition = pos + size;
    return true;
  }

  /**
   * File bytes [pos, pos + length) if the last read already holds them, without copying. The
   * reader must not be advanced afterwards, as a refill would overwrite them.
   */
  buffered(pos: number, length: number): Buffer | undefined {
    if (pos < this.bufStart || pos + length > this.bufStart + this.bufLength) return undefined;
    return this.buf.subarray(pos - this.bufStart, pos - this.bufStart + length);
  }

  /** Makes file bytes [pos, pos + length) available in the buffer; false if the file is shorter. */
  private ensure(pos: number, length: number): boolean {
    if (pos >= this.bufStart && pos + length <= this.bufStart + this.bufLength) return true;
    const want = Math.min(Math.max(length, this.buf.length), this.end - pos);
    if (this.buf.length < want) this.buf = Buffer.allocUnsafe(want);
    this.bufStart = pos;
    this.bufLength = readFully(this.file.fd, this.buf, 0, want, pos);
    if (this.bufLength < length) {
      this.problem = "truncated";
      return false;
    }
    return true;
  }
}
