import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualTime, makeTmpDir, openTestLog, removeDir } from "../log/test-support.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { encodeRecordBatch } from "../protocol/records/record-batch.ts";
import { Partition } from "./partition.ts";
import { TEST_PARTITION_SETTINGS } from "./test-support.ts";

const batch = (n: number) =>
  encodeRecordBatch({ baseTimestamp: 1_000_000n, records: Array.from({ length: n }, (_, i) => ({ offsetDelta: i, timestampDelta: 0, key: null, value: Buffer.from(`v${i}`), headers: [] })) });

describe("a leader whose high watermark lags the start of its epoch (Kafka's OFFSET_NOT_AVAILABLE for ListOffsets)", () => {
  let dir: string;
  let p: Partition;

  beforeEach(() => {
    dir = makeTmpDir("samsa-partition-lagging-hw-");
    const time = new ManualTime();
    p = new Partition("t", 0, "AAAAAAAAAAAAAAAAAAAAAQ", openTestLog(dir, time), TEST_PARTITION_SETTINGS, 0, time);
  });
  afterEach(() => {
    p.log.close();
    removeDir(dir);
  });

  it("answers OFFSET_NOT_AVAILABLE from a new epoch's election until the high watermark reaches the epoch start", () => {
    p.makeLeader(1, 1, [0, 1], [0, 1]);
    expect(p.laggingHighWatermarkError()).toBeUndefined(); // epoch 1 starts at 0, the high watermark
    p.appendRecordsToLeader(batch(3), 1);
    expect(p.highWatermark).toBe(0); // follower 1 has not fetched yet
    expect(p.laggingHighWatermarkError()).toBeUndefined(); // epoch 1 still starts at 0

    p.makeLeader(2, 2, [0, 1], [0, 1]); // re-elected: epoch 2 starts at the log end, 3
    expect(p.laggingHighWatermarkError()?.code).toBe(ErrorCode.OFFSET_NOT_AVAILABLE);
    expect(p.laggingHighWatermarkError()?.message).toMatch(/high watermark \(0\) is lagging behind the start offset from the beginning of this epoch \(3\)/);

    p.fetchFromFollower(1, 3, 0, 1 << 20, true, -1);
    expect(p.highWatermark).toBe(3);
    expect(p.laggingHighWatermarkError()).toBeUndefined();
  });

  it("is never said by a replica that does not lead", () => {
    p.makeLeader(1, 1, [0, 1], [0, 1]);
    p.appendRecordsToLeader(batch(3), 1);
    p.makeLeader(2, 2, [0, 1], [0, 1]);
    p.resign(1, 3, 3);
    expect(p.laggingHighWatermarkError()).toBeUndefined();
  });
});
