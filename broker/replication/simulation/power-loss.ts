import * as fs from "node:fs";
import { join } from "node:path";
import type { Log } from "../../log/log.ts";
import type { SimRandom } from "./sim-random.ts";

/**
 * What a power loss does to one log: writes past the recovery point (the last fsync) were
 * only in the page cache, so any suffix of them may be gone; some of it may have reached
 * the disk. The log loses a random suffix from a batch boundary at or above its recovery
 * point, and the first lost batch may survive as a torn, partial write that recovery must
 * detect by its CRC and cut. Returns how many offsets were lost. The log is closed after.
 */
export function losePowerOn(log: Log, random: SimRandom): number {
  const end = log.logEndOffset;
  const keepFrom = Math.max(log.recoveryPoint, log.logStartOffset);
  let lost = 0;
  let torn: Buffer | null = null;
  if (end > keepFrom && random.chance(0.8)) {
    const cut = random.int(keepFrom, end - 1);
    const { records } = log.read(cut, 1 << 20, end, true);
    // The batch holding `cut` goes whole; a torn prefix of it may be left on disk.
    if (records.length > 1 && random.chance(0.5)) torn = records.subarray(0, random.int(1, Math.min(records.length, records.readInt32BE(8) + 12) - 1));
    log.truncateTo(cut);
    lost = end - log.logEndOffset;
  }
  const dir = log.dir;
  log.close();
  if (torn) {
    const segments = fs.readdirSync(dir).filter((f) => f.endsWith(".log")).sort();
    const active = segments[segments.length - 1];
    if (active) fs.appendFileSync(join(dir, active), torn);
  }
  return lost;
}
