import { Pager } from "../../../components/pager.tsx";
import { Badge, ErrorPanel, PageTitle, buttonSecondary, input, td, th } from "../../../components/ui.tsx";
import { requireUser } from "../../../server/auth/session.ts";
import type { AuditOutcome } from "../../../server/db/audit.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const metadata = { title: "Audit" };

type Search = { actor?: string; action?: string; outcome?: string; page?: string };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireUser();
  const sp = await searchParams;
  const rt = await getRuntime();
  const outcome = sp.outcome === "ok" || sp.outcome === "error" || sp.outcome === "pending" ? (sp.outcome as AuditOutcome) : undefined;
  let data;
  try {
    const [list, facets] = await Promise.all([rt.audit.list({ actor: sp.actor || undefined, action: sp.action || undefined, outcome, page: Number(sp.page) || 1, pageSize: 50 }), rt.audit.facets()]);
    data = { list, facets };
  } catch (err) {
    return (
      <>
        <PageTitle>Audit</PageTitle>
        <ErrorPanel title="Cannot read the audit history">{err instanceof Error ? err.message : String(err)}</ErrorPanel>
      </>
    );
  }
  const { list, facets } = data;
  const pages = Math.max(1, Math.ceil(list.total / list.pageSize));
  return (
    <>
      <PageTitle>Audit</PageTitle>
      <form method="get" className="mb-4 flex flex-wrap items-end gap-3 text-sm">
        <label>
          <span className="mb-1 block font-medium">Actor</span>
          <select name="actor" defaultValue={sp.actor ?? ""} className={input}>
            <option value="">anyone</option>
            {facets.actors.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          <span className="mb-1 block font-medium">Action</span>
          <select name="action" defaultValue={sp.action ?? ""} className={input}>
            <option value="">any</option>
            {facets.actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          <span className="mb-1 block font-medium">Outcome</span>
          <select name="outcome" defaultValue={outcome ?? ""} className={input}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="pending">pending</option>
          </select>
        </label>
        <button type="submit" className={buttonSecondary}>
          Filter
        </button>
        <span className="text-slate-500">{list.total} records</span>
      </form>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="audit-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>When</th>
              <th className={th}>Actor</th>
              <th className={th}>Action</th>
              <th className={th}>Parameters</th>
              <th className={th}>Outcome</th>
              <th className={th}>Error</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.rows.map((r) => (
              <tr key={r.id} data-testid="audit-row" data-action={r.action} data-actor={r.actor} data-outcome={r.outcome}>
                <td className={`${td} whitespace-nowrap font-mono text-xs`}>{r.at.toISOString().replace("T", " ").slice(0, 19)}</td>
                <td className={td}>
                  {r.actor} <span className="text-xs text-slate-400">({r.role})</span>
                </td>
                <td className={`${td} font-mono`}>{r.action}</td>
                <td className={`${td} max-w-md break-all font-mono text-xs`}>{JSON.stringify(r.parameters)}</td>
                <td className={td}>
                  <Badge tone={r.outcome === "ok" ? "good" : r.outcome === "error" ? "bad" : "warn"}>{r.outcome}</Badge>
                </td>
                <td className={`${td} max-w-md break-words text-red-800`}>{r.error ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="mt-4">
        <Pager page={list.page} pages={pages} base="/audit" params={{ actor: sp.actor, action: sp.action, outcome }} />
      </div>
    </>
  );
}
