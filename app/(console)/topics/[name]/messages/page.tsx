import Link from "next/link";
import { notFound } from "next/navigation";
import { ProduceForm } from "../../../../../components/produce-form.tsx";
import { Card, ErrorPanel, PageTitle, buttonSecondary, input, td, th } from "../../../../../components/ui.tsx";
import { allows } from "../../../../../server/auth/roles.ts";
import { requireUser } from "../../../../../server/auth/session.ts";
import type { FetchedMessage } from "../../../../../server/kafka/cluster.ts";
import { browseMessages } from "../../../../../server/queries/messages.ts";
import { loadSnapshot } from "../../../../../server/queries/cluster.ts";
import { getRuntime } from "../../../../../server/runtime.ts";

export const metadata = { title: "Messages" };

type Search = { partition?: string; mode?: string; offset?: string; timestamp?: string; limit?: string };

export default async function MessagesPage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<Search> }) {
  const user = await requireUser();
  const name = decodeURIComponent((await params).name);
  const sp = await searchParams;
  const rt = await getRuntime();
  const snap = await loadSnapshot(rt);
  if (!snap.ok) return <ErrorPanel title="Cannot read the cluster">{snap.error}</ErrorPanel>;
  const topic = snap.value.byName.get(name);
  if (!topic) notFound();
  const mode = sp.mode === "offset" || sp.mode === "timestamp" ? sp.mode : "latest";
  const limit = Math.min(Math.max(Number(sp.limit) || 20, 1), 500);
  const partition = sp.partition !== undefined && sp.partition !== "" && /^\d+$/.test(sp.partition) ? Number(sp.partition) : null;
  const timestamp = sp.timestamp ? Date.parse(sp.timestamp) : NaN;
  let messages: FetchedMessage[];
  let error: string | null = null;
  try {
    messages = await browseMessages(rt.cluster, {
      topic: name,
      partition,
      mode,
      limit,
      ...(mode === "offset" && sp.offset && /^\d+$/.test(sp.offset) ? { offset: BigInt(sp.offset) } : {}),
      ...(mode === "timestamp" && Number.isFinite(timestamp) ? { timestamp } : {}),
    });
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    messages = [];
  }
  return (
    <>
      <PageTitle
        actions={
          <Link href={`/topics/${encodeURIComponent(name)}`} className={buttonSecondary}>
            Topic details
          </Link>
        }
      >
        Messages of <span className="font-mono">{name}</span>
      </PageTitle>
      <form method="get" className="mb-4 flex flex-wrap items-end gap-3 text-sm">
        <label>
          <span className="mb-1 block font-medium">Partition</span>
          <select name="partition" defaultValue={partition ?? ""} className={input}>
            <option value="">all</option>
            {topic.partitions.map((p) => (
              <option key={p.partition} value={p.partition}>
                {p.partition}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="mb-1 block font-medium">From</span>
          <select name="mode" defaultValue={mode} className={input}>
            <option value="latest">latest N</option>
            <option value="offset">offset</option>
            <option value="timestamp">timestamp</option>
          </select>
        </label>
        <label>
          <span className="mb-1 block font-medium">Offset</span>
          <input name="offset" defaultValue={sp.offset ?? ""} className={`${input} w-32`} inputMode="numeric" />
        </label>
        <label>
          <span className="mb-1 block font-medium">Timestamp</span>
          <input name="timestamp" type="datetime-local" defaultValue={sp.timestamp ?? ""} className={input} />
        </label>
        <label>
          <span className="mb-1 block font-medium">N</span>
          <input name="limit" defaultValue={String(limit)} className={`${input} w-20`} inputMode="numeric" />
        </label>
        <button className={buttonSecondary} type="submit">
          Show
        </button>
      </form>
      {error ? <ErrorPanel title="Cannot read messages">{error}</ErrorPanel> : null}
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="messages-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>Partition</th>
              <th className={th}>Offset</th>
              <th className={th}>Timestamp</th>
              <th className={th}>Key</th>
              <th className={th}>Value</th>
              <th className={th}>Headers</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 font-mono">
            {messages.length === 0 ? (
              <tr>
                <td colSpan={6} className={`${td} font-sans text-slate-500`}>
                  No messages.
                </td>
              </tr>
            ) : (
              messages.map((m) => (
                <tr key={`${m.partition}-${m.offset}`} data-testid="message-row">
                  <td className={td}>{m.partition}</td>
                  <td className={td}>{m.offset}</td>
                  <td className={`${td} whitespace-nowrap`}>{new Date(m.timestamp).toISOString()}</td>
                  <td className={td}>{m.key ?? <span className="text-slate-400">null</span>}</td>
                  <td className={`${td} max-w-xl break-all`}>{m.value ?? <span className="text-slate-400">null</span>}</td>
                  <td className={td}>
                    {Object.entries(m.headers)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(", ") || "–"}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      {allows(user.role, "operator") ? (
        <Card className="mt-6" title="Produce a test message">
          <ProduceForm topic={name} partitions={topic.partitions.map((p) => p.partition)} />
        </Card>
      ) : null}
    </>
  );
}
