import type { Socket } from "node:net";
import type { Logger } from "../util/logger.ts";

/**
 * A full response frame (size prefix included): one buffer, or buffers to send in order
 * (a fetch response's records as read from the log, not copied).
 */
export type ResponseFrame = Buffer | readonly Buffer[];

/** What the network layer needs from the request layer. */
export interface RequestHandler {
  /**
   * Handles one request frame (without its 4-byte size prefix). Resolves with the response
   * frame or null when no response is sent (acks=0). The frame's buffers must stay unchanged
   * until written. Throwing a CloseConnection closes this connection; other errors are
   * logged and close it.
   */
  handle(frame: Buffer, conn: ConnectionInfo): Promise<ResponseFrame | null>;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listener: string;
}

/** Thrown by a handler for input Kafka answers by closing the connection. */
export class CloseConnection extends Error {
  override readonly name = "CloseConnection";
}

const EMPTY = Buffer.alloc(0);

/** Pause reading when this much response data waits in the socket's buffer. */
const WRITE_HIGH_WATER = 8 * 1024 * 1024;

/**
 * One client connection: size-prefixed framing, requests handled one at a time in arrival
 * order (as Kafka mutes a channel while a request is in flight), so responses leave in
 * request order and a produce is visible to a fetch pipelined behind it.
 */
export class Connection implements ConnectionInfo {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private queue: Buffer[] = [];
  private processing = false;
  private closed = false;
  readonly remoteAddress: string;

  constructor(
    readonly id: number,
    readonly listener: string,
    private readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly maxRequestBytes: number,
    private readonly log: Logger,
    private readonly onClose: (conn: Connection) => void,
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    socket.setNoDelay(true);
    socket.on("data", (data) => this.onData(data));
    socket.on("error", (err) => this.log.debug({ conn: this.id, err: err.message }, "socket error"));
    socket.on("close", () => this.finish());
    socket.on("drain", () => this.pump());
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    this.extractFrames();
    this.pump();
  }

  private extractFrames(): void {
    while (!this.closed && this.buffered >= 4) {
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      if (size < 0 || size > this.maxRequestBytes) {
        // Kafka's InvalidReceiveException: the stream cannot be resynchronised.
        this.close(`invalid request size ${size} (socket.request.max.bytes=${this.maxRequestBytes})`);
        return;
      }
      if (this.buffered < 4 + size) return;
      this.take(4);
      this.queue.push(this.take(size));
    }
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.peek(n);
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }

  private pump(): void {
    if (this.processing || this.closed) return;
    if (this.socket.writableLength > WRITE_HIGH_WATER) return; // resumed on 'drain'
    const frame = this.queue.shift();
    if (!frame) return;
    this.processing = true;
    this.handler.handle(frame, this).then(
      (response) => {
        this.processing = false;
        if (response && !this.closed) this.send(response);
        this.pump();
      },
      (err: unknown) => {
        this.processing = false;
        const reason = err instanceof Error ? err.message : String(err);
        if (err instanceof CloseConnection) this.close(reason);
        else {
          this.log.error({ conn: this.id, err }, "request failed");
          this.close(`internal error: ${reason}`);
        }
      },
    );
  }

  /** Writes a frame's buffers as one writev (corked), so its records are not copied. */
  private send(response: ResponseFrame): void {
    if (Buffer.isBuffer(response)) {
      this.socket.write(response);
      return;
    }
    this.socket.cork();
    for (const chunk of response) this.socket.write(chunk);
    this.socket.uncork();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.log.warn({ conn: this.id, remote: this.remoteAddress, reason }, "closing connection");
    this.closed = true;
    this.queue = [];
    this.socket.end();
    this.socket.destroySoon();
  }

  private finish(): void {
    this.closed = true;
    this.queue = [];
    this.onClose(this);
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
