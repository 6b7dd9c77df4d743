import { connect, type Socket } from "node:net";
import { requestHeaderVersion, responseHeaderVersion } from "../protocol/headers.ts";
import { APIS, ApiKey, type ApiKeyValue, type ApiRequest, type ApiResponse } from "../protocol/generated/apis.ts";
import { encodeRequestHeader } from "../protocol/generated/message/RequestHeader.ts";
import { decodeResponseHeader } from "../protocol/generated/message/ResponseHeader.ts";
import { Reader } from "../protocol/primitives/reader.ts";
import { Writer } from "../protocol/primitives/writer.ts";

/**
 * An outbound Kafka connection built on the project's generated codec: one socket,
 * requests pipelined and matched by correlation id, versions negotiated with ApiVersions,
 * every request under a timeout. Brokers use it to reach the controller and each other;
 * the console uses it for the APIs kafkajs lacks or trims (Metadata with topic ids,
 * DescribeLogDirs, Fetch without a consumer group).
 */
export class WireConnection {
  /** Received bytes not yet taken as frames; joined only once a whole frame is here. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextCorrelation = 1;
  private readonly pending = new Map<number, { apiKey: ApiKeyValue; version: number; resolve: (b: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private closed: Error | null = null;
  /** Versions this broker serves, by API key. */
  private versions = new Map<number, { min: number; max: number }>();

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error(`connection to ${address} closed`)));
  }

  static async open(address: string, opts: { clientId?: string; timeoutMs?: number } = {}): Promise<WireConnection> {
    const { host, port } = parseAddress(address);
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`cannot connect to ${address}: timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        s.removeAllListeners("error");
        resolve(s);
      });
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${address}: ${e.message}`));
      });
    });
    socket.setNoDelay(true);
    const conn = new WireConnection(socket, address, opts.clientId ?? "samsa", timeoutMs);
    try {
      // v0 answers on every broker, whatever it supports.
      const av = await conn.request(ApiKey.ApiVersions, 0, {});
      if (av.errorCode !== 0) throw new Error(`ApiVersions failed with error ${av.errorCode}`);
      conn.versions = new Map(av.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  get isOpen(): boolean {
    return this.closed === null;
  }

  /** The highest version both sides speak, within [min, max] of the caller's choice. */
  version(apiKey: ApiKeyValue, min: number, max: number): number {
    const theirs = this.versions.get(apiKey);
    const top = Math.min(max, theirs?.max ?? -1, APIS[apiKey].maxVersion);
    if (!theirs || top < Math.max(min, theirs.min)) {
      throw new Error(`${this.address} does not serve ${APIS[apiKey].name} v${min}-${max}`);
    }
    return top;
  }

  request<K extends ApiKeyValue>(apiKey: K, version: number, body: Partial<ApiRequest<K>>): Promise<ApiResponse<K>> {
    if (this.closed) return Promise.reject(this.closed);
    const api = APIS[apiKey];
    const correlationId = this.nextCorrelation++;
    const w = new Writer(256);
    const at = w.reserveInt32();
    encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId }, requestHeaderVersion(apiKey, version));
    api.request.encode(w, { ...api.request.defaults(), ...body } as ApiRequest<K>, version);
    w.patchInt32(at, w.offset - 4);
    const frame = w.finish();
    return new Promise<ApiResponse<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`${api.name} to ${this.address} timed out after ${this.timeoutMs} ms`));
        // The response may still come; the stream stays in sync because it is matched by id.
      }, this.timeoutMs + ((body as { maxWaitMs?: number }).maxWaitMs ?? 0));
      this.pending.set(correlationId, { apiKey, version, resolve: resolve as (b: unknown) => void, reject, timer });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
    this.fail(new Error(`connection to ${this.address} closed`));
  }

  private fail(e: Error): void {
    if (!this.closed) this.closed = e;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  private onData(d: Buffer): void {
    // A large response (a follower's fetch of a MiB) arrives in many socket reads: joining
    // them as they come would copy it over and over, so it is joined once it is complete.
    this.chunks.push(d);
    this.buffered += d.length;
    while (this.buffered >= 4) {
      const head = this.chunks[0]!.length >= 4 ? this.chunks[0]! : this.joinChunks();
      const end = 4 + head.readInt32BE(0);
      if (this.buffered < end) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : this.joinChunks();
      const frame = all.subarray(4, end);
      this.chunks = all.length > end ? [all.subarray(end)] : [];
      this.buffered -= end;
      this.dispatch(frame);
    }
  }

  private joinChunks(): Buffer {
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }

  private dispatch(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return;
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, responseHeaderVersion(p.apiKey, p.version));
      p.resolve(APIS[p.apiKey].response.decode(r, p.version));
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

export function parseAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  if (at <= 0) throw new Error(`broker address must be host:port, got ${JSON.stringify(address)}`);
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(address.slice(at + 1)) };
}
