import { createServer, type Server } from "node:net";
import type { Logger } from "../util/logger.ts";
import { Connection, type RequestHandler } from "./connection.ts";

export interface SocketServerOptions {
  maxRequestBytes: number;
  maxConnections: number;
  idleTimeoutMs: number;
}

/** Accepts client connections on one listener and hands their frames to the request layer. */
export class SocketServer {
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    readonly listenerName: string,
    private readonly handler: RequestHandler,
    private readonly options: SocketServerOptions,
    private readonly log: Logger,
  ) {}

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    const server = createServer((socket) => {
      if (this.connections.size >= this.options.maxConnections) {
        this.log.warn({ listener: this.listenerName }, "max.connections reached, refusing connection");
        socket.destroy();
        return;
      }
      if (this.options.idleTimeoutMs > 0) socket.setTimeout(this.options.idleTimeoutMs, () => conn.close("idle"));
      const conn = new Connection(this.nextId++, this.listenerName, socket, this.handler, this.options.maxRequestBytes, this.log, (c) =>
        this.connections.delete(c),
      );
      this.connections.add(conn);
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: host === "" ? undefined : host, port }, () => {
        server.off("error", reject);
        const addr = server.address();
        resolve(typeof addr === "object" && addr ? addr.port : port);
      });
    });
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
