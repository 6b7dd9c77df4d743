import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { decodeRecordBatch, encodeRecordBatch, iterateBatches } from "../protocol/records/record-batch.ts";
import { ATTR } from "../protocol/records/batch-header.ts";
import type { ReplicaManager } from "../replication/replica-manager.ts";
import type { Clock } from "../util/clock.ts";
import type { CoordinatorLog } from "../coordinator/coordinator-log.ts";

const READ_CHUNK_BYTES = 1 << 20;

/**
 * A coordinator's view of its internal topic (`__consumer_offsets`): appends go through the
 * ordinary leader path with acks=all, so coordinator state is exactly as durable as any
 * acknowledged produce; reads replay a partition from its log start when loading.
 */
export class CoordinatorTopicLog implements CoordinatorLog {
  constructor(
    private readonly topic: string,
    private readonly replicaManager: ReplicaManager,
    private readonly clock: Clock,
    private readonly appendTimeoutMs: number,
  ) {}

  async append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    const batch = encodeRecordBatch({
      baseTimestamp: BigInt(this.clock.now()),
      records: records.map((r, i) => ({ offsetDelta: i, timestampDelta: 0, key: r.key, value: r.value, headers: [] })),
    });
    const [result] = await this.replicaManager.appendRecords(-1, this.appendTimeoutMs, [{ topic: this.topic, partition, records: batch }]);
    if (!result || result.errorCode !== ErrorCode.NONE) {
      throw new KafkaError((result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR) as never, result?.errorMessage ?? undefined);
    }
  }

  async *read(partition: number): AsyncIterable<{ offset: number; key: Buffer | null; value: Buffer | null }> {
    const p = this.replicaManager.get(this.topic, partition);
    if (!p) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `${this.topic}-${partition} is not hosted here`);
    const end = p.log.logEndOffset;
    let offset = p.log.logStartOffset;
    while (offset < end) {
      const { records } = p.log.read(offset, READ_CHUNK_BYTES, end, true);
      if (records.length === 0) break;
      for (const entry of iterateBatches(records)) {
        if (entry.partial) break;
        const { header, records: batchRecords } = decodeRecordBatch(records.subarray(entry.position, entry.position + entry.size));
        const base = Number(header.baseOffset);
        offset = base + header.lastOffsetDelta + 1;
        // Control batches (transaction markers) carry no coordinator state.
        if ((header.attributes & ATTR.CONTROL) !== 0) continue;
        for (const r of batchRecords) yield { offset: base + r.offsetDelta, key: r.key, value: r.value };
      }
      // Loading a large partition must not starve the requests of other partitions.
      await yieldToEventLoop();
    }
  }
}
