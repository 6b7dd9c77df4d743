import Link from "next/link";
import { RefreshOnChange } from "../../../components/refresh-on-change.tsx";
import { LivePartitionHealth } from "../../../components/partition-health.tsx";
import { Badge, ErrorPanel, PageTitle, formatBytes, td, th } from "../../../components/ui.tsx";
import { requireUser } from "../../../server/auth/session.ts";
import { summarize } from "../../../server/kafka/summary.ts";
import { loadSnapshot } from "../../../server/queries/cluster.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const metadata = { title: "Brokers" };

export default async function BrokersPage() {
  await requireUser();
  const rt = await getRuntime();
  const snap = await loadSnapshot(rt);
  if (!snap.ok) {
    return (
      <>
        <PageTitle>Brokers</PageTitle>
        <ErrorPanel title="Cannot reach the cluster">{snap.error}</ErrorPanel>
      </>
    );
  }
  const s = snap.value;
  const leaders = new Map<number, number>();
  const replicas = new Map<number, number>();
  const outOfSync = new Map<number, number>();
  for (const t of s.topics) {
    for (const p of t.partitions) {
      if (p.leader >= 0) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
      for (const r of p.replicas) replicas.set(r, (replicas.get(r) ?? 0) + 1);
      for (const r of p.replicas) if (!p.isr.includes(r)) outOfSync.set(r, (outOfSync.get(r) ?? 0) + 1);
    }
  }
  const dirs = await Promise.all(s.brokers.map((b) => rt.cluster.logDirs(b.nodeId).then((d) => ({ ok: true as const, d }), (e: unknown) => ({ ok: false as const, e: e instanceof Error ? e.message : String(e) }))));
  return (
    <>
      <PageTitle>Brokers</PageTitle>
      <RefreshOnChange filter={{ machine: "broker" }} onHealthChange />
      <LivePartitionHealth initial={summarize(rt.config.clusterName, s, rt.watcher.mode)} />
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="brokers-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>Node</th>
              <th className={th}>Address</th>
              <th className={th}>Rack</th>
              <th className={th}>Leader of</th>
              <th className={th}>Replicas</th>
              <th className={th}>Out of ISR</th>
              <th className={th}>Log dirs</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {s.brokers.map((b, i) => {
              const d = dirs[i]!;
              return (
                <tr key={b.nodeId} data-testid="broker-row">
                  <td className={td}>
                    <Link href={`/brokers/${b.nodeId}`} className="font-mono text-sky-800 hover:underline" aria-label={`broker ${b.nodeId}`}>
                      {b.nodeId}
                    </Link> {b.nodeId === s.controllerId ? <Badge tone="info">controller</Badge> : null}
                  </td>
                  <td className={`${td} font-mono`}>
                    {b.host}:{b.port}
                  </td>
                  <td className={td}>{b.rack ?? "–"}</td>
                  <td className={`${td} tabular-nums`}>{leaders.get(b.nodeId) ?? 0}</td>
                  <td className={`${td} tabular-nums`}>{replicas.get(b.nodeId) ?? 0}</td>
                  <td className={`${td} tabular-nums`} data-testid="broker-out-of-sync">
                    <OutOfSync broker={b.nodeId} count={outOfSync.get(b.nodeId) ?? 0} />
                  </td>
                  <td className={td}>
                    {d.ok
                      ? d.d.map((x) => (
                          <div key={x.path} className="font-mono text-xs">
                            {x.path} {x.error ? <Badge tone="bad">{x.error}</Badge> : null}{" "}
                            {x.totalBytes !== null ? `${formatBytes(x.usableBytes)} free of ${formatBytes(x.totalBytes)}` : ""}
                          </div>
                        ))
                      : <span className="text-red-700">{d.e}</span>}
                  </td>
                </tr>
              );
            })}
            {s.offlineBrokers.map((id) => (
              <tr key={id} data-testid="broker-row" className="bg-red-50">
                <td className={td}>
                  <span className="font-mono">{id}</span> <Badge tone="bad">offline</Badge>
                </td>
                <td className={td} colSpan={2}>
                  Not in the cluster&apos;s metadata: stopped, crashed or fenced. Its replicas are offline until it returns.
                </td>
                <td className={`${td} tabular-nums`}>{leaders.get(id) ?? 0}</td>
                <td className={`${td} tabular-nums`}>{replicas.get(id) ?? 0}</td>
                <td className={`${td} tabular-nums`} data-testid="broker-out-of-sync">
                  <OutOfSync broker={id} count={outOfSync.get(id) ?? 0} />
                </td>
                <td className={td}>–</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A broker's replicas out of their ISR, linking to those under-replicated partitions. */
function OutOfSync({ broker, count }: { broker: number; count: number }) {
  return count === 0 ? (
    "0"
  ) : (
    <Link href={`/partitions?status=under-replicated&broker=${broker}`} className="hover:underline">
      <Badge tone="warn">{count}</Badge>
    </Link>
  );
}
