import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { readBatchHeader } from "../protocol/records/batch-header.ts";

/** The part of a log the producer state is rebuilt from: its batch headers. */
export interface BatchHeaderSource {
  readonly logStartOffset: number;
  forEachBatchHeader(fromOffset: number, visit: (header: Buffer, offset: number) => boolean | void): void;
}

/** What the log needs to know of one appended batch to police idempotent producers. */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Number of records, so lastSequence = baseSequence + count - 1 (mod 2^31). */
  recordCount: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

interface ProducerEntry {
  epoch: number;
  /** The last few batches, newest last, to answer retried batches as duplicates. */
  batches: BatchMetadata[];
  lastTimestamp: number;
}

/** Kafka keeps the metadata of the last five batches per producer (max.in.flight = 5). */
const RETAINED_BATCHES = 5;
const NO_PRODUCER_EPOCH = -1;

export type SequenceCheck = { kind: "append" } | { kind: "duplicate"; firstOffset: number; lastOffset: number; maxTimestamp: number };

function lastSeqOf(b: ProducerBatch): number {
  return (b.baseSequence + b.recordCount - 1) % 2 ** 31;
}

/**
 * Per-partition state of idempotent producers (Kafka's ProducerStateManager): the epoch and
 * recent sequence numbers of each producer id. A leader checks every incoming batch against
 * it before appending; the state is rebuilt from batch headers when a log is loaded.
 */
export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  /**
   * Rebuilds the state from a log's batch headers (Kafka reloads it from snapshots plus the
   * log tail; Samsa keeps no snapshots yet, so it scans the retained log).
   */
  static rebuild(log: BatchHeaderSource): ProducerStateManager {
    const psm = new ProducerStateManager();
    log.forEachBatchHeader(log.logStartOffset, (buf) => {
      const batch = producerBatchOf(buf, 0);
      if (batch.producerId >= 0) psm.update(batch);
    });
    return psm;
  }

  /**
   * Validates one batch's epoch and sequence. Returns "duplicate" with the original offsets
   * for a retried batch, throws INVALID_PRODUCER_EPOCH or OUT_OF_ORDER_SEQUENCE_NUMBER.
   */
  check(batch: ProducerBatch): SequenceCheck {
    if (batch.producerId < 0) return { kind: "append" };
    const entry = this.producers.get(batch.producerId);
    const currentEpoch = entry?.epoch ?? NO_PRODUCER_EPOCH;
    if (batch.producerEpoch < currentEpoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${batch.producerId} is ${batch.producerEpoch}, which is smaller than the last seen epoch ${currentEpoch}`,
      );
    }
    const lastSeq = lastSeqOf(batch);
    if (entry && batch.producerEpoch === currentEpoch) {
      const dup = entry.batches.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq);
      if (dup) return { kind: "duplicate", firstOffset: dup.firstOffset, lastOffset: dup.lastOffset, maxTimestamp: dup.maxTimestamp };
      const currentLast = entry.batches.at(-1)?.lastSeq;
      const expected = currentLast === undefined ? 0 : (currentLast + 1) % 2 ** 31;
      if (batch.baseSequence !== expected) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Out of order sequence number for producer ${batch.producerId}: ${batch.baseSequence} (expected ${expected})`,
        );
      }
    } else if (batch.baseSequence !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
      // A bumped epoch must start again at sequence 0; an unknown producer may resume.
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Invalid sequence number for new epoch of producer ${batch.producerId}: ${batch.baseSequence} (expected 0)`,
      );
    }
    return { kind: "append" };
  }

  /** Records an appended batch (after check(), or when replaying a log at load time). */
  update(batch: ProducerBatch): void {
    if (batch.producerId < 0) return;
    let entry = this.producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [], lastTimestamp: batch.maxTimestamp };
      this.producers.set(batch.producerId, entry);
    }
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: lastSeqOf(batch),
      firstOffset: batch.firstOffset,
      lastOffset: batch.lastOffset,
      maxTimestamp: batch.maxTimestamp,
    });
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = Math.max(entry.lastTimestamp, batch.maxTimestamp);
  }

  /** Producers idle longer than producer.id.expiration.ms are forgotten, as in Kafka. */
  expire(now: number, expirationMs: number): void {
    for (const [id, entry] of this.producers) {
      if (now - entry.lastTimestamp > expirationMs) this.producers.delete(id);
    }
  }
}

/** The producer-state view of the batch whose header starts at `pos` of `records`. */
export function producerBatchOf(records: Buffer, pos: number): ProducerBatch {
  const h = readBatchHeader(records, pos);
  const firstOffset = Number(h.baseOffset);
  return {
    producerId: Number(h.producerId),
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    recordCount: h.lastOffsetDelta + 1,
    firstOffset,
    lastOffset: firstOffset + h.lastOffsetDelta,
    maxTimestamp: Number(h.maxTimestamp),
  };
}
