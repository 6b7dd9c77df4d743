import { join } from "node:path";
import { CheckpointFile, type CheckpointFormat } from "./checkpoint-file.ts";
import { LEADER_EPOCH_CHECKPOINT } from "./log-files.ts";

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

const epochFormat: CheckpointFormat<EpochEntry> = {
  toLine: (e) => `${e.epoch} ${e.startOffset}`,
  fromLine(line) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2 || !/^\d+$/.test(parts[0]!) || !/^\d+$/.test(parts[1]!)) return undefined;
    return { epoch: Number(parts[0]), startOffset: Number(parts[1]) };
  },
};

/**
 * Kafka's LeaderEpochFileCache: for each leader epoch, the first offset written in it,
 * ascending in both. Followers use it (via OffsetForLeaderEpoch) to find where their log
 * diverges from the leader's. Persisted to `leader-epoch-checkpoint` after every change;
 * changes are rare (a leader election), so writing synchronously is cheap.
 */
export class LeaderEpochCache {
  private epochs: EpochEntry[];

  constructor(
    private readonly file: CheckpointFile<EpochEntry> | undefined,
    entries: readonly EpochEntry[] = [],
  ) {
    this.epochs = [...entries];
  }

  /** Loads `leader-epoch-checkpoint` in a partition dir (empty if absent). */
  static load(dir: string): LeaderEpochCache {
    const file = new CheckpointFile(join(dir, LEADER_EPOCH_CHECKPOINT), 0, epochFormat);
    return new LeaderEpochCache(file, file.read());
  }

  entries(): readonly EpochEntry[] {
    return this.epochs;
  }

  latestEntry(): EpochEntry | undefined {
    return this.epochs.at(-1);
  }

  /** The latest epoch, or UNDEFINED_EPOCH. */
  latestEpoch(): number {
    return this.epochs.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` starts at `startOffset`. Entries with a larger-or-equal epoch or
   * start offset conflict with it (a log truncated and rewritten) and are dropped first.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || startOffset < 0) throw new Error(`invalid leader epoch entry ${epoch} ${startOffset}`);
    const latest = this.latestEntry();
    if (latest && latest.epoch === epoch && startOffset >= latest.startOffset) return false;
    this.epochs = this.epochs.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.epochs.push({ epoch, startOffset });
    this.persist();
    return true;
  }

  /**
   * OffsetForLeaderEpoch: the requested epoch's end offset, i.e. the start of the next
   * larger epoch (or the log end for the latest). A requested epoch between known ones
   * answers with the largest known epoch below it.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { leaderEpoch: number; endOffset: number } {
    const undefinedResult = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedResult;
    if (requestedEpoch === this.latestEpoch()) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.epochs.find((e) => e.epoch > requestedEpoch);
    if (!higher) return undefinedResult;
    const floor = this.epochs.findLast((e) => e.epoch <= requestedEpoch);
    return { leaderEpoch: floor ? floor.epoch : requestedEpoch, endOffset: higher.startOffset };
  }

  /** The epoch the record at `offset` was written in, or UNDEFINED_EPOCH. */
  epochForOffset(offset: number): number {
    return this.epochs.findLast((e) => e.startOffset <= offset)?.epoch ?? UNDEFINED_EPOCH;
  }

  /** After a log truncation to `endOffset`: drops epochs starting at or after it. */
  truncateFromEnd(endOffset: number): void {
    const kept = this.epochs.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.epochs.length) return;
    this.epochs = kept;
    this.persist();
  }

  /**
   * After the log start moves up to `startOffset`: drops epochs that start before it, keeping
   * the one covering it, moved to start exactly there.
   */
  truncateFromStart(startOffset: number): void {
    const covering = this.epochs.findLast((e) => e.startOffset <= startOffset);
    if (!covering || (covering === this.epochs[0] && covering.startOffset === startOffset)) return;
    this.epochs = [{ epoch: covering.epoch, startOffset }, ...this.epochs.filter((e) => e.startOffset > startOffset)];
    this.persist();
  }

  clear(): void {
    if (this.epochs.length === 0) return;
    this.epochs = [];
    this.persist();
  }

  private persist(): void {
    this.file?.write(this.epochs);
  }
}
