import Link from "next/link";
import { Pager } from "../../../components/pager.tsx";
import { RefreshOnChange } from "../../../components/refresh-on-change.tsx";
import { ReplicaList } from "../../../components/replica-list.tsx";
import { Badge, ErrorPanel, PageTitle, td, th } from "../../../components/ui.tsx";
import { requireUser } from "../../../server/auth/session.ts";
import { PARTITION_PROBLEMS, PROBLEM_LABELS, isPartitionProblem, pageProblemPartitions } from "../../../server/kafka/partition-health.ts";
import { loadSnapshot } from "../../../server/queries/cluster.ts";
import { replicaStatus } from "../../../server/queries/replicas.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const metadata = { title: "Partitions" };

type Search = { status?: string; broker?: string; page?: string };

/** The partitions with one problem (under-replicated, under min ISR, offline), cluster-wide or on one broker. */
export default async function PartitionsPage({ searchParams }: { searchParams: Promise<Search> }) {
  await requireUser();
  const sp = await searchParams;
  const status = isPartitionProblem(sp.status) ? sp.status : "under-replicated";
  const broker = sp.broker && /^\d+$/.test(sp.broker) ? Number(sp.broker) : undefined;
  const rt = await getRuntime();
  const snap = await loadSnapshot(rt);
  if (!snap.ok) {
    return (
      <>
        <PageTitle>Partitions</PageTitle>
        <ErrorPanel title="Cannot reach the cluster">{snap.error}</ErrorPanel>
      </>
    );
  }
  const s = snap.value;
  const result = pageProblemPartitions(s, status, { broker, page: Number(sp.page) || 1, pageSize: 50 });
  const replicas = await replicaStatus(rt, s, result.rows);
  const tab = (p: (typeof PARTITION_PROBLEMS)[number]) => {
    const q = new URLSearchParams({ status: p });
    if (broker !== undefined) q.set("broker", String(broker));
    const active = p === status;
    return (
      <Link key={p} href={`/partitions?${q}`} className={`rounded-md px-2.5 py-1 text-sm ${active ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100"}`} aria-current={active ? "page" : undefined}>
        {PROBLEM_LABELS[p]}
      </Link>
    );
  };
  return (
    <>
      <PageTitle>
        {PROBLEM_LABELS[status]} partitions{broker !== undefined ? ` with a replica on broker ${broker}` : ""}
      </PageTitle>
      <RefreshOnChange filter={{ machine: "partition" }} onHealthChange />
      <div className="mb-4 flex flex-wrap items-center gap-3">
        <nav className="flex gap-1" aria-label="problem">
          {PARTITION_PROBLEMS.map(tab)}
        </nav>
        <span className="text-sm text-slate-500" data-testid="problem-partition-count">
          {result.total} partitions
        </span>
        {status === "under-min-isr" && s.totals.underMinIsr === null ? <span className="text-sm text-amber-700">min.insync.replicas could not be read; the list may be incomplete.</span> : null}
      </div>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="problem-partitions-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>Partition</th>
              <th className={th}>Leader</th>
              <th className={th}>Replicas</th>
              <th className={th}>ISR</th>
              <th className={th}>min.insync.replicas</th>
              <th className={th}>Replica state</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {result.rows.length === 0 ? (
              <tr>
                <td colSpan={6} className={`${td} text-slate-500`}>
                  None: every partition is fine on this count.
                </td>
              </tr>
            ) : (
              result.rows.map((p) => {
                const key = `${p.topic}-${p.partition}`;
                return (
                  <tr key={key} data-testid="problem-partition-row" data-partition={key}>
                    <td className={`${td} font-mono`}>
                      <Link href={`/topics/${encodeURIComponent(p.topic)}`} className="text-sky-800 hover:underline">
                        {p.topic}
                      </Link>
                      -{p.partition} {p.internal ? <Badge>internal</Badge> : null}
                    </td>
                    <td className={`${td} font-mono`}>{p.leader >= 0 ? p.leader : <Badge tone="bad">none</Badge>}</td>
                    <td className={`${td} font-mono`}>[{p.replicas.join(", ")}]</td>
                    <td className={`${td} font-mono`}>[{p.isr.join(", ")}]</td>
                    <td className={`${td} tabular-nums`}>{p.minIsr ?? "?"}</td>
                    <td className={td}>
                      <ReplicaList replicas={replicas.get(key) ?? []} />
                    </td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
      </div>
      <div className="mt-4">
        <Pager page={result.page} pages={result.pages} base="/partitions" params={{ status, broker: broker === undefined ? undefined : String(broker) }} />
      </div>
    </>
  );
}
