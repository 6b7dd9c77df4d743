import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { initCompression } from "../protocol/records/compression.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { CleanerCheckpoints } from "./cleaner-checkpoint.ts";
import { logToClean, type LogToClean } from "./cleaner-offsets.ts";
import { CleaningAbortedError, cleanLog, type CleanResult } from "./cleaner.ts";
import { hasCompactPolicy, hasDeletePolicy } from "./log-config.ts";
import { partitionDirName } from "./log-files.ts";
import { silentLogger, type LogLogger } from "./log-logger.ts";
import type { Log } from "./log.ts";
import { OffsetMap, offsetMapCapacity } from "./offset-map.ts";
import { type Cancel, scheduleOnce } from "./scheduler.ts";

/** The broker configs the cleaner reads, under their Kafka names. */
export interface LogCleanerConfig {
  "log.cleaner.enable": boolean;
  /** Sleep between passes that found nothing to clean. */
  "log.cleaner.backoff.ms": number;
  /** Memory for the offset map (Kafka's dedupe buffer; one cleaner thread here). */
  "log.cleaner.dedupe.buffer.size": number;
  /** How full the offset map may get. */
  "log.cleaner.io.buffer.load.factor": number;
}

export const DEFAULT_LOG_CLEANER_CONFIG: LogCleanerConfig = {
  "log.cleaner.enable": true,
  "log.cleaner.backoff.ms": 15000,
  "log.cleaner.dedupe.buffer.size": 134217728,
  "log.cleaner.io.buffer.load.factor": 0.9,
};

export interface CleanableLog {
  log: Log;
  /** The log dir holding it, whose cleaner-offset-checkpoint has its entry. */
  logDir: string;
}

export interface LogCleanerOptions {
  config?: Partial<LogCleanerConfig>;
  logDirs: readonly string[];
  /** The logs to consider, read at each pass. */
  logs: () => Iterable<CleanableLog>;
  clock: Clock;
  timer: Timer;
  logger?: LogLogger;
}

/**
 * Kafka's LogCleaner with its LogCleanerManager, as one background task owned by LogManager:
 * each pass picks the filthiest compacted log — the highest dirty ratio among those at or
 * above min.cleanable.dirty.ratio, or with a dirty record older than max.compaction.lag.ms —
 * and cleans it; when none qualifies, a log whose retained tombstones have all passed their
 * delete horizon is cleaned to drop them (Kafka 3.1–3.x's latestDeleteHorizon). A pass that
 * cleaned something is followed at once by another, otherwise the next waits
 * log.cleaner.backoff.ms. Cleanings run one at a time and yield to the event loop as they go.
 */
export class LogCleaner {
  private readonly cfg: LogCleanerConfig;
  private readonly checkpoints: CleanerCheckpoints;
  private readonly map: OffsetMap;
  private readonly logger: LogLogger;
  /** Logs whose cleaning failed (e.g. a corrupt batch); skipped until restart, as in Kafka. */
  private readonly uncleanable = new WeakSet<Log>();
  /** The latest delete horizon of the tombstones each log still holds, or -1. */
  private readonly deleteHorizons = new WeakMap<Log, number>();
  private current: { log: Log; aborted: boolean } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private cancelNext: Cancel = () => {};
  private running = false;
  private stopped = false;

  constructor(private readonly options: LogCleanerOptions) {
    this.cfg = { ...DEFAULT_LOG_CLEANER_CONFIG, ...options.config };
    this.logger = options.logger ?? silentLogger;
    this.checkpoints = new CleanerCheckpoints(this.logger);
    for (const dir of options.logDirs) this.checkpoints.load(dir);
    this.map = new OffsetMap(offsetMapCapacity(this.cfg["log.cleaner.dedupe.buffer.size"], this.cfg["log.cleaner.io.buffer.load.factor"]));
  }

  /** Starts the passes: the first right away, as Kafka's cleaner thread does. */
  startup(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    for (const entry of this.options.logs()) this.watchTruncation(entry);
    this.scheduleNext(0);
  }

  /** Stops the passes; a cleaning under way stops at its next yield and leaves the log as it was. */
  shutdown(): void {
    this.running = false;
    this.stopped = true;
    this.cancelNext();
    if (this.current) this.current.aborted = true;
  }

  /** Resolves once the cleanings queued so far are done. */
  async whenIdle(): Promise<void> {
    await this.queue;
  }

  /** The cleaner checkpoint of a log, if any. */
  checkpointOf(log: Log, logDir: string): number | undefined {
    return this.checkpoints.get(logDir, log.topic, log.partition);
  }

  /** Cleans `log` now whatever its dirty ratio (after any cleaning under way); undefined if aborted. */
  cleanNow(log: Log): Promise<CleanResult | undefined> {
    return this.enqueue(async () => {
      const entry = [...this.options.logs()].find((e) => e.log === log);
      if (!entry) throw new Error(`Log ${log.name} is not managed by this cleaner`);
      if (log.isClosed || log.isOffline) return undefined;
      this.watchTruncation(entry);
      const now = this.options.clock.now();
      return this.clean(entry, this.toClean(entry, now), now);
    });
  }

  /** The log was deleted: stop cleaning it and drop its checkpoint entry. */
  forgetLog(log: Log, logDir: string): void {
    if (this.current?.log === log) this.current.aborted = true;
    if (log.onTruncation) log.onTruncation = undefined;
    this.updateCheckpoint(logDir, log, undefined);
  }

  /** One pass; true if a log was cleaned. */
  async runPass(): Promise<boolean> {
    return this.enqueue(async () => {
      const now = this.options.clock.now();
      const picked = this.grabFilthiestLog(now);
      if (!picked) return false;
      await this.clean(picked.entry, picked.ltc, now);
      return true;
    });
  }

  private scheduleNext(delay: number): void {
    if (!this.running) return;
    this.cancelNext = scheduleOnce(
      this.options.timer,
      delay,
      () => {
        this.runPass().then(
          (cleaned) => this.scheduleNext(cleaned ? 0 : this.cfg["log.cleaner.backoff.ms"]),
          (e: unknown) => {
            this.logger.error(`Log cleaner pass failed: ${(e as Error).message}`);
            this.scheduleNext(this.cfg["log.cleaner.backoff.ms"]);
          },
        );
      },
      (e) => this.logger.error(`Log cleaner pass failed: ${(e as Error).message}`),
    );
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Kafka's grabFilthiestCompactedLog. */
  private grabFilthiestLog(now: number): { entry: CleanableLog; ltc: LogToClean } | undefined {
    let filthiest: { entry: CleanableLog; ltc: LogToClean } | undefined;
    let expiredTombstones: typeof filthiest;
    for (const entry of this.options.logs()) {
      const { log } = entry;
      if (!hasCompactPolicy(log.config) || log.isClosed || log.isOffline || this.uncleanable.has(log)) continue;
      this.watchTruncation(entry);
      let ltc: LogToClean;
      try {
        ltc = this.toClean(entry, now);
      } catch (e) {
        this.markUncleanable(log, `cannot compute its cleanable range: ${(e as Error).message}`);
        continue;
      }
      if (ltc.totalBytes === 0) continue;
      const eligible = ltc.cleanableBytes > 0 && (ltc.needCompactionNow || ltc.cleanableRatio >= log.config["min.cleanable.dirty.ratio"]);
      if (eligible) {
        if (!filthiest || ltc.cleanableRatio > filthiest.ltc.cleanableRatio) filthiest = { entry, ltc };
      } else {
        const horizon = this.deleteHorizons.get(log) ?? -1;
        if (horizon >= 0 && horizon <= now && !expiredTombstones) expiredTombstones = { entry, ltc };
      }
    }
    return filthiest ?? expiredTombstones;
  }

  private toClean(entry: CleanableLog, now: number): LogToClean {
    const { log, logDir } = entry;
    const ltc = logToClean(log, this.checkpoints.get(logDir, log.topic, log.partition), now);
    if (ltc.checkpointReset) {
      // Retention moving the start past the checkpoint is routine with compact,delete.
      if (!hasDeletePolicy(log.config)) this.logger.warn(`Resetting the first dirty offset of ${log.name} to its log start ${ltc.firstDirtyOffset}: the checkpointed offset is invalid`);
      this.updateCheckpoint(logDir, log, ltc.firstDirtyOffset);
    }
    return ltc;
  }

  private async clean(entry: CleanableLog, ltc: LogToClean, now: number): Promise<CleanResult | undefined> {
    const { log, logDir } = entry;
    const state = { log, aborted: false };
    this.current = state;
    try {
      await initCompression(); // zstd batches are recompressed with zstd
      const result = await cleanLog(ltc, {
        map: this.map,
        now,
        pause: async () => {
          await yieldToEventLoop();
          if (this.stopped || state.aborted) throw new CleaningAbortedError(`cleaning of ${log.name} was stopped`);
        },
      });
      this.updateCheckpoint(logDir, log, result.endOffset);
      this.deleteHorizons.set(log, result.stats.latestDeleteHorizon);
      const s = result.stats;
      this.logger.info(
        `Cleaned ${log.name} up to offset ${result.endOffset} (dirty ratio ${ltc.cleanableRatio.toFixed(2)}): ` +
          `${s.segmentsCleaned} segments in ${s.groups} groups, ${s.bytesRead} → ${s.bytesWritten} bytes, ` +
          `${s.recordsRetained}/${s.recordsRead} records kept, ${s.tombstonesRemoved} tombstones removed in ${this.options.clock.now() - now} ms`,
      );
      return result;
    } catch (e) {
      if (e instanceof CleaningAbortedError) {
        this.logger.info(`Cleaning of ${log.name} aborted: ${e.message}`);
      } else {
        this.markUncleanable(log, (e as Error).message);
      }
      return undefined;
    } finally {
      this.current = undefined;
      this.map.clear();
    }
  }

  private markUncleanable(log: Log, why: string): void {
    this.uncleanable.add(log);
    this.logger.error(`Log ${log.name} is marked uncleanable: ${why}`);
  }

  /** A truncation below the checkpoint lowers it: what lies above it now was never cleaned. */
  private watchTruncation(entry: CleanableLog): void {
    const { log, logDir } = entry;
    log.onTruncation = (newLogEnd) => {
      if (this.current?.log === log) this.current.aborted = true;
      const checkpoint = this.checkpoints.get(logDir, log.topic, log.partition);
      if (checkpoint !== undefined && checkpoint > newLogEnd) this.updateCheckpoint(logDir, log, newLogEnd);
    };
  }

  private updateCheckpoint(logDir: string, log: Log, offset: number | undefined): void {
    const live = new Set<string>();
    for (const e of this.options.logs()) if (e.logDir === logDir) live.add(partitionDirName(e.log.topic, e.log.partition));
    this.checkpoints.update(logDir, log.topic, log.partition, offset, (key) => live.has(key));
  }
}
