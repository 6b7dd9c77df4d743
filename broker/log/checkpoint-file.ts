import * as fs from "node:fs";
import { dirname } from "node:path";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { fsyncDir, writeFully } from "./io.ts";
import { TMP_SUFFIX } from "./log-files.ts";

/** How one entry of a checkpoint file is written and parsed (undefined = malformed). */
export interface CheckpointFormat<T> {
  toLine(entry: T): string;
  fromLine(line: string): T | undefined;
}

/**
 * Kafka's checkpoint file layout: line 1 the format version, line 2 the entry count, then
 * one entry per line. Writes are atomic — write a temp file, fsync, rename over the old
 * one, fsync the directory — so a crash leaves either the old or the new checkpoint.
 */
export class CheckpointFile<T> {
  constructor(
    readonly path: string,
    private readonly version: number,
    private readonly format: CheckpointFormat<T>,
  ) {}

  write(entries: readonly T[]): void {
    const lines = [String(this.version), String(entries.length), ...entries.map((e) => this.format.toLine(e))];
    const bytes = Buffer.from(lines.join("\n") + "\n", "utf8");
    const tmp = this.path + TMP_SUFFIX;
    const fd = fs.openSync(tmp, "w", 0o644);
    try {
      writeFully(fd, bytes, 0, bytes.length, 0);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.path);
    fsyncDir(dirname(this.path));
  }

  /** The entries, or [] when the file doesn't exist. Throws KAFKA_STORAGE_ERROR if malformed. */
  read(): T[] {
    let text: string;
    try {
      text = fs.readFileSync(this.path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `cannot read checkpoint ${this.path}: ${(e as Error).message}`);
    }
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    const bad = (why: string): never => {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `malformed checkpoint ${this.path}: ${why}`);
    };
    if (lines[0] !== String(this.version)) bad(`unrecognized version ${lines[0]}`);
    const count = Number(lines[1]);
    if (lines[1] === undefined || !/^\d+$/.test(lines[1]) || lines.length - 2 !== count) {
      bad(`expected ${lines[1]} entries, found ${lines.length - 2}`);
    }
    return lines.slice(2).map((line) => this.format.fromLine(line) ?? bad(`malformed line "${line}"`));
  }
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

const offsetFormat: CheckpointFormat<TopicPartitionOffset> = {
  toLine: (e) => `${e.topic} ${e.partition} ${e.offset}`,
  fromLine(line) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 3 || !parts[0] || !/^\d+$/.test(parts[1]!) || !/^-?\d+$/.test(parts[2]!)) return undefined;
    return { topic: parts[0], partition: Number(parts[1]), offset: Number(parts[2]) };
  },
};

/**
 * recovery-point-offset-checkpoint, log-start-offset-checkpoint and
 * replication-offset-checkpoint: `topic partition offset` lines, version 0.
 */
export class OffsetCheckpointFile extends CheckpointFile<TopicPartitionOffset> {
  constructor(path: string) {
    super(path, 0, offsetFormat);
  }

  /** Offsets keyed by `topic-partition`. */
  readMap(): Map<string, number> {
    return new Map(this.read().map((e) => [`${e.topic}-${e.partition}`, e.offset]));
  }
}
