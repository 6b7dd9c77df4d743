import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKey } from "../protocol/generated/apis.ts";
import { defaultFetchResponse, defaultFetchResponsePartitionData, type FetchResponse } from "../protocol/generated/index.ts";
import { SPLICE_MIN_BYTES } from "../protocol/primitives/writer.ts";
import { RequestDispatcher } from "../server/request-dispatcher.ts";
import { WireConnection } from "./kafka-connection.ts";
import type { ResponseFrame } from "./connection.ts";
import { SocketServer } from "./socket-server.ts";

const TOPIC_ID = "ABEiM0RVZneImaq7zN3u_w";

/** A fetch answer with one partition per records buffer, the records as given. */
function fetchAnswer(records: Buffer[]): FetchResponse {
  return {
    ...defaultFetchResponse(),
    responses: [
      {
        topic: "t",
        topicId: TOPIC_ID,
        partitions: records.map((r, partitionIndex) => ({ ...defaultFetchResponsePartitionData(), partitionIndex, highWatermark: 10n, records: r })),
      },
    ],
  };
}

let server: SocketServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("socket server responses", () => {
  it("sends a fetch response's records buffers as they are, framed, in request order", async () => {
    const big: Buffer[] = [Buffer.alloc(SPLICE_MIN_BYTES * 64, 0xa1), Buffer.alloc(10, 0xb2), Buffer.alloc(SPLICE_MIN_BYTES * 2, 0xc3)];
    const frames: ResponseFrame[] = [];
    const dispatcher = new RequestDispatcher({
      [ApiKey.Fetch]: {
        minVersion: 4,
        maxVersion: 17,
        handle: async (req) => fetchAnswer(req.maxWaitMs === 1 ? big : [Buffer.alloc(0)]),
      },
      [ApiKey.ApiVersions]: {
        minVersion: 0,
        maxVersion: 4,
        handle: async () => ({ errorCode: 0, apiKeys: dispatcher.advertised.map((a) => ({ ...a })), throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false }),
      },
    });
    const recording = { handle: async (frame: Buffer, conn: Parameters<RequestDispatcher["handle"]>[1]) => {
      const out = await dispatcher.handle(frame, conn);
      if (out) frames.push(out);
      return out;
    } };
    server = new SocketServer("PLAINTEXT", recording, { maxRequestBytes: 1 << 20, maxConnections: 10, idleTimeoutMs: 60_000 }, pino({ level: "silent" }));
    const port = await server.listen("127.0.0.1", 0);
    const wire = await WireConnection.open(`127.0.0.1:${port}`);
    try {
      for (const version of [4, 12, 17]) {
        // A large response pipelined between small ones: each arrives whole and in order.
        const [before, large, after] = await Promise.all([1000, 1, 1000].map((maxWaitMs) => wire.request(ApiKey.Fetch, version, { maxWaitMs })));
        expect(before.responses[0]!.partitions[0]!.records?.length).toBe(0);
        expect(after.responses[0]!.partitions[0]!.records?.length).toBe(0);
        // (Buffer.equals: a deep toEqual of 256 KiB is slow.)
        expect(large.responses[0]!.partitions.map((p, i) => p.records !== null && p.records.equals(big[i]!))).toEqual([true, true, true]);
      }
    } finally {
      wire.close();
    }
    // The large records went to the socket as the handler's own buffers, not copies.
    const chunked = frames.filter((f): f is readonly Buffer[] => !Buffer.isBuffer(f) && f.length > 1);
    expect(chunked).toHaveLength(3);
    for (const f of chunked) expect(f.map((c) => big.indexOf(c)).filter((i) => i >= 0)).toEqual([0, 2]);
  });
});
