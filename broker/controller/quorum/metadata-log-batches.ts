import { ATTR } from "../../protocol/records/batch-header.ts";
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from "../../protocol/records/record-batch.ts";
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from "../metadata-record-serde.ts";
import type { CommittedBatch } from "./metadata-quorum.ts";
import type { RaftLogStore } from "./raft-log-store.ts";

/** One whole batch of the metadata log, as stored and as sent to observers. */
export interface MetadataLogBatch {
  baseOffset: bigint;
  lastOffset: bigint;
  epoch: number;
  /** The batch's bytes within the buffer it was read from. */
  bytes: Buffer;
  /** The decoded metadata records, or null for a control batch (LeaderChange...). */
  data: CommittedBatch | null;
}

/**
 * The whole batches in `buf` (a read of the metadata log), decoded; a partial batch at the
 * end (a read cut at maxBytes) is left out. Batches ending before `fromOffset` are skipped.
 */
export function* metadataLogBatches(buf: Buffer, fromOffset = 0n): Generator<MetadataLogBatch> {
  for (const entry of iterateBatches(buf)) {
    if (entry.partial) return;
    const bytes = buf.subarray(entry.position, entry.position + entry.size);
    const { header, records } = decodeRecordBatch(bytes);
    const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (lastOffset < fromOffset) continue;
    const epoch = header.partitionLeaderEpoch;
    const data: CommittedBatch | null =
      header.attributes & ATTR.CONTROL
        ? null
        : {
            baseOffset: header.baseOffset,
            lastOffset,
            epoch,
            appendTimestamp: Number(header.maxTimestamp),
            records: records.map((r) => {
              if (!r.value) throw new Error(`metadata record at offset ${header.baseOffset + BigInt(r.offsetDelta)} has no value`);
              return decodeMetadataRecord(r.value);
            }),
          };
    yield { baseOffset: header.baseOffset, lastOffset, epoch, bytes, data };
  }
}

/** Every whole batch of `store`, from its start to its end, read `chunkBytes` at a time. */
export async function* readMetadataLog(store: RaftLogStore, chunkBytes: number): AsyncGenerator<MetadataLogBatch> {
  let offset = 0n;
  const end = store.logEndOffset();
  while (offset < end) {
    const buf = await store.read(offset, chunkBytes);
    let progressed = false;
    for (const batch of metadataLogBatches(buf, offset)) {
      progressed = true;
      offset = batch.lastOffset + 1n;
      yield batch;
    }
    if (!progressed) throw new Error(`metadata log made no progress reading at offset ${offset}`);
  }
}

/**
 * One controller command as one batch of the metadata log (magic 2, key null, value =
 * MetadataRecordSerde bytes, partitionLeaderEpoch = the quorum epoch), so it is applied
 * entirely or not at all.
 */
export function encodeMetadataBatch(o: { baseOffset: bigint; epoch: number; records: readonly MetadataRecord[]; timestamp: number }): Buffer {
  return encodeRecordBatch({
    baseOffset: o.baseOffset,
    partitionLeaderEpoch: o.epoch,
    baseTimestamp: BigInt(o.timestamp),
    records: o.records.map((r, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: encodeMetadataRecord(r), headers: [] })),
  });
}
