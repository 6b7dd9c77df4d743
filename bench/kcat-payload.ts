import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * A file of `records` lines of `size` bytes each (newline included) for `kcat -P`, which
 * makes one record of each line: written in ~1 MiB chunks so large runs cost little memory.
 */
export function kcatPayloadFile(dir: string, size: number, records: number): string {
  const line = Buffer.from(Buffer.alloc(size - 1, "x").toString() + "\n");
  const file = join(dir, `records-${size}.txt`);
  const fd = openSync(file, "w");
  const chunkLines = Math.max(1, Math.floor((1 << 20) / size));
  const chunk = Buffer.concat(Array.from({ length: chunkLines }, () => line));
  for (let written = 0; written < records; written += chunkLines) writeSync(fd, chunk, 0, Math.min(chunkLines, records - written) * size);
  closeSync(fd);
  return file;
}
