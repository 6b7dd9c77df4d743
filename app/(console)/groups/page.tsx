import Link from "next/link";
import { Pager } from "../../../components/pager.tsx";
import { Badge, ErrorPanel, PageTitle, buttonSecondary, input, stateTone, td, th } from "../../../components/ui.tsx";
import { requireUser } from "../../../server/auth/session.ts";
import type { GroupDescription } from "../../../server/kafka/groups.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const metadata = { title: "Consumer groups" };

type Search = { q?: string; page?: string; deleted?: string };

export default async function GroupsPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireUser();
  const sp = await searchParams;
  const rt = await getRuntime();
  let page;
  try {
    page = await rt.groups.page({ query: sp.q ?? "", page: Number(sp.page) || 1, pageSize: 50 });
  } catch (err) {
    return (
      <>
        <PageTitle>Consumer groups</PageTitle>
        <ErrorPanel title="Cannot list the cluster's groups">{err instanceof Error ? err.message : String(err)}</ErrorPanel>
      </>
    );
  }
  // Members and lag only for the groups on this page: one DescribeGroups and one OffsetFetch
  // per coordinator, one ListOffsets per partition leader.
  const described = new Map<string, GroupDescription>();
  const lags = new Map<string, { lag: number | null; topics: string[] }>();
  let problem: string | null = null;
  try {
    for (const g of await rt.groups.describe(page.rows.map((r) => r.groupId))) described.set(g.groupId, g);
    const offsets = await rt.groups.lag([...described.values()]);
    for (const [groupId, rows] of offsets) {
      const known = rows.filter((o) => o.lag !== null);
      lags.set(groupId, { lag: known.length > 0 ? known.reduce((n, o) => n + o.lag!, 0) : null, topics: [...new Set(rows.map((o) => o.topic))] });
    }
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
  }
  return (
    <>
      <PageTitle>Consumer groups</PageTitle>
      {sp.deleted ? (
        <p className="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status">
          Group <span className="font-mono">{sp.deleted}</span> deleted.
        </p>
      ) : null}
      {problem ? (
        <div className="mb-4">
          <ErrorPanel title="Some details could not be read">{problem}</ErrorPanel>
        </div>
      ) : null}
      <form className="mb-4 flex flex-wrap items-center gap-3" method="get" action="/groups">
        <input name="q" defaultValue={sp.q ?? ""} placeholder="Search groups by id" className={`${input} max-w-sm`} aria-label="Search groups" />
        <button type="submit" className={buttonSecondary}>
          Search
        </button>
        <span className="text-sm text-slate-500">{page.total} groups</span>
      </form>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="groups-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>Group</th>
              <th className={th}>State</th>
              <th className={th}>Protocol</th>
              <th className={th}>Members</th>
              <th className={th}>Lag</th>
              <th className={th}>Topics</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {page.rows.length === 0 ? (
              <tr>
                <td colSpan={6} className={`${td} text-slate-500`}>
                  No groups.
                </td>
              </tr>
            ) : (
              page.rows.map((r) => {
                const d = described.get(r.groupId);
                const state = d?.state ?? r.state;
                const lag = lags.get(r.groupId);
                return (
                  <tr key={r.groupId} data-testid="group-row">
                    <td className={td}>
                      <Link href={`/groups/${encodeURIComponent(r.groupId)}`} className="font-mono text-sky-800 hover:underline">
                        {r.groupId}
                      </Link>
                    </td>
                    <td className={td}>
                      <Badge tone={stateTone(state)}>{state || "?"}</Badge>
                    </td>
                    <td className={td}>
                      {r.protocolType || "–"}
                      {d?.protocol ? <span className="text-slate-400"> ({d.protocol})</span> : null}
                    </td>
                    <td className={`${td} tabular-nums`}>{d?.members.length ?? "?"}</td>
                    <td className={`${td} tabular-nums`} data-testid="group-lag">
                      {lag?.lag ?? "–"}
                    </td>
                    <td className={`${td} font-mono text-xs`}>{lag?.topics.join(", ") || "–"}</td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
      <div className="mt-4">
        <Pager page={page.page} pages={page.pages} base="/groups" params={{ q: sp.q }} />
      </div>
    </>
  );
}
