import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKey } from "../protocol/generated/apis.ts";
import { decodeRequestHeader, encodeResponse } from "../protocol/headers.ts";
import { Reader } from "../protocol/primitives/reader.ts";
import { WireConnection } from "./kafka-connection.ts";

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A broker stand-in answering ApiVersions v0 with `apiKeys` entries, its response bytes sent by `deliver`. */
async function fakeBroker(apiKeys: number, deliver: (socket: Socket, frame: Buffer) => Promise<void>): Promise<string> {
  server = createServer((socket) => {
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const h = decodeRequestHeader(new Reader(frame));
        const response = encodeResponse(ApiKey.ApiVersions, 0, h.correlationId, {
          errorCode: 0,
          apiKeys: Array.from({ length: apiKeys }, (_, i) => ({ apiKey: i % 32_000, minVersion: 0, maxVersion: 3 })),
          throttleTimeMs: 0,
          supportedFeatures: [],
          finalizedFeaturesEpoch: -1n,
          finalizedFeatures: [],
          zkMigrationReady: false,
        });
        void deliver(socket, response);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("no address");
  return `127.0.0.1:${addr.port}`;
}

const pause = () => new Promise<void>((r) => setTimeout(r, 1));

describe("WireConnection framing", () => {
  it("decodes a large response that arrives in many small reads", async () => {
    // ~600 KB of ApiVersions entries, written in 7-byte pieces (the size prefix split too).
    const address = await fakeBroker(100_000, async (socket, frame) => {
      for (let at = 0; at < frame.length; at += at < 64 ? 7 : 65_536) {
        socket.write(frame.subarray(at, Math.min(frame.length, at + (at < 64 ? 7 : 65_536))));
        await pause();
      }
    });
    const conn = await WireConnection.open(address, { timeoutMs: 10_000 });
    try {
      const r = await conn.request(ApiKey.ApiVersions, 0, {});
      expect(r.apiKeys).toHaveLength(100_000);
      expect(r.apiKeys.at(-1)).toEqual({ apiKey: 99_999 % 32_000, minVersion: 0, maxVersion: 3 });
    } finally {
      conn.close();
    }
  });

  it("decodes several responses that arrive in one read", async () => {
    let held: Buffer[] = [];
    let socketOf: Socket | undefined;
    const address = await fakeBroker(3, async (socket, frame) => {
      // The handshake goes at once; later responses are held and sent together.
      if (!socketOf) {
        socketOf = socket;
        socket.write(frame);
        return;
      }
      held.push(frame);
      if (held.length === 3) {
        socket.write(Buffer.concat(held));
        held = [];
      }
    });
    const conn = await WireConnection.open(address, { timeoutMs: 10_000 });
    try {
      const all = await Promise.all([0, 1, 2].map(() => conn.request(ApiKey.ApiVersions, 0, {})));
      expect(all.map((r) => r.apiKeys.length)).toEqual([3, 3, 3]);
    } finally {
      conn.close();
    }
  });
});
