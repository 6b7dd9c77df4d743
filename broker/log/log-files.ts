import { join } from "node:path";

/** Kafka's on-disk names: segment files by zero-padded base offset, partition dirs `topic-N`. */

export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIME_INDEX_SUFFIX = ".timeindex";
/** Files renamed for delayed deletion (file.delete.delay.ms). */
export const DELETED_SUFFIX = ".deleted";
/** A segment the cleaner is writing; dropped if a crash leaves it (cleaner-swap-recovery.ts). */
export const CLEANED_SUFFIX = ".cleaned";
/** A cleaned segment committed to replace old ones; recovery completes the swap. */
export const SWAP_SUFFIX = ".swap";
/** Per log dir: offset up to which each compacted log has been cleaned. */
export const CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint";
export const TMP_SUFFIX = ".tmp";
/** Partition dirs renamed by deleteLog before their asynchronous removal. */
export const DELETE_DIR_SUFFIX = "-delete";

export const LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
export const RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
export const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
export const REPLICATION_OFFSET_CHECKPOINT = "replication-offset-checkpoint";
export const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";

/** `%020d`: names sort lexically in offset order. */
export function filenamePrefix(offset: number): string {
  return String(offset).padStart(20, "0");
}

export function segmentPath(dir: string, baseOffset: number, suffix: string): string {
  return join(dir, filenamePrefix(baseOffset) + suffix);
}

/** Base offset of a segment file name (`00000000000000000042.log` → 42), or -1. */
export function offsetFromFilename(name: string): number {
  const digits = name.slice(0, name.indexOf("."));
  if (!/^\d{1,20}$/.test(digits)) return -1;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : -1;
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Topic and partition of a `topic-N` dir (topics may contain '-'), or undefined. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const dash = name.lastIndexOf("-");
  if (dash <= 0) return undefined;
  const topic = name.slice(0, dash);
  const digits = name.slice(dash + 1);
  if (!/^\d+$/.test(digits) || !/^[a-zA-Z0-9._-]+$/.test(topic)) return undefined;
  return { topic, partition: Number(digits) };
}

/** Kafka's name for a partition dir awaiting removal: `topic-N.<uuid without dashes>-delete`. */
export function deleteDirName(topic: string, partition: number, uuid: string): string {
  return `${partitionDirName(topic, partition)}.${uuid.replaceAll("-", "")}${DELETE_DIR_SUFFIX}`;
}
