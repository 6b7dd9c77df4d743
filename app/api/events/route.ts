import { currentUser } from "../../../server/auth/session.ts";
import type { ObservedEvent } from "../../../server/kafka/events.ts";
import { summarize } from "../../../server/kafka/summary.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const dynamic = "force-dynamic";

/**
 * The console's one Server-Sent Events stream: `change` events carry state changes (the
 * event id is the console's sequence number, so a reconnecting browser resumes after the last
 * one it saw while the ring still holds it), `summary` events the overview numbers after each
 * metadata snapshot. Every subscriber shares the cluster's one watcher.
 */
export async function GET(req: Request): Promise<Response> {
  const user = await currentUser().catch(() => null);
  if (!user) return new Response("sign in first\n", { status: 401 });
  const rt = await getRuntime();
  const url = new URL(req.url);
  const lastId = Number(req.headers.get("last-event-id") ?? url.searchParams.get("after") ?? NaN);
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const send = (chunk: string) => {
        if (!open) return;
        try {
          controller.enqueue(encoder.encode(chunk));
        } catch {
          cleanup();
        }
      };
      const sendEvents = (events: readonly ObservedEvent[]) => {
        if (events.length > 0) send(`id: ${events[events.length - 1]!.seq}\nevent: change\ndata: ${JSON.stringify(events)}\n\n`);
      };
      send(`retry: 3000\n\n`);
      sendEvents(Number.isFinite(lastId) ? rt.hub.since(lastId) : []);
      const last = rt.cluster.last;
      if (last) send(`event: summary\ndata: ${JSON.stringify(summarize(rt.config.clusterName, last, rt.watcher.mode))}\n\n`);
      const offEvents = rt.hub.subscribe(sendEvents);
      const offSnapshots = rt.cluster.onSnapshot((s) => send(`event: summary\ndata: ${JSON.stringify(summarize(rt.config.clusterName, s, rt.watcher.mode))}\n\n`));
      const heartbeat = setInterval(() => send(`: keep-alive\n\n`), 15_000);
      cleanup = () => {
        if (!open) return;
        open = false;
        offEvents();
        offSnapshots();
        clearInterval(heartbeat);
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      req.signal.addEventListener("abort", () => cleanup());
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
