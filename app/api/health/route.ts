import { getRuntime } from "../../../server/runtime.ts";

export const dynamic = "force-dynamic";

/**
 * Liveness of the console (unauthenticated, so it says little): whether its database opened
 * and how it follows the cluster. The first call starts the runtime (see server/main.ts).
 */
export async function GET(): Promise<Response> {
  try {
    const rt = await getRuntime();
    return Response.json({ ok: true, database: rt.db.kind, watch: rt.watcher.mode });
  } catch (err) {
    // The reason goes to the console's own terminal; the caller learns only that it failed.
    process.stderr.write(`console: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    return Response.json({ ok: false, error: "the console could not start; see its terminal" }, { status: 503 });
  }
}
