import { createHash } from "node:crypto";

/**
 * The cleaner's key → latest offset map over a log's dirty section (Kafka's OffsetMap /
 * SkimpyOffsetMap). Like Kafka it stores a digest rather than the key, so memory per entry is
 * bounded whatever the key size: keys up to 16 bytes are their own (latin1) string, longer
 * ones their 16-byte MD5 plus a marker byte — 17 characters, so the two kinds never collide.
 * Two long keys sharing an MD5 would be treated as one, a risk Kafka accepts too.
 *
 * `capacity` bounds the entries (log.cleaner.dedupe.buffer.size); when a batch would not fit,
 * the cleaner stops the dirty section there and cleans the rest in a later pass.
 */
export class OffsetMap {
  private readonly entries = new Map<string, number>();
  private latest = -1;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error(`offset map capacity ${capacity} must be at least 1`);
  }

  /** Records `offset` as the latest for `key` (offsets are put in ascending order). */
  put(key: Buffer, offset: number): void {
    this.entries.set(digest(key), offset);
    this.latest = Math.max(this.latest, offset);
  }

  /** The latest offset of `key`, or -1 when absent. */
  get(key: Buffer): number {
    return this.entries.get(digest(key)) ?? -1;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The largest offset put, or -1. */
  get latestOffset(): number {
    return this.latest;
  }

  /** Whether `records` more keys surely fit (duplicates would take no new slot). */
  canHold(records: number): boolean {
    return this.entries.size + records <= this.capacity;
  }

  /** Fraction of the capacity in use (Kafka's buffer utilization stat). */
  get utilization(): number {
    return this.entries.size / this.capacity;
  }

  clear(): void {
    this.entries.clear();
    this.latest = -1;
  }
}

const SHORT_KEY = 16;

function digest(key: Buffer): string {
  if (key.length <= SHORT_KEY) return key.toString("latin1");
  return createHash("md5").update(key).digest().toString("latin1") + "#";
}

/**
 * Rough heap cost of one entry (a short string plus a Map slot in V8), which converts Kafka's
 * byte budget into an entry count.
 */
export const OFFSET_MAP_BYTES_PER_ENTRY = 96;

/** Entries for a dedupe buffer of `bufferBytes` filled to `loadFactor` (Kafka's 0.9 default). */
export function offsetMapCapacity(bufferBytes: number, loadFactor: number): number {
  return Math.max(1, Math.floor((bufferBytes / OFFSET_MAP_BYTES_PER_ENTRY) * loadFactor));
}
