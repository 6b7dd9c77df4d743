import Link from "next/link";
import { notFound } from "next/navigation";
import { alterBrokerConfigAction } from "../../../actions.ts";
import { ConfigForm } from "../../../../components/config-form.tsx";
import { Pager } from "../../../../components/pager.tsx";
import { RefreshOnChange } from "../../../../components/refresh-on-change.tsx";
import { ReplicaBadge } from "../../../../components/replica-list.tsx";
import { Badge, Card, ErrorPanel, PageTitle, Stat, buttonSecondary, formatBytes, input, td, th } from "../../../../components/ui.tsx";
import { allows } from "../../../../server/auth/roles.ts";
import { requireUser } from "../../../../server/auth/session.ts";
import { brokerPartitions, pageBrokerPartitions } from "../../../../server/kafka/brokers.ts";
import type { BrokerConfigEntry, LogDirDetail } from "../../../../server/kafka/cluster.ts";
import { loadSnapshot } from "../../../../server/queries/cluster.ts";
import { replicaStatus } from "../../../../server/queries/replicas.ts";
import { getRuntime } from "../../../../server/runtime.ts";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  return { title: `Broker ${(await params).id}` };
}

type Search = { role?: string; q?: string; page?: string; configs?: string };

export default async function BrokerPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Search> }) {
  const user = await requireUser();
  const idText = (await params).id;
  if (!/^\d+$/.test(idText)) notFound();
  const nodeId = Number(idText);
  const sp = await searchParams;
  const rt = await getRuntime();
  const snap = await loadSnapshot(rt);
  if (!snap.ok) {
    return (
      <>
        <PageTitle>Broker {nodeId}</PageTitle>
        <ErrorPanel title="Cannot reach the cluster">{snap.error}</ErrorPanel>
      </>
    );
  }
  const s = snap.value;
  const broker = s.brokers.find((b) => b.nodeId === nodeId);
  if (!broker) notFound();

  const problems: string[] = [];
  const [dirs, configs] = await Promise.all([
    rt.cluster.describeLogDirs(nodeId, null).catch((e: unknown) => {
      problems.push(`log dirs: ${e instanceof Error ? e.message : String(e)}`);
      return [] as LogDirDetail[];
    }),
    rt.cluster.brokerConfigs(nodeId).catch((e: unknown) => {
      problems.push(`configs: ${e instanceof Error ? e.message : String(e)}`);
      return [] as BrokerConfigEntry[];
    }),
  ]);
  const sizes = new Map<string, { sizeBytes: number; offsetLag: number; dir: string }>();
  for (const d of dirs) for (const p of d.partitions) if (!p.isFuture) sizes.set(`${p.topic}-${p.partition}`, { sizeBytes: p.sizeBytes, offsetLag: p.offsetLag, dir: d.path });
  const all = brokerPartitions(s, nodeId);
  const role = sp.role === "leader" || sp.role === "follower" ? sp.role : "all";
  const page = pageBrokerPartitions(all.rows, { role, query: sp.q ?? "", page: Number(sp.page) || 1, pageSize: 50 });
  const replicas = await replicaStatus(rt, s, page.rows, { broker: nodeId });
  const showAll = sp.configs === "all";
  const shownConfigs = showAll ? configs : configs.filter((c) => c.source !== "default");
  const editable = configs.filter((c) => !c.readOnly).map((c) => ({ name: c.name, value: c.isSensitive ? "(sensitive)" : c.value, source: c.source }));
  const base = `/brokers/${nodeId}`;
  const roleLink = (r: string, label: string) => {
    const q = new URLSearchParams();
    if (r !== "all") q.set("role", r);
    if (sp.q) q.set("q", sp.q);
    const active = r === role;
    return (
      <Link key={r} href={`${base}${q.size > 0 ? `?${q}` : ""}`} className={`rounded-md px-2.5 py-1 text-sm ${active ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100"}`} aria-current={active ? "page" : undefined}>
        {label}
      </Link>
    );
  };
  return (
    <>
      <PageTitle
        actions={
          <Link href="/brokers" className={buttonSecondary}>
            All brokers
          </Link>
        }
      >
        Broker <span className="font-mono">{nodeId}</span> {nodeId === s.controllerId ? <Badge tone="info">controller</Badge> : null}
      </PageTitle>
      <RefreshOnChange filter={{ broker: nodeId }} onHealthChange />
      <dl className="mb-6 grid grid-cols-2 gap-x-6 gap-y-1 text-sm md:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className="text-slate-500">Address</dt>
        <dd className="font-mono">
          {broker.host}:{broker.port}
        </dd>
        <dt className="text-slate-500">Rack</dt>
        <dd>{broker.rack ?? "–"}</dd>
        <dt className="text-slate-500">Cluster id</dt>
        <dd className="font-mono">{s.clusterId ?? "?"}</dd>
        <dt className="text-slate-500">Metadata as of</dt>
        <dd suppressHydrationWarning>{new Date(s.takenAt).toLocaleTimeString()}</dd>
      </dl>
      <div className="mb-6 grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat label="Leader of" value={all.led} testId="stat-led" />
        <Stat label="Follower of" value={all.followed} testId="stat-followed" />
        <Stat label="Replicas not in ISR" value={all.outOfSync} tone={all.outOfSync > 0 ? "warn" : "good"} testId="stat-out-of-sync" />
        <Stat label="On disk" value={formatBytes(dirs.reduce((n, d) => n + d.sizeBytes, 0))} testId="stat-size" />
      </div>
      {problems.length > 0 ? (
        <div className="mb-4">
          <ErrorPanel title="Some details could not be read">{problems.join("; ")}</ErrorPanel>
        </div>
      ) : null}

      <Card title="Log dirs">
        {dirs.length === 0 ? (
          <p className="text-sm text-slate-500">No log dirs reported.</p>
        ) : (
          <table className="min-w-full text-sm" data-testid="log-dirs-table">
            <thead>
              <tr>
                <th className={th}>Path</th>
                <th className={th}>Status</th>
                <th className={th}>Partitions</th>
                <th className={th}>Partition data</th>
                <th className={th}>Usable</th>
                <th className={th}>Total</th>
                <th className={th}>Used</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {dirs.map((d) => {
                const used = d.totalBytes !== null && d.usableBytes !== null && d.totalBytes > 0 ? (d.totalBytes - d.usableBytes) / d.totalBytes : null;
                return (
                  <tr key={d.path} data-testid="log-dir-row">
                    <td className={`${td} break-all font-mono text-xs`}>{d.path}</td>
                    <td className={td}>{d.error ? <Badge tone="bad">{d.error}</Badge> : <Badge tone="good">online</Badge>}</td>
                    <td className={`${td} tabular-nums`} data-testid="log-dir-partitions">
                      {d.partitions.filter((p) => !p.isFuture).length}
                    </td>
                    <td className={`${td} tabular-nums`} data-testid="log-dir-size">
                      {formatBytes(d.sizeBytes)}
                    </td>
                    <td className={`${td} tabular-nums`}>{formatBytes(d.usableBytes)}</td>
                    <td className={`${td} tabular-nums`}>{formatBytes(d.totalBytes)}</td>
                    <td className={td}>
                      {used === null ? (
                        "–"
                      ) : (
                        <span className="flex items-center gap-2">
                          <span className="inline-block h-2 w-24 overflow-hidden rounded bg-slate-200">
                            <span className={`block h-2 ${used > 0.9 ? "bg-red-600" : used > 0.75 ? "bg-amber-500" : "bg-sky-600"}`} style={{ width: `${Math.round(used * 100)}%` }} />
                          </span>
                          <span className="tabular-nums text-xs text-slate-600">{Math.round(used * 100)}%</span>
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>

      <Card className="mt-6" title="Partitions on this broker">
        <div className="mb-3 flex flex-wrap items-center gap-3">
          <nav className="flex gap-1" aria-label="role">
            {roleLink("all", `All (${all.rows.length})`)}
            {roleLink("leader", `Leader (${all.led})`)}
            {roleLink("follower", `Follower (${all.followed})`)}
          </nav>
          <form method="get" action={base} className="flex items-center gap-2">
            {role !== "all" ? <input type="hidden" name="role" value={role} /> : null}
            <input name="q" defaultValue={sp.q ?? ""} placeholder="Filter by topic" aria-label="Filter partitions by topic" className={`${input} w-56`} />
            <button type="submit" className={buttonSecondary}>
              Filter
            </button>
          </form>
          <span className="text-sm text-slate-500" data-testid="broker-partition-count">
            {page.total} partitions
          </span>
        </div>
        <div className="overflow-x-auto">
          <table className="min-w-full text-sm" data-testid="broker-partitions-table">
            <thead>
              <tr>
                <th className={th}>Partition</th>
                <th className={th}>Role</th>
                <th className={th}>Leader</th>
                <th className={th}>Replicas</th>
                <th className={th}>ISR</th>
                <th className={th}>This replica</th>
                <th className={th}>Size here</th>
                <th className={th}>Log dir</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {page.rows.length === 0 ? (
                <tr>
                  <td colSpan={8} className={`${td} text-slate-500`}>
                    No partitions.
                  </td>
                </tr>
              ) : (
                page.rows.map((p) => {
                  const key = `${p.topic}-${p.partition}`;
                  const size = sizes.get(key);
                  return (
                    <tr key={key} data-testid="broker-partition-row" data-role={p.role}>
                      <td className={`${td} font-mono`}>
                        <Link href={`/topics/${encodeURIComponent(p.topic)}`} className="text-sky-800 hover:underline">
                          {p.topic}
                        </Link>
                        -{p.partition} {p.internal ? <Badge>internal</Badge> : null}
                      </td>
                      <td className={td}>
                        <Badge tone={p.role === "leader" ? "info" : "default"}>{p.role}</Badge>
                      </td>
                      <td className={`${td} font-mono`}>{p.leader >= 0 ? p.leader : <Badge tone="bad">none</Badge>}</td>
                      <td className={`${td} font-mono`}>[{p.replicas.join(", ")}]</td>
                      <td className={`${td} font-mono`}>[{p.isr.join(", ")}]</td>
                      <td className={td} data-testid="this-replica">
                        {(() => {
                          const r = replicas.get(key)?.find((x) => x.broker === nodeId);
                          return r ? <ReplicaBadge r={r} showBroker={false} /> : "–";
                        })()}
                      </td>
                      <td className={`${td} tabular-nums`} data-testid="partition-size">
                        {size ? formatBytes(size.sizeBytes) : "–"}
                        {size && size.offsetLag > 0 ? <span className="text-xs text-amber-700"> (lag {size.offsetLag})</span> : null}
                      </td>
                      <td className={`${td} break-all font-mono text-xs text-slate-500`}>{size?.dir ?? "–"}</td>
                    </tr>
                  );
                })
              )}
            </tbody>
          </table>
        </div>
        <div className="mt-3">
          <Pager page={page.page} pages={page.pages} base={base} params={{ role: role === "all" ? undefined : role, q: sp.q }} />
        </div>
      </Card>

      <Card
        className="mt-6"
        title={
          <span className="flex items-center justify-between">
            <span>Configs {showAll ? "(all)" : "(not at their default)"}</span>
            <Link className="text-xs font-normal text-sky-700 underline" href={`${base}${showAll ? "" : "?configs=all"}`}>
              {showAll ? "hide defaults" : `show all ${configs.length}`}
            </Link>
          </span>
        }
      >
        {shownConfigs.length === 0 ? (
          <p className="text-sm text-slate-500">{configs.length === 0 ? "No configs were read." : "Every config has its default value."}</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="min-w-full text-sm" data-testid="broker-configs-table">
              <thead>
                <tr>
                  <th className={th}>Name</th>
                  <th className={th}>Value</th>
                  <th className={th}>Source</th>
                  <th className={th}>Synonyms (in order of precedence)</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {shownConfigs.map((c) => (
                  <tr key={c.name} data-testid="broker-config-row" data-name={c.name} data-source={c.source}>
                    <td className={`${td} font-mono`}>
                      {c.name} {c.readOnly ? <Badge>read-only</Badge> : null}
                    </td>
                    <td className={`${td} break-all font-mono`} data-testid="config-value">
                      {c.isSensitive ? "(sensitive)" : (c.value ?? "null")}
                    </td>
                    <td className={`${td} text-slate-500`}>{c.source}</td>
                    <td className={`${td} font-mono text-xs text-slate-600`} data-testid="config-synonyms">
                      {c.synonyms.length === 0
                        ? "–"
                        : c.synonyms.map((x, i) => (
                            <div key={i}>
                              {x.name}={c.isSensitive ? "(sensitive)" : (x.value ?? "null")} <span className="text-slate-400">({x.source})</span>
                            </div>
                          ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {allows(user.role, "admin") ? (
        <Card className="mt-6" title="Change a dynamic config">
          <p className="mb-3 text-sm text-slate-600">
            Sets a dynamic override for broker {nodeId} (IncrementalAlterConfigs); it takes precedence over server.properties until removed. Read-only configs change only with a restart.
          </p>
          <ConfigForm action={alterBrokerConfigAction} resource={{ brokerId: String(nodeId) }} subject={`broker ${nodeId}`} editable={editable} setLabel="Set dynamic config" hint="a dynamic broker config, e.g. log.retention.ms" />
        </Card>
      ) : null}
    </>
  );
}
