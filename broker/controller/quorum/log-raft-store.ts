import { logConfig } from "../../log/log-config.ts";
import type { LogLogger } from "../../log/log-logger.ts";
import { Log } from "../../log/log.ts";
import { readBatchHeader } from "../../protocol/records/batch-header.ts";
import { iterateBatches } from "../../protocol/records/record-batch.ts";
import type { Clock, Timer } from "../../util/clock.ts";
import type { RaftLogStore } from "./raft-log-store.ts";

export const METADATA_TOPIC = "__cluster_metadata";

export interface LogRaftStoreOptions {
  /** The `__cluster_metadata-0` directory. */
  dir: string;
  clock: Clock;
  timer: Timer;
  logger?: LogLogger;
  /** metadata.log.segment.bytes (Kafka's default 1 GiB). */
  segmentBytes?: number;
  /**
   * The only voter commits what it flushes (the default); with several voters the Raft
   * client commits by majority, so a flush must not move the log's high watermark.
   */
  commitOnFlush?: boolean;
}

/**
 * The metadata log on disk: a broker/log Log for `__cluster_metadata-0`, so it has the same
 * segment files, indexes and CRC-checked recovery (a torn tail is truncated on open) as any
 * partition. It is not managed by LogManager: retention never deletes from it (without
 * snapshots every record is needed to rebuild the image) and the quorum fsyncs each append.
 */
export class LogRaftStore implements RaftLogStore {
  private constructor(
    readonly log: Log,
    private readonly commitOnFlush: boolean,
  ) {}

  static open(options: LogRaftStoreOptions): LogRaftStore {
    const log = Log.open({
      dir: options.dir,
      topic: METADATA_TOPIC,
      partition: 0,
      config: logConfig({
        "retention.ms": -1,
        "retention.bytes": -1,
        ...(options.segmentBytes !== undefined ? { "segment.bytes": options.segmentBytes } : {}),
      }),
      clock: options.clock,
      timer: options.timer,
      logger: options.logger,
      // Always re-validate: the log is small and every batch must be intact to replay it.
      hadCleanShutdown: false,
    });
    return new LogRaftStore(log, options.commitOnFlush ?? true);
  }

  logEndOffset(): bigint {
    return BigInt(this.log.logEndOffset);
  }

  append(batch: Buffer): void {
    let last = -1;
    let maxTimestamp = -1;
    for (const e of iterateBatches(batch)) {
      if (e.partial) throw new Error("cannot append a partial batch to the metadata log");
      last = Number(e.header.baseOffset) + e.header.lastOffsetDelta;
      maxTimestamp = Math.max(maxTimestamp, Number(e.header.maxTimestamp));
    }
    const first = Number(readBatchHeader(batch).baseOffset);
    this.log.append(batch, { firstOffset: first, lastOffset: last, maxTimestamp, crcVerified: true });
  }

  flush(): void {
    this.log.flush();
    // Everything durable on the only voter is committed.
    if (this.commitOnFlush) this.log.updateHighWatermark(this.log.logEndOffset);
  }

  read(offset: bigint, maxBytes: number): Buffer {
    return this.log.read(Number(offset), maxBytes, this.log.logEndOffset, true).records;
  }

  truncateTo(offset: bigint): void {
    this.log.truncateTo(Number(offset));
  }

  close(): void {
    this.log.flush();
    this.log.close();
  }
}
