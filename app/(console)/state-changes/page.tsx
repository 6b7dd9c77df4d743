import { LocalTime } from "../../../components/local-time.tsx";
import { Pager } from "../../../components/pager.tsx";
import { RANGES, filterFromSearch, matchesFilter } from "../../../server/kafka/state-change-filter.ts";
import { Details, LiveStateChanges, StateChangeFilters } from "../../../components/state-changes-live.tsx";
import { Badge, Card, ErrorPanel, PageTitle, td, th } from "../../../components/ui.tsx";
import { requireUser } from "../../../server/auth/session.ts";
import type { HistoryPage } from "../../../server/db/state-changes.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const metadata = { title: "State changes" };

type Search = { machine?: string; topic?: string; group?: string; broker?: string; q?: string; from?: string; to?: string; range?: string; page?: string };

function instant(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t) : undefined;
}

export default async function StateChangesPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireUser();
  const sp = await searchParams;
  const rt = await getRuntime();
  const filter = filterFromSearch(sp);
  const filtered = Object.values(filter).some((v) => v !== undefined);
  const filterParams = { machine: filter.machine, topic: filter.topic, group: filter.group, broker: filter.broker?.toString(), q: filter.q };
  const range = sp.range && RANGES[sp.range] ? sp.range : undefined;
  const now = Date.now();
  const from = range ? new Date(now - RANGES[range]!.ms) : instant(sp.from);
  const to = range ? undefined : instant(sp.to);

  // The live part starts from the watcher's ring (this console process's recent events).
  const live = rt.hub
    .recent()
    .filter((e) => matchesFilter(e, filter))
    .reverse()
    .slice(0, 300);

  // The stored part: the state_changes table, paged on the server.
  const clusterId = rt.cluster.last?.clusterId ?? (await rt.cluster.snapshot().catch(() => null))?.clusterId ?? null;
  let history: HistoryPage | null = null;
  let historyError: string | null = null;
  if (clusterId) {
    try {
      history = await rt.stateChanges.history(clusterId, { ...filter, from, to, page: Number(sp.page) || 1, pageSize: 50 });
    } catch (err) {
      historyError = err instanceof Error ? err.message : String(err);
    }
  } else {
    historyError = "The cluster's id is not known yet (the cluster has not been reached).";
  }
  const source = rt.watcher.describeSource();
  const rangeText = range ? RANGES[range]!.label : from || to ? `${from ? from.toISOString() : "the beginning"} to ${to ? to.toISOString() : "now"}` : "all time";
  return (
    <>
      <PageTitle>State changes</PageTitle>
      <p className="-mt-4 mb-4 text-sm text-slate-500">
        Transitions of the cluster&apos;s state machines (partition, replica, group, broker, controller) — {source}.
      </p>
      <StateChangeFilters filter={filterParams} from={range ? undefined : sp.from} to={range ? undefined : sp.to} range={range} />
      <Card
        title={
          <span>
            Live <span className="font-normal text-slate-500">— as they happen{filtered ? ", filtered" : ""}</span>
          </span>
        }
      >
        <LiveStateChanges initial={live} filter={filter} />
      </Card>
      <Card
        className="mt-6"
        title={
          <span>
            Stored history <span className="font-normal text-slate-500" data-testid="history-range">— {rangeText}</span>
          </span>
        }
      >
        {historyError ? (
          <ErrorPanel title="Cannot read the stored history">{historyError}</ErrorPanel>
        ) : history && history.rows.length > 0 ? (
          <>
            <p className="mb-2 text-sm text-slate-500" data-testid="history-total">
              {history.total} stored state change{history.total === 1 ? "" : "s"}
            </p>
            <div className="overflow-x-auto">
              <table className="min-w-full text-sm" data-testid="history-table">
                <thead>
                  <tr>
                    <th className={th}>Time</th>
                    <th className={th}>Machine</th>
                    <th className={th}>Subject</th>
                    <th className={th}>Transition</th>
                    <th className={th}>Cause</th>
                    <th className={th}>Details</th>
                    <th className={th}>Offset</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {history.rows.map((e) => (
                    <tr key={e.seq} data-testid="history-row" data-machine={e.machine} data-subject={e.subject} data-from={e.from} data-to={e.to}>
                      <td className={`${td} whitespace-nowrap`}>
                        <LocalTime at={e.at} />
                      </td>
                      <td className={td}>
                        <Badge tone="info">{e.machine}</Badge>
                      </td>
                      <td className={`${td} font-mono`}>{e.subject}</td>
                      <td className={td}>
                        {e.from} → <strong>{e.to}</strong>
                      </td>
                      <td className={`${td} text-slate-600`}>{e.cause}</td>
                      <td className={td}>
                        <Details e={e} />
                      </td>
                      <td className={`${td} font-mono text-xs text-slate-500`}>{e.offset ?? "derived"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="mt-3">
              <Pager page={history.page} pages={history.pages} base="/state-changes" params={{ ...filterParams, range, from: range ? undefined : sp.from, to: range ? undefined : sp.to }} />
            </div>
          </>
        ) : (
          <p className="text-sm text-slate-500" data-testid="history-empty">
            No stored state changes in this range.
          </p>
        )}
      </Card>
    </>
  );
}
