import * as fs from "node:fs";
import { join } from "node:path";
import { CLEANED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, offsetFromFilename, SWAP_SUFFIX, TIME_INDEX_SUFFIX } from "./log-files.ts";
import type { LogLogger } from "./log-logger.ts";
import { LogSegment, type SegmentSettings } from "./log-segment.ts";

const SEGMENT_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX];

/**
 * Resolves a cleaner swap that a crash interrupted, before the loader opens segments, as
 * Kafka's LogLoader does. Log.replaceSegments renames, in order: `.cleaned` → `.swap` (the
 * commit point), the replaced segments → `.deleted`, `.swap` → live. So:
 * - `.cleaned` files are an unfinished rewrite: dropped (the old segments are intact);
 * - a `.swap` segment is complete (it was fsynced before the rename): every live segment
 *   file whose base offset falls in the swap's range [base, next offset) is one it replaces
 *   and is deleted, then the `.swap` files take their live names. Replaced segments already
 *   renamed `.deleted` are removed by the loader's leftover pass.
 * A `.swap` at or above the smallest `.cleaned` offset belongs to an operation that never
 * reached its commit point and is dropped too (Kafka's KAFKA-6264 rule).
 */
export function completeInterruptedSwaps(dir: string, settings: SegmentSettings, logger: LogLogger, name: string): void {
  const names = fs.readdirSync(dir);
  let minCleaned = Infinity;
  for (const file of names) if (file.endsWith(CLEANED_SUFFIX)) minCleaned = Math.min(minCleaned, offsetFromFilename(file));
  const remove = (file: string): void => fs.rmSync(join(dir, file), { force: true });

  const swaps: string[] = [];
  for (const file of names) {
    if (file.endsWith(CLEANED_SUFFIX)) {
      remove(file);
    } else if (file.endsWith(SWAP_SUFFIX)) {
      if (offsetFromFilename(file) >= minCleaned) {
        logger.warn(`Log ${name}: deleting ${file}, part of a swap that never completed`);
        remove(file);
      } else {
        swaps.push(file);
      }
    }
  }
  if (swaps.length === 0) return;

  // The offsets the swap segments cover: live segments inside were replaced by them.
  let min = Infinity;
  let max = -Infinity;
  for (const file of swaps) {
    if (file !== `${file.slice(0, file.indexOf("."))}${LOG_SUFFIX}${SWAP_SUFFIX}`) continue;
    const base = offsetFromFilename(file);
    logger.info(`Log ${name}: found ${file} from an interrupted swap; completing it`);
    const segment = LogSegment.open(dir, base, settings, SWAP_SUFFIX);
    try {
      // Rebuilds the swap's indexes too, so they match its log whatever step the crash hit.
      segment.recover();
      min = Math.min(min, base);
      // An empty swap still replaces the segment at its own base offset.
      max = Math.max(max, segment.nextOffset, base + 1);
    } finally {
      segment.close();
    }
  }
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith(SWAP_SUFFIX) || !SEGMENT_SUFFIXES.some((s) => file.endsWith(s))) continue;
    const base = offsetFromFilename(file);
    if (base >= min && base < max) {
      logger.info(`Log ${name}: deleting ${file}, replaced by an interrupted swap`);
      remove(file);
    }
  }
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith(SWAP_SUFFIX)) fs.renameSync(join(dir, file), join(dir, file.slice(0, -SWAP_SUFFIX.length)));
  }
}
