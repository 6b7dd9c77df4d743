import { connect, type Socket } from "node:net";

/**
 * A raw TCP connection to a broker that speaks Kafka framing (int32 size + payload) by hand,
 * for tests that send malformed or unusual requests.
 */
export class RawConn {
  private buf = Buffer.alloc(0);
  private readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  /** Every byte received, for assertions that nothing came back. */
  received = 0;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.received += d.length;
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        this.frames.push(this.buf.subarray(4, 4 + size));
        this.buf = this.buf.subarray(4 + size);
      }
      this.wake();
    });
    socket.on("error", () => {}); // ECONNRESET etc. count as closed
    this.closedPromise = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(host: string, port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      socket.once("connect", () => resolve(new RawConn(socket)));
      socket.once("error", reject);
    });
  }

  static openBootstrap(bootstrap: string): Promise<RawConn> {
    const [host, port] = bootstrap.split(":");
    return RawConn.open(host!, Number(port));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed || this.socket.destroyed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  /** Sends one request frame (size prefix added). */
  send(payload: Buffer): Promise<void> {
    return this.write(frame(payload));
  }

  /** The next response frame (without its size prefix); rejects on close or timeout. */
  async next(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.closed) throw new Error("connection closed before a response arrived");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves true if the peer closed the connection within the timeout. */
  async waitClosed(timeoutMs = 5_000): Promise<boolean> {
    if (this.closed) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const r = await Promise.race([this.closedPromise.then(() => true), timedOut]);
    clearTimeout(timer);
    return r;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

/** A little big-endian writer for hand-built requests. */
export class W {
  private parts: Buffer[] = [];
  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v);
    this.parts.push(b);
    return this;
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  /** int16-length string; null → -1. */
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, "utf8");
    this.int16(b.length);
    this.parts.push(b);
    return this;
  }
  compactString(s: string): this {
    const b = Buffer.from(s, "utf8");
    this.uvarint(b.length + 1);
    this.parts.push(b);
    return this;
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Request header v1 (non-flexible) or v2 (flexible: + empty tagged fields). */
export function header(apiKey: number, apiVersion: number, correlationId: number, flexible: boolean, clientId = "raw-test"): W {
  const w = new W().int16(apiKey).int16(apiVersion).int32(correlationId).string(clientId);
  if (flexible) w.uvarint(0);
  return w;
}

/** A big-endian reader for hand-decoding responses. */
export class R {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  int8(): number {
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uvarint(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf[this.pos++]!;
      v |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v >>> 0;
      shift += 7;
    }
  }
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  skipTags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.pos += this.uvarint();
    }
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

export interface ApiRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsAnswer {
  correlationId: number;
  errorCode: number;
  apis: ApiRange[];
  throttleTimeMs?: number;
}

/** Decodes an ApiVersions response frame (header v0 for every version). */
export function decodeApiVersionsResponse(frameBody: Buffer, version: number): ApiVersionsAnswer {
  const r = new R(frameBody);
  const correlationId = r.int32();
  const errorCode = r.int16();
  const apis: ApiRange[] = [];
  const flexible = version >= 3;
  const n = flexible ? r.uvarint() - 1 : r.int32();
  for (let i = 0; i < n; i++) {
    apis.push({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() });
    if (flexible) r.skipTags();
  }
  const throttleTimeMs = version >= 1 && r.remaining >= 4 ? r.int32() : undefined;
  return { correlationId, errorCode, apis, throttleTimeMs };
}

/** ApiVersions request payload (header + body) for a version (v3+ carries client software name/version). */
export function apiVersionsRequest(version: number, correlationId: number): Buffer {
  const flexible = version >= 3;
  const w = header(18, version, correlationId, flexible);
  if (flexible) w.compactString("samsa-raw-test").compactString("1.0.0").uvarint(0);
  return w.build();
}
