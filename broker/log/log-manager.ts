import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { join } from "node:path";
import { ErrorCode } from "../protocol/errors.ts";
import type { Clock, Timer } from "../util/clock.ts";
import { OffsetCheckpointFile, type TopicPartitionOffset } from "./checkpoint-file.ts";
import { DEFAULT_LOG_CLEANER_CONFIG, LogCleaner, type LogCleanerConfig } from "./cleaner-task.ts";
import { DEFAULT_MAX_OPEN_SEGMENT_FILES, FilePool } from "./file-pool.ts";
import { fsyncDir } from "./io.ts";
import { logConfig, type LogConfig } from "./log-config.ts";
import {
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  deleteDirName,
  LOG_START_OFFSET_CHECKPOINT,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
} from "./log-files.ts";
import { silentLogger, type LogLogger } from "./log-logger.ts";
import type { RecordTimestampSearch } from "./log-segment.ts";
import { Log } from "./log.ts";
import { type Cancel, schedulePeriodic, scheduleOnce } from "./scheduler.ts";

/** Kafka keeps `__cluster_metadata-0` in a log dir but outside the LogManager. */
const CLUSTER_METADATA_TOPIC = "__cluster_metadata";

/** The broker configs LogManager uses, under their Kafka names (Infinity = never). */
export interface LogManagerConfig extends LogCleanerConfig {
  "log.dirs": readonly string[];
  "log.flush.offset.checkpoint.interval.ms": number;
  "log.flush.start.offset.checkpoint.interval.ms": number;
  /** Kafka's ReplicaManager setting for replication-offset-checkpoint. */
  "replica.high.watermark.checkpoint.interval.ms": number;
  "log.retention.check.interval.ms": number;
  /** How often logs are checked against flush.ms. */
  "log.flush.scheduler.interval.ms": number;
  "log.initial.task.delay.ms": number;
}

export const DEFAULT_LOG_MANAGER_CONFIG: Omit<LogManagerConfig, "log.dirs"> = {
  ...DEFAULT_LOG_CLEANER_CONFIG,
  "log.flush.offset.checkpoint.interval.ms": 60000,
  "log.flush.start.offset.checkpoint.interval.ms": 60000,
  "replica.high.watermark.checkpoint.interval.ms": 5000,
  "log.retention.check.interval.ms": 300000,
  "log.flush.scheduler.interval.ms": Infinity,
  "log.initial.task.delay.ms": 30000,
};

export type ConfigLayer = Readonly<Record<string, string | number | undefined>>;

export interface LogManagerOptions {
  config: Partial<LogManagerConfig> & Pick<LogManagerConfig, "log.dirs">;
  /** Broker-wide defaults of topic configs (segment.bytes, retention.ms, ...). */
  defaultLogConfig?: ConfigLayer;
  /** A topic's config overrides, used for logs found on disk at startup. */
  topicConfig?: (topic: string) => ConfigLayer | undefined;
  clock: Clock;
  timer: Timer;
  logger?: LogLogger;
  recordTimestampSearch?: RecordTimestampSearch;
  /**
   * At most this many segment `.log` files of all the logs are open at once (least recently
   * used ones close and reopen on their next use); indexes hold no descriptors. Default 1000.
   */
  maxOpenSegmentFiles?: number;
}

export interface LogDirPartition {
  topic: string;
  partition: number;
  sizeInBytes: number;
  offsetLag: number;
  isFutureKey: boolean;
}

export interface LogDirDescription {
  logDir: string;
  errorCode: number;
  totalBytes: number;
  usableBytes: number;
  partitions: LogDirPartition[];
}

interface ManagedLog {
  log: Log;
  logDir: string;
}

/**
 * Kafka's LogManager: owns the logs in one or more log dirs. At startup it loads every
 * `topic-N` dir, using the per-dir checkpoints (recovery points, log start offsets, high
 * watermarks) and the clean-shutdown marker to decide how much to recover; it then removes
 * the marker, so a crash before the next clean shutdown forces recovery. In the background
 * it enforces retention, flush.ms and writes the checkpoints; shutdown flushes, writes them
 * one last time and leaves the marker. Its logs share one bounded pool of segment descriptors,
 * so open files stay at most `maxOpenSegmentFiles` however many partitions there are.
 */
export class LogManager {
  private readonly logs = new Map<string, ManagedLog>();
  private readonly offlineDirs = new Map<string, string>();
  private readonly cfg: LogManagerConfig;
  private readonly logDirs: string[];
  private readonly clock: Clock;
  private readonly timer: Timer;
  private readonly logger: LogLogger;
  private tasks: Cancel[] = [];
  private started = false;
  private logCleaner: LogCleaner | undefined;
  private readonly files: FilePool;

  constructor(private readonly options: LogManagerOptions) {
    this.cfg = { ...DEFAULT_LOG_MANAGER_CONFIG, ...options.config };
    this.logDirs = [...new Set(this.cfg["log.dirs"])];
    if (this.logDirs.length === 0) throw new Error("log.dirs is empty");
    this.clock = options.clock;
    this.timer = options.timer;
    this.logger = options.logger ?? silentLogger;
    this.files = new FilePool(options.maxOpenSegmentFiles ?? DEFAULT_MAX_OPEN_SEGMENT_FILES);
  }

  /** The pool of segment descriptors the logs share (for its counters). */
  get filePool(): FilePool {
    return this.files;
  }

  /** Loads all logs and starts the background tasks. */
  startup(): void {
    if (this.started) return;
    this.started = true;
    for (const dir of this.logDirs) {
      try {
        this.loadLogDir(dir);
      } catch (e) {
        this.markDirOffline(dir, e);
      }
    }
    if (this.offlineDirs.size === this.logDirs.length) {
      throw new Error(`All log dirs failed to load: ${[...this.offlineDirs.values()].join("; ")}`);
    }
    const initialDelay = this.cfg["log.initial.task.delay.ms"];
    const every = (period: number, task: () => void, name: string, delay = initialDelay) =>
      this.tasks.push(schedulePeriodic(this.timer, delay, period, task, (e) => this.logger.error(`${name} failed: ${(e as Error).message}`)));
    every(this.cfg["log.retention.check.interval.ms"], () => this.cleanupLogs(), "log retention");
    every(this.cfg["log.flush.scheduler.interval.ms"], () => this.flushDirtyLogs(), "log flusher");
    every(this.cfg["log.flush.offset.checkpoint.interval.ms"], () => this.checkpointRecoveryPoints(), "recovery point checkpoint");
    every(this.cfg["log.flush.start.offset.checkpoint.interval.ms"], () => this.checkpointLogStartOffsets(), "log start offset checkpoint");
    // Kafka's ReplicaManager starts this one at once, not after the log manager's initial delay.
    every(this.cfg["replica.high.watermark.checkpoint.interval.ms"], () => this.checkpointHighWatermarks(), "high watermark checkpoint", 0);
    if (this.cfg["log.cleaner.enable"]) {
      this.logCleaner = new LogCleaner({
        config: this.cfg,
        logDirs: this.logDirs.filter((d) => !this.offlineDirs.has(d)),
        logs: () => [...this.logs.values()].filter((m) => !this.offlineDirs.has(m.logDir)),
        clock: this.clock,
        timer: this.timer,
        logger: this.logger,
      });
      this.logCleaner.startup();
    }
  }

  /** The log cleaner (compaction of cleanup.policy=compact logs), when log.cleaner.enable. */
  get cleaner(): LogCleaner | undefined {
    return this.logCleaner;
  }

  private loadLogDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const marker = join(dir, CLEAN_SHUTDOWN_FILE);
    const hadCleanShutdown = fs.existsSync(marker);
    const recoveryPoints = this.readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT);
    const logStartOffsets = this.readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT);
    const highWatermarks = this.readCheckpoint(dir, REPLICATION_OFFSET_CHECKPOINT);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name.endsWith(DELETE_DIR_SUFFIX)) {
        this.scheduleDirRemoval(path);
        continue;
      }
      const tp = parsePartitionDirName(entry.name);
      // The metadata log lives beside the partition logs but belongs to the quorum.
      if (!tp || tp.topic === CLUSTER_METADATA_TOPIC) continue;
      const key = partitionDirName(tp.topic, tp.partition);
      const existing = this.logs.get(key);
      if (existing) throw new Error(`Duplicate log directories for ${key}: ${existing.log.dir} and ${path}`);
      const log = Log.open({
        dir: path,
        topic: tp.topic,
        partition: tp.partition,
        config: this.configFor(tp.topic),
        clock: this.clock,
        timer: this.timer,
        logger: this.logger,
        recoveryPoint: recoveryPoints.get(key) ?? 0,
        logStartOffset: logStartOffsets.get(key) ?? 0,
        highWatermark: highWatermarks.get(key) ?? 0,
        hadCleanShutdown,
        recordTimestampSearch: this.options.recordTimestampSearch,
        filePool: this.files,
      });
      this.logs.set(key, { log, logDir: dir });
    }
    // From now on a crash must trigger recovery.
    fs.rmSync(marker, { force: true });
    fsyncDir(dir);
    this.logger.info(`Loaded ${this.logsIn(dir).length} logs from ${dir} (clean shutdown: ${hadCleanShutdown})`);
  }

  /** A missing or unreadable checkpoint means "nothing known": recovery starts from the beginning. */
  private readCheckpoint(dir: string, name: string): Map<string, number> {
    try {
      return new OffsetCheckpointFile(join(dir, name)).readMap();
    } catch (e) {
      this.logger.warn(`Ignoring ${join(dir, name)}: ${(e as Error).message}`);
      return new Map();
    }
  }

  /** The effective config of a topic's logs: Kafka defaults, broker defaults, topic overrides. */
  configFor(topic: string, overrides?: ConfigLayer): LogConfig {
    return logConfig(this.options.defaultLogConfig, this.options.topicConfig?.(topic), overrides);
  }

  getLog(topic: string, partition: number): Log | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.log;
  }

  /** The log of a partition, created empty in the least loaded log dir if it doesn't exist. */
  getOrCreateLog(topic: string, partition: number, overrides?: ConfigLayer): Log {
    const key = partitionDirName(topic, partition);
    const existing = this.logs.get(key);
    if (existing) return existing.log;
    const online = this.logDirs.filter((d) => !this.offlineDirs.has(d));
    if (online.length === 0) throw new Error("No online log dir to create a log in");
    const logDir = online.reduce((best, d) => (this.logsIn(d).length < this.logsIn(best).length ? d : best));
    const log = Log.open({
      dir: join(logDir, key),
      topic,
      partition,
      config: this.configFor(topic, overrides),
      clock: this.clock,
      timer: this.timer,
      logger: this.logger,
      recordTimestampSearch: this.options.recordTimestampSearch,
      filePool: this.files,
    });
    fsyncDir(logDir);
    this.logs.set(key, { log, logDir });
    this.logger.info(`Created log ${key} in ${logDir}`);
    return log;
  }

  /**
   * Removes a partition's log: closed and renamed to `topic-N.<uuid>-delete` at once (so a
   * restart won't load it), its files removed after file.delete.delay.ms.
   */
  deleteLog(topic: string, partition: number): boolean {
    const key = partitionDirName(topic, partition);
    const managed = this.logs.get(key);
    if (!managed) return false;
    const { log, logDir } = managed;
    this.logs.delete(key);
    this.logCleaner?.forgetLog(log, logDir);
    log.close();
    const target = join(logDir, deleteDirName(topic, partition, randomUUID()));
    fs.renameSync(log.dir, target);
    fsyncDir(logDir);
    log.markDirRenamed(target);
    this.scheduleDirRemoval(target, log.config["file.delete.delay.ms"]);
    this.writeCheckpoints(logDir);
    this.logger.info(`Deleted log ${key}; its files go in ${target}`);
    return true;
  }

  private scheduleDirRemoval(path: string, delayMs = this.configFor("")["file.delete.delay.ms"]): void {
    scheduleOnce(
      this.timer,
      delayMs,
      () => {
        fs.promises.rm(path, { recursive: true, force: true }).catch((e: Error) => this.logger.error(`Cannot remove ${path}: ${e.message}`));
      },
      (e) => this.logger.error(`Cannot remove ${path}: ${(e as Error).message}`),
    );
  }

  allLogs(): Log[] {
    return [...this.logs.values()].map((m) => m.log);
  }

  logDirOf(topic: string, partition: number): string | undefined {
    return this.logs.get(partitionDirName(topic, partition))?.logDir;
  }

  private logsIn(dir: string): Log[] {
    const out: Log[] = [];
    for (const m of this.logs.values()) if (m.logDir === dir) out.push(m.log);
    return out;
  }

  /** DescribeLogDirs: per dir, its error, disk space and each partition's size. */
  describeLogDirs(): LogDirDescription[] {
    return this.logDirs.map((dir) => {
      if (this.offlineDirs.has(dir)) {
        return { logDir: dir, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, totalBytes: -1, usableBytes: -1, partitions: [] };
      }
      let totalBytes = -1;
      let usableBytes = -1;
      try {
        const s = fs.statfsSync(dir);
        totalBytes = s.blocks * s.bsize;
        usableBytes = s.bavail * s.bsize;
      } catch {
        // Space unknown; sizes are still useful.
      }
      const partitions = this.logsIn(dir).map((log) => ({
        topic: log.topic,
        partition: log.partition,
        sizeInBytes: log.size,
        offsetLag: 0,
        isFutureKey: false,
      }));
      return { logDir: dir, errorCode: ErrorCode.NONE, totalBytes, usableBytes, partitions };
    });
  }

  // ---- background work ----

  /** Retention for every log; returns the number of segments deleted. */
  cleanupLogs(now = this.clock.now()): number {
    let deleted = 0;
    for (const log of this.usableLogs()) {
      try {
        deleted += log.deleteOldSegments(now);
      } catch (e) {
        this.logger.error(`Retention of ${log.name} failed: ${(e as Error).message}`);
      }
    }
    return deleted;
  }

  /** fsyncs logs whose last flush is older than their flush.ms. */
  flushDirtyLogs(now = this.clock.now()): void {
    for (const log of this.usableLogs()) {
      try {
        if (log.timeSinceLastFlush(now) >= log.config["flush.ms"]) log.flush();
      } catch (e) {
        this.logger.error(`Flush of ${log.name} failed: ${(e as Error).message}`);
      }
    }
  }

  checkpointRecoveryPoints(): void {
    this.checkpoint(RECOVERY_POINT_CHECKPOINT, (log) => log.recoveryPoint);
  }

  checkpointLogStartOffsets(): void {
    this.checkpoint(LOG_START_OFFSET_CHECKPOINT, (log) => log.logStartOffset);
  }

  checkpointHighWatermarks(): void {
    this.checkpoint(REPLICATION_OFFSET_CHECKPOINT, (log) => log.highWatermark);
  }

  private writeCheckpoints(dir?: string): void {
    this.checkpoint(RECOVERY_POINT_CHECKPOINT, (log) => log.recoveryPoint, dir);
    this.checkpoint(LOG_START_OFFSET_CHECKPOINT, (log) => log.logStartOffset, dir);
    this.checkpoint(REPLICATION_OFFSET_CHECKPOINT, (log) => log.highWatermark, dir);
  }

  private checkpoint(name: string, offsetOf: (log: Log) => number, onlyDir?: string): void {
    for (const dir of this.logDirs) {
      if (this.offlineDirs.has(dir) || (onlyDir !== undefined && dir !== onlyDir)) continue;
      const entries: TopicPartitionOffset[] = this.logsIn(dir)
        .filter((log) => !log.isOffline && !log.isClosed)
        .map((log) => ({ topic: log.topic, partition: log.partition, offset: offsetOf(log) }));
      try {
        new OffsetCheckpointFile(join(dir, name)).write(entries);
      } catch (e) {
        this.markDirOffline(dir, e);
      }
    }
  }

  private usableLogs(): Log[] {
    return this.allLogs().filter((l) => !l.isOffline && !l.isClosed);
  }

  private markDirOffline(dir: string, e: unknown): void {
    const why = (e as Error).message;
    this.offlineDirs.set(dir, why);
    this.logger.error(`Log dir ${dir} is offline: ${why}`);
    for (const log of this.logsIn(dir)) log.close();
  }

  /**
   * Clean shutdown: stop background work, fsync every log, write the checkpoints (recovery
   * points are then the log ends), close, and leave the marker that lets the next startup
   * skip recovery — only in dirs whose logs all flushed.
   */
  shutdown(brokerEpoch = -1): void {
    this.logCleaner?.shutdown();
    for (const cancel of this.tasks) cancel();
    this.tasks = [];
    const failedDirs = new Set<string>();
    for (const [key, { log, logDir }] of this.logs) {
      try {
        if (!log.isOffline && !log.isClosed) log.flush();
        else failedDirs.add(logDir);
      } catch (e) {
        failedDirs.add(logDir);
        this.logger.error(`Flush of ${key} at shutdown failed: ${(e as Error).message}`);
      }
    }
    this.writeCheckpoints();
    for (const { log } of this.logs.values()) log.close();
    // Closing the logs closed their files; nothing else may be left open.
    this.files.closeAll();
    for (const dir of this.logDirs) {
      if (this.offlineDirs.has(dir) || failedDirs.has(dir)) continue;
      try {
        fs.writeFileSync(join(dir, CLEAN_SHUTDOWN_FILE), JSON.stringify({ version: 0, brokerEpoch }));
        fsyncDir(dir);
      } catch (e) {
        this.logger.error(`Cannot write the clean shutdown marker in ${dir}: ${(e as Error).message}`);
      }
    }
    this.logs.clear();
  }
}
