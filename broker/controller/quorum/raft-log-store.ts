import { iterateBatches } from "../../protocol/records/record-batch.ts";

/**
 * Where a quorum member keeps its copy of the metadata log: whole v2 record batches with
 * offsets already assigned. On disk this is a broker/log Log for `__cluster_metadata-0`
 * (log-raft-store.ts); tests and simulations use MemoryRaftLogStore.
 */
export interface RaftLogStore {
  /** The offset the next batch must start at. */
  logEndOffset(): bigint;
  /** Appends one batch whose base offset is logEndOffset(). Durable only after flush(). */
  append(batch: Buffer): void | Promise<void>;
  flush(): void | Promise<void>;
  /**
   * Whole batches from the one containing `offset`, about `maxBytes` of them but at least
   * one; empty at the end of the log.
   */
  read(offset: bigint, maxBytes: number): Buffer | Promise<Buffer>;
  /** Drops everything at and after `offset` (a follower's divergent tail; unused by a single voter). */
  truncateTo(offset: bigint): void | Promise<void>;
  close(): void | Promise<void>;
}

/** An in-memory RaftLogStore; survives "restarts" when the same instance is reused. */
export class MemoryRaftLogStore implements RaftLogStore {
  private batches: { baseOffset: bigint; lastOffset: bigint; bytes: Buffer }[] = [];
  private end = 0n;

  logEndOffset(): bigint {
    return this.end;
  }

  append(batch: Buffer): void {
    const entries = [...iterateBatches(batch)];
    for (const e of entries) {
      if (e.partial) throw new Error("partial batch appended");
      if (e.header.baseOffset !== this.end) throw new Error(`batch at ${e.header.baseOffset}, log end is ${this.end}`);
      const lastOffset = e.header.baseOffset + BigInt(e.header.lastOffsetDelta);
      this.batches.push({ baseOffset: e.header.baseOffset, lastOffset, bytes: Buffer.from(batch.subarray(e.position, e.position + e.size)) });
      this.end = lastOffset + 1n;
    }
  }

  flush(): void {}

  read(offset: bigint, maxBytes: number): Buffer {
    const out: Buffer[] = [];
    let size = 0;
    for (const b of this.batches) {
      if (b.lastOffset < offset) continue;
      if (out.length > 0 && size + b.bytes.length > maxBytes) break;
      out.push(b.bytes);
      size += b.bytes.length;
    }
    return Buffer.concat(out);
  }

  truncateTo(offset: bigint): void {
    this.batches = this.batches.filter((b) => b.baseOffset < offset);
    const last = this.batches.at(-1);
    if (last && last.lastOffset >= offset) throw new Error("truncation inside a batch");
    this.end = last ? last.lastOffset + 1n : 0n;
  }

  close(): void {}
}
