import Link from "next/link";
import { Pager } from "../../../components/pager.tsx";
import { Badge, ErrorPanel, PageTitle, button, buttonSecondary, input, td, th } from "../../../components/ui.tsx";
import { allows } from "../../../server/auth/roles.ts";
import { requireUser } from "../../../server/auth/session.ts";
import { pageTopics } from "../../../server/kafka/snapshot.ts";
import { loadSnapshot } from "../../../server/queries/cluster.ts";

export const metadata = { title: "Topics" };

type Search = { q?: string; page?: string; size?: string; internal?: string; deleted?: string };

export default async function TopicsPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser();
  const sp = await searchParams;
  const snap = await loadSnapshot();
  if (!snap.ok) {
    return (
      <>
        <PageTitle>Topics</PageTitle>
        <ErrorPanel title="Cannot read the cluster's topics">{snap.error}</ErrorPanel>
      </>
    );
  }
  const started = performance.now();
  const includeInternal = sp.internal === "1";
  const result = pageTopics(snap.value, { query: sp.q ?? "", page: Number(sp.page) || 1, pageSize: Number(sp.size) || 50, includeInternal });
  const pagedMs = performance.now() - started;
  const params = { q: sp.q, size: sp.size, internal: sp.internal };
  return (
    <>
      <PageTitle
        actions={
          allows(user.role, "operator") ? (
            <Link href="/topics/new" className={button}>
              Create topic
            </Link>
          ) : null
        }
      >
        Topics
      </PageTitle>
      {sp.deleted ? (
        <p className="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status">
          Topic <span className="font-mono">{sp.deleted}</span> deleted.
        </p>
      ) : null}
      <form className="mb-4 flex flex-wrap items-center gap-3" method="get" action="/topics">
        <input name="q" defaultValue={sp.q ?? ""} placeholder="Search topics by name" className={`${input} max-w-sm`} aria-label="Search topics" />
        <label className="flex items-center gap-1.5 text-sm text-slate-600">
          <input type="checkbox" name="internal" value="1" defaultChecked={includeInternal} /> include internal topics
        </label>
        <button type="submit" className={buttonSecondary}>
          Search
        </button>
        <span className="text-sm text-slate-500" data-testid="topic-count" data-server-ms={pagedMs.toFixed(2)}>
          {result.total} of {snap.value.totals.topics} topics
        </span>
      </form>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="topics-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>Name</th>
              <th className={th}>Partitions</th>
              <th className={th}>Replication</th>
              <th className={th}>Under-replicated</th>
              <th className={th}>Offline</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {result.rows.length === 0 ? (
              <tr>
                <td className={`${td} text-slate-500`} colSpan={5}>
                  No topics match.
                </td>
              </tr>
            ) : (
              result.rows.map((t) => (
                <tr key={t.name} className="hover:bg-slate-50" data-testid="topic-row">
                  <td className={td}>
                    <Link href={`/topics/${encodeURIComponent(t.name)}`} className="font-mono text-sky-800 hover:underline">
                      {t.name}
                    </Link>{" "}
                    {t.internal ? <Badge>internal</Badge> : null}
                  </td>
                  <td className={`${td} tabular-nums`}>{t.partitions.length}</td>
                  <td className={`${td} tabular-nums`}>{t.replicationFactor}</td>
                  <td className={`${td} tabular-nums`}>{t.underReplicated > 0 ? <Badge tone="warn">{t.underReplicated}</Badge> : 0}</td>
                  <td className={`${td} tabular-nums`}>{t.offline > 0 ? <Badge tone="bad">{t.offline}</Badge> : 0}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <div className="mt-4">
        <Pager page={result.page} pages={result.pages} base="/topics" params={params} />
      </div>
    </>
  );
}
