import * as fs from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { OffsetCheckpointFile } from "./checkpoint-file.ts";
import { makeTmpDir, removeDir } from "./test-support.ts";

let dir: string;
beforeEach(() => {
  dir = makeTmpDir();
});
afterEach(() => removeDir(dir));

describe("OffsetCheckpointFile", () => {
  it("writes Kafka's text format and reads it back", () => {
    const file = new OffsetCheckpointFile(join(dir, "recovery-point-offset-checkpoint"));
    file.write([
      { topic: "orders", partition: 0, offset: 42 },
      { topic: "my-topic.v2", partition: 11, offset: 9007199254740991 },
    ]);
    expect(fs.readFileSync(file.path, "utf8")).toBe("0\n2\norders 0 42\nmy-topic.v2 11 9007199254740991\n");
    expect(file.readMap()).toEqual(
      new Map([
        ["orders-0", 42],
        ["my-topic.v2-11", 9007199254740991],
      ]),
    );
  });

  it("reads a missing file as empty and rejects malformed ones", () => {
    const file = new OffsetCheckpointFile(join(dir, "cp"));
    expect(file.read()).toEqual([]);
    for (const text of ["1\n0\n", "0\n2\na 0 1\n", "0\n1\na x 1\n", "0\n1\na 0\n", "garbage"]) {
      fs.writeFileSync(file.path, text);
      expect(() => file.read()).toThrow(KafkaError);
      try {
        file.read();
      } catch (e) {
        expect(KafkaError.is(e, ErrorCode.KAFKA_STORAGE_ERROR)).toBe(true);
      }
    }
  });

  it("replaces the file atomically: no temp file remains, a torn temp file never shows", () => {
    const file = new OffsetCheckpointFile(join(dir, "cp"));
    file.write([{ topic: "a", partition: 0, offset: 1 }]);
    expect(fs.readdirSync(dir)).toEqual(["cp"]);
    // A crash mid-write leaves only a partial temp file; readers still see the old checkpoint.
    fs.writeFileSync(file.path + ".tmp", "0\n3\na 0");
    expect(file.readMap().get("a-0")).toBe(1);
    file.write([{ topic: "a", partition: 0, offset: 2 }]);
    expect(fs.readdirSync(dir)).toEqual(["cp"]);
    expect(file.readMap().get("a-0")).toBe(2);
  });
});
