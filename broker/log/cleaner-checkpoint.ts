import { join } from "node:path";
import { OffsetCheckpointFile } from "./checkpoint-file.ts";
import { CLEANER_OFFSET_CHECKPOINT, partitionDirName } from "./log-files.ts";
import type { LogLogger } from "./log-logger.ts";

/**
 * Kafka's `cleaner-offset-checkpoint`, one per log dir: for each compacted log, the offset
 * below which it has been cleaned (the first dirty offset of the next cleaning). Same format
 * as the other offset checkpoints. Kept in memory, written after each change.
 */
export class CleanerCheckpoints {
  private readonly byDir = new Map<string, Map<string, number>>();

  constructor(private readonly logger: LogLogger) {}

  /** Reads a dir's file; a missing or unreadable one means "nothing cleaned yet". */
  load(dir: string): void {
    try {
      this.byDir.set(dir, new OffsetCheckpointFile(join(dir, CLEANER_OFFSET_CHECKPOINT)).readMap());
    } catch (e) {
      this.logger.warn(`Ignoring ${join(dir, CLEANER_OFFSET_CHECKPOINT)}: ${(e as Error).message}`);
      this.byDir.set(dir, new Map());
    }
  }

  get(dir: string, topic: string, partition: number): number | undefined {
    return this.byDir.get(dir)?.get(partitionDirName(topic, partition));
  }

  /** Sets (or with undefined removes) an entry and rewrites the dir's file. */
  update(dir: string, topic: string, partition: number, offset: number | undefined, live: (key: string) => boolean): void {
    let entries = this.byDir.get(dir);
    if (!entries) this.byDir.set(dir, (entries = new Map()));
    const key = partitionDirName(topic, partition);
    if (offset === undefined) entries.delete(key);
    else entries.set(key, offset);
    // Entries of logs no longer in this dir (deleted, moved) are dropped, as Kafka does.
    for (const k of entries.keys()) if (!live(k)) entries.delete(k);
    const lines = [...entries].map(([k, o]) => {
      const dash = k.lastIndexOf("-");
      return { topic: k.slice(0, dash), partition: Number(k.slice(dash + 1)), offset: o };
    });
    try {
      new OffsetCheckpointFile(join(dir, CLEANER_OFFSET_CHECKPOINT)).write(lines);
    } catch (e) {
      this.logger.error(`Cannot write ${join(dir, CLEANER_OFFSET_CHECKPOINT)}: ${(e as Error).message}`);
    }
  }
}
