import { createServer } from "node:net";

/** A free TCP port on loopback (the OS picks it; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

// Below Linux's ephemeral range (32768+), so no outgoing connection takes one of these ports
// between the check and the cluster binding it.
const LOW_PORTS = { from: 20_000, to: 32_000 };

/**
 * Broker ports for `samsa cluster --nodes n` as it lays them out (3 apart, the controller
 * listener at first + 1), all free.
 */
export async function clusterPorts(n: number): Promise<number[]> {
  for (;;) {
    const first = LOW_PORTS.from + Math.floor(Math.random() * (LOW_PORTS.to - LOW_PORTS.from - 3 * n));
    const brokers = Array.from({ length: n }, (_, i) => first + 3 * i);
    // Each node's port and the one after it (a voter's CONTROLLER listener).
    if ((await Promise.all(brokers.flatMap((p) => [p, p + 1]).map(isFree))).every(Boolean)) return brokers;
  }
}
