import { getRuntime } from "../../../server/runtime.ts";

export const dynamic = "force-dynamic";

/** Liveness of the console: its database and how it follows the cluster. Starts the runtime. */
export async function GET(): Promise<Response> {
  try {
    const rt = await getRuntime();
    return Response.json({
      ok: true,
      database: `${rt.db.kind === "pglite" ? "PGlite" : "PostgreSQL"} at ${rt.db.location}`,
      cluster: rt.config.clusterName,
      watch: rt.watcher.mode,
    });
  } catch (err) {
    return Response.json({ ok: false, error: err instanceof Error ? err.message : String(err) }, { status: 503 });
  }
}
