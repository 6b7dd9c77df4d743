import { connect, type Socket } from "node:net";
import { requestHeaderVersion, responseHeaderVersion } from "../../broker/protocol/headers.ts";
import { APIS, type ApiKeyValue, type ApiRequest, type ApiResponse } from "../../broker/protocol/generated/apis.ts";
import { encodeRequestHeader } from "../../broker/protocol/generated/message/RequestHeader.ts";
import { decodeResponseHeader } from "../../broker/protocol/generated/message/ResponseHeader.ts";
import { Reader } from "../../broker/protocol/primitives/reader.ts";
import { Writer } from "../../broker/protocol/primitives/writer.ts";

interface Pending {
  apiKey: ApiKeyValue;
  version: number;
  resolve: (body: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * A minimal Kafka client over node:net built from the generated codec: typed requests,
 * pipelined (several in flight, matched by correlation id), for tests and benchmarks that
 * need APIs or timings the real clients do not give (OffsetDelete, raw JoinGroup/SyncGroup).
 */
export class WireClient {
  private buf: Buffer = Buffer.alloc(0);
  private nextCorrelation = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    readonly clientId: string,
  ) {
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("error", () => {});
    socket.once("close", () => {
      this.closedError = new Error("connection closed");
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
    });
  }

  static connect(bootstrap: string, clientId = "samsa-wire-test"): Promise<WireClient> {
    const [host, port] = bootstrap.split(":");
    return new Promise((resolve, reject) => {
      const socket = connect({ host: host!, port: Number(port) });
      socket.setNoDelay(true);
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(new WireClient(socket, clientId));
      });
      socket.once("error", reject);
    });
  }

  /** Sends one request and resolves with its decoded response body. */
  request<K extends ApiKeyValue>(apiKey: K, version: number, body: Partial<ApiRequest<K>>): Promise<ApiResponse<K>> {
    if (this.closedError) return Promise.reject(this.closedError);
    const api = APIS[apiKey];
    const correlationId = this.nextCorrelation++;
    const w = new Writer(256);
    let frame: Buffer;
    try {
      const at = w.reserveInt32();
      encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId }, requestHeaderVersion(apiKey, version));
      api.request.encode(w, { ...api.request.defaults(), ...body } as ApiRequest<K>, version);
      w.patchInt32(at, w.offset - 4);
      frame = w.finish();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return new Promise<ApiResponse<K>>((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, version, resolve: resolve as (b: unknown) => void, reject });
      this.socket.write(frame);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) break;
      const frame = this.buf.subarray(4, 4 + size);
      this.buf = this.buf.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      try {
        const r = new Reader(frame);
        decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
        p.resolve(APIS[p.apiKey].response.decode(r, p.version));
      } catch (e) {
        p.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The versions a broker advertises (ApiVersions v0), by API key. */
export async function advertisedVersions(client: WireClient): Promise<Map<number, { min: number; max: number }>> {
  const r = await client.request(18, 0, {});
  return new Map(r.apiKeys.map((a) => [a.apiKey, { min: a.minVersion, max: a.maxVersion }]));
}
