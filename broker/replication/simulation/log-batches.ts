import { batchBaseOffset, batchLastOffset, batchSize } from "../../log/batch-view.ts";
import type { Log } from "../../log/log.ts";
import { BATCH } from "../../protocol/records/batch-header.ts";

/** One batch of a log as the simulation compares them: where it sits and its CRC (its content). */
export interface BatchSummary {
  baseOffset: number;
  lastOffset: number;
  crc: number;
}

/** The CRC a v2 batch carries (it covers everything but offsets, length and leader epoch). */
export function batchCrc(buf: Buffer, pos = 0): number {
  return buf.readUInt32BE(pos + BATCH.CRC);
}

/** Every batch of `log` from `from` (default its start) to its end, in order. */
export function logBatches(log: Log, from = log.logStartOffset): BatchSummary[] {
  const out: BatchSummary[] = [];
  let next = Math.max(from, log.logStartOffset);
  while (next < log.logEndOffset) {
    const { records } = log.read(next, 1 << 22, log.logEndOffset, true);
    if (records.length === 0) break;
    for (let pos = 0; pos + BATCH.LOG_OVERHEAD <= records.length; pos += batchSize(records, pos)) {
      if (pos + batchSize(records, pos) > records.length) break;
      const lastOffset = batchLastOffset(records, pos);
      if (lastOffset >= next) out.push({ baseOffset: batchBaseOffset(records, pos), lastOffset, crc: batchCrc(records, pos) });
      next = lastOffset + 1;
    }
  }
  return out;
}
