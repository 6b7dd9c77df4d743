// Parsers for what Apache Kafka's command-line tools print (kafka-topics, kafka-configs,
// kafka-consumer-groups), so tests assert on fields rather than on raw text.
import { describeRun, type RunResult } from "./run.ts";

/** `Key: value` pairs of one tab-separated line of `kafka-topics --describe`. */
function tabFields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of line.split("\t")) {
    const m = /^\s*([A-Za-z]+):\s?(.*)$/.exec(part);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

export interface TopicDescription {
  topic: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  configs: Record<string, string>;
  partitions: { partition: number; leader: string; replicas: string; isr: string; elr: string; lastKnownElr: string }[];
}

/** Parses `kafka-topics --describe` output: one summary line per topic, then its partitions. */
export function parseTopicDescribe(stdout: string): TopicDescription[] {
  const topics: TopicDescription[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    const f = tabFields(line);
    if (f.PartitionCount !== undefined) {
      const configs: Record<string, string> = {};
      for (const kv of (f.Configs ?? "").split(",").filter((s) => s !== "")) {
        const i = kv.indexOf("=");
        configs[kv.slice(0, i)] = kv.slice(i + 1);
      }
      topics.push({
        topic: f.Topic!,
        topicId: f.TopicId!,
        partitionCount: Number(f.PartitionCount),
        replicationFactor: Number(f.ReplicationFactor),
        configs,
        partitions: [],
      });
    } else if (f.Partition !== undefined) {
      const t = topics.find((x) => x.topic === f.Topic);
      if (!t) throw new Error(`partition line before its topic: ${line}`);
      t.partitions.push({
        partition: Number(f.Partition),
        leader: f.Leader!,
        replicas: f.Replicas!,
        isr: f.Isr!,
        elr: f.Elr ?? "",
        lastKnownElr: f.LastKnownElr ?? "",
      });
    }
  }
  return topics;
}

export interface ConfigLine {
  value: string;
  sensitive: boolean;
  /** "SOURCE:name=value" as printed, highest precedence first. */
  synonyms: string[];
}

/** Parses `kafka-configs --describe`: the heading, then `  name=value sensitive=.. synonyms={..}` lines. */
export function parseConfigDescribe(stdout: string): { heading: string; configs: Record<string, ConfigLine> } {
  const lines = stdout.split("\n");
  const heading = lines.find((l) => l.trim() !== "")?.trim() ?? "";
  const configs: Record<string, ConfigLine> = {};
  for (const line of lines) {
    const m = /^ {2}([^=\s]+)=(.*) sensitive=(true|false) synonyms=\{(.*)\}$/.exec(line);
    if (!m) continue;
    configs[m[1]!] = { value: m[2]!, sensitive: m[3] === "true", synonyms: m[4] === "" ? [] : m[4]!.split(", ") };
  }
  return { heading, configs };
}

/**
 * Parses a whitespace-aligned table (kafka-consumer-groups): the header line that starts with
 * `firstColumn`, then rows until a blank line. Values must not contain spaces.
 */
export function parseTable(stdout: string, firstColumn: string): Record<string, string>[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.trim().split(/\s+/)[0] === firstColumn);
  if (start < 0) throw new Error(`no table with column ${firstColumn} in:\n${stdout}`);
  const header = lines[start]!.trim().split(/\s+/);
  const rows: Record<string, string>[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") break;
    const cells = line.trim().split(/\s+/);
    rows.push(Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
  }
  return rows;
}

/**
 * `kafka-consumer-groups --reset-offsets` prints its GROUP TOPIC PARTITION NEW-OFFSET rows
 * without line breaks between them: the cells after the header, four at a time.
 */
export function parseResetOffsets(stdout: string): { group: string; topic: string; partition: number; offset: number }[] {
  const at = stdout.indexOf("NEW-OFFSET");
  if (at < 0) throw new Error(`no reset-offsets table in:\n${stdout}`);
  const cells = stdout.slice(at + "NEW-OFFSET".length).trim().split(/\s+/).filter((s) => s !== "");
  const rows = [];
  for (let i = 0; i + 3 < cells.length; i += 4) {
    rows.push({ group: cells[i]!, topic: cells[i + 1]!, partition: Number(cells[i + 2]), offset: Number(cells[i + 3]) });
  }
  return rows.sort((a, b) => a.partition - b.partition);
}

/**
 * Whether a tool failed because the broker does not serve an API: the admin client's
 * UnsupportedVersionException, "The node does not support ELECT_LEADERS".
 */
export function unsupported(r: RunResult, api: string): boolean {
  return r.code !== 0 && `${r.stdout}\n${r.stderr}`.includes(`The node does not support ${api}`);
}

/** stdout and stderr for an assertion message. */
export const shown = describeRun;
