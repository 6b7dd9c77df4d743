// What a broker keeps on disk for its replicas, read the way an operator would: a partition's
// log segments and the replication-offset-checkpoint file (Kafka's format, parsed strictly).
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** The bytes of a partition's `.log` segments in a broker's data dir, in offset order. */
export function partitionLogBytes(dataDir: string, topic: string, partition: number): Buffer {
  const dir = join(dataDir, "logs", `${topic}-${partition}`);
  const segments = readdirSync(dir).filter((f) => f.endsWith(".log")).sort();
  return Buffer.concat(segments.map((f) => readFileSync(join(dir, f))));
}

/**
 * The high watermarks in `<log dir>/replication-offset-checkpoint`, "topic-partition" → offset.
 * Kafka's layout: a version line (0), a line with the entry count, then one
 * `topic partition offset` line per entry. Anything else throws, naming what is wrong.
 */
export function readHighWatermarkCheckpoint(dataDir: string): Map<string, number> {
  const path = join(dataDir, "logs", "replication-offset-checkpoint");
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) !== "") throw new Error(`${path}: the last line has no newline: ${JSON.stringify(text)}`);
  lines.pop();
  const [version, count, ...entries] = lines;
  if (version !== "0") throw new Error(`${path}: version line is ${JSON.stringify(version)}, not "0"`);
  if (count === undefined || !/^\d+$/.test(count) || Number(count) !== entries.length) {
    throw new Error(`${path}: count line ${JSON.stringify(count)} for ${entries.length} entries`);
  }
  const out = new Map<string, number>();
  for (const line of entries) {
    const m = /^(\S+) (\d+) (\d+)$/.exec(line);
    if (!m) throw new Error(`${path}: malformed entry ${JSON.stringify(line)}`);
    out.set(`${m[1]}-${m[2]}`, Number(m[3]));
  }
  return out;
}
