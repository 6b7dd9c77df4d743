import type { ApiKeyValue, ApiRequest, ApiResponse } from "../protocol/generated/apis.ts";
import { WireConnection } from "./kafka-connection.ts";

/**
 * A connection to one other node that reopens itself: the first request after a failure
 * dials again (Kafka's NodeToControllerChannelManager in miniature). Requests on one
 * channel are answered in order, so a long-polling fetch gets a channel of its own.
 */
export class NodeChannel {
  private conn: Promise<WireConnection> | null = null;
  private closed = false;

  constructor(
    /** Where to dial, resolved at each (re)connect: the target may move. */
    private readonly address: () => string,
    private readonly options: { clientId: string; timeoutMs: number },
  ) {}

  /** Sends one request at the highest version in [min, max] both sides speak. */
  async send<K extends ApiKeyValue>(apiKey: K, minVersion: number, maxVersion: number, body: Partial<ApiRequest<K>>): Promise<ApiResponse<K>> {
    const conn = await this.connection();
    try {
      return await conn.request(apiKey, conn.version(apiKey, minVersion, maxVersion), body);
    } catch (e) {
      // A timed-out or broken connection is not reused; the next request dials again.
      this.drop(conn);
      throw e;
    }
  }

  close(): void {
    this.closed = true;
    void this.conn?.then((c) => c.close(), () => undefined);
    this.conn = null;
  }

  private connection(): Promise<WireConnection> {
    if (this.closed) return Promise.reject(new Error("channel closed"));
    if (!this.conn) {
      const opening = WireConnection.open(this.address(), this.options);
      this.conn = opening;
      opening.then(
        (c) => {
          if (this.closed) c.close();
        },
        () => {
          if (this.conn === opening) this.conn = null;
        },
      );
    }
    return this.conn.then((c) => {
      if (c.isOpen) return c;
      this.conn = null;
      return this.connection();
    });
  }

  private drop(conn: WireConnection): void {
    conn.close();
    void this.conn?.then((c) => {
      if (c === conn) this.conn = null;
    });
  }
}
