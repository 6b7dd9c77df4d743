import { decodeRecordBatch, recordOffset, recordTimestamp } from "./record-batch.ts";

/**
 * The first record of a batch at or after `targetTimestamp` (and at or after `minOffset`):
 * what ListOffsets by timestamp answers in Kafka, which looks inside the batch the time index
 * points at. The log hands whole batches to this; only the records layer can decode them.
 */
export function findRecordByTimestamp(batch: Buffer, targetTimestamp: number, minOffset: number): { timestamp: number; offset: number } | undefined {
  const { header, records } = decodeRecordBatch(batch, { verifyCrc: false });
  for (const r of records) {
    const offset = Number(recordOffset(header, r));
    const timestamp = Number(recordTimestamp(header, r));
    if (offset >= minOffset && timestamp >= targetTimestamp) return { timestamp, offset };
  }
  return undefined;
}
