import Link from "next/link";
import { notFound } from "next/navigation";
import { alterTopicConfigAction } from "../../../actions.ts";
import { ConfigForm } from "../../../../components/config-form.tsx";
import { DeleteTopicForm } from "../../../../components/delete-topic-form.tsx";
import { ElectPreferredForm } from "../../../../components/elect-preferred-form.tsx";
import { EventFeed } from "../../../../components/event-feed.tsx";
import { ReassignmentForm } from "../../../../components/reassignment-form.tsx";
import { ReassignmentTable } from "../../../../components/reassignment-table.tsx";
import { RefreshOnChange } from "../../../../components/refresh-on-change.tsx";
import { ReplicaList } from "../../../../components/replica-list.tsx";
import { Badge, Card, ErrorPanel, PageTitle, buttonSecondary, formatBytes, stateTone, td, th } from "../../../../components/ui.tsx";
import { allows } from "../../../../server/auth/roles.ts";
import { requireUser } from "../../../../server/auth/session.ts";
import { reassignmentProgress } from "../../../../server/queries/reassignments.ts";
import { replicaStatus } from "../../../../server/queries/replicas.ts";
import { storedHistory } from "../../../../server/queries/state-changes.ts";
import { getRuntime } from "../../../../server/runtime.ts";

export async function generateMetadata({ params }: { params: Promise<{ name: string }> }) {
  return { title: decodeURIComponent((await params).name) };
}

export default async function TopicPage({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ configs?: string; created?: string }> }) {
  const user = await requireUser();
  const name = decodeURIComponent((await params).name);
  const sp = await searchParams;
  const rt = await getRuntime();
  let detail;
  try {
    detail = await rt.cluster.topicDetail(name);
  } catch (err) {
    return (
      <>
        <PageTitle>{name}</PageTitle>
        <ErrorPanel title="Cannot read the topic">{err instanceof Error ? err.message : String(err)}</ErrorPanel>
      </>
    );
  }
  if (!detail) notFound();
  const { topic, partitions, configs, problems } = detail;
  const showAll = sp.configs === "all";
  const shownConfigs = showAll ? configs : configs.filter((c) => !c.isDefault);
  const events = rt.hub.recent(200).reverse();
  const snap = await rt.cluster.snapshot();
  const replicas = await replicaStatus(rt, snap, partitions.map((p) => ({ topic: name, partition: p.partition })), { topic: name });
  const moving = await reassignmentProgress(rt.cluster, name).then(
    (rows) => ({ ok: true as const, rows }),
    (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
  );
  const consumers = await rt.groups.consumersOf(name).then(
    (rows) => ({ ok: true as const, rows }),
    (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
  );
  return (
    <>
      <PageTitle
        actions={
          <Link href={`/topics/${encodeURIComponent(name)}/messages`} className={buttonSecondary}>
            Messages
          </Link>
        }
      >
        <span className="font-mono">{name}</span> {topic.internal ? <Badge>internal</Badge> : null}
      </PageTitle>
      {sp.created ? (
        <p className="mb-4 rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status">
          Topic created.
        </p>
      ) : null}
      <dl className="mb-6 grid grid-cols-2 gap-x-6 gap-y-1 text-sm md:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className="text-slate-500">Topic id</dt>
        <dd className="font-mono">{topic.topicId}</dd>
        <dt className="text-slate-500">Partitions</dt>
        <dd data-testid="partition-count">{topic.partitions.length}</dd>
        <dt className="text-slate-500">Replication factor</dt>
        <dd>{topic.replicationFactor}</dd>
        <dt className="text-slate-500">Under-replicated / offline</dt>
        <dd data-testid="topic-health">
          {topic.underReplicated} / {topic.offline}
        </dd>
        <dt className="text-slate-500">Under min ISR</dt>
        <dd data-testid="topic-under-min-isr">
          {topic.underReplicated === 0 ? 0 : topic.minIsr === null ? "unknown" : `${topic.underMinIsr} (min.insync.replicas ${topic.minIsr})`}
        </dd>
      </dl>
      <RefreshOnChange filter={{ topic: name }} onHealthChange />
      {problems.length > 0 ? (
        <div className="mb-4">
          <ErrorPanel title="Some details could not be read">{problems.join("; ")}</ErrorPanel>
        </div>
      ) : null}
      <Card title="Partitions">
        <div className="overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="partitions-table">
            <thead>
              <tr>
                <th className={th}>Partition</th>
                <th className={th}>Leader</th>
                <th className={th}>Replicas</th>
                <th className={th}>ISR</th>
                <th className={th}>Replica state</th>
                <th className={th}>Earliest offset</th>
                <th className={th}>Latest offset</th>
                <th className={th}>Size</th>
                <th className={th}>Leader epoch</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 font-mono">
              {partitions.map((p) => (
                <tr key={p.partition} data-testid="partition-row" data-under-replicated={p.isr.length < p.replicas.length} className={p.leader < 0 ? "bg-red-50" : p.isr.length < p.replicas.length ? "bg-amber-50" : ""}>
                  <td className={td}>{p.partition}</td>
                  <td className={td} data-testid="leader">
                    {p.leader >= 0 ? p.leader : <Badge tone="bad">none</Badge>}
                  </td>
                  <td className={td}>[{p.replicas.join(", ")}]</td>
                  <td className={td} data-testid="isr">
                    [{p.isr.join(", ")}]
                  </td>
                  <td className={`${td} font-sans`}>
                    <ReplicaList replicas={replicas.get(`${name}-${p.partition}`) ?? []} />
                  </td>
                  <td className={td}>{p.earliestOffset ?? "?"}</td>
                  <td className={td} data-testid="latest-offset">
                    {p.latestOffset ?? "?"}
                  </td>
                  <td className={td}>{formatBytes(p.sizeBytes)}</td>
                  <td className={td}>{p.leaderEpoch}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      {!moving.ok ? (
        <div className="mt-6">
          <ErrorPanel title="Cannot list the topic's reassignments">{moving.error}</ErrorPanel>
        </div>
      ) : moving.rows.length > 0 ? (
        <Card className="mt-6" title="Reassignments in progress">
          <div className="overflow-x-auto">
            <ReassignmentTable rows={moving.rows} canCancel={allows(user.role, "operator")} showTopic={false} />
          </div>
        </Card>
      ) : null}
      {allows(user.role, "operator") ? (
        <Card className="mt-6" title="Reassign partitions">
          <ReassignmentForm topic={name} partitions={partitions.map((p) => ({ partition: p.partition, replicas: p.replicas }))} brokers={[...snap.brokers.map((b) => b.nodeId), ...snap.offlineBrokers].sort((a, b) => a - b)} />
          <div className="mt-4 border-t border-slate-100 pt-4">
            <p className="mb-2 text-sm text-slate-600">Moves each partition&apos;s lead back to its preferred replica (the first listed) where it is in sync (ElectLeaders).</p>
            <ElectPreferredForm topic={name} />
          </div>
        </Card>
      ) : null}
      <Card className="mt-6" title="Consumer groups">
        {!consumers.ok ? (
          <ErrorPanel title="Cannot read the groups">{consumers.error}</ErrorPanel>
        ) : consumers.rows.length === 0 ? (
          <p className="text-sm text-slate-500">No group has committed offsets on this topic or is assigned its partitions.</p>
        ) : (
          <table className="min-w-full text-sm" data-testid="topic-consumers">
            <thead>
              <tr>
                <th className={th}>Group</th>
                <th className={th}>State</th>
                <th className={th}>Members on this topic</th>
                <th className={th}>Partitions committed</th>
                <th className={th}>Lag</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {consumers.rows.map((g) => (
                <tr key={g.groupId} data-testid="topic-consumer-row" data-group={g.groupId}>
                  <td className={`${td} font-mono`}>
                    <Link href={`/groups/${encodeURIComponent(g.groupId)}`} className="text-sky-800 hover:underline">
                      {g.groupId}
                    </Link>
                  </td>
                  <td className={td}>
                    <Badge tone={stateTone(g.state)}>{g.state || "?"}</Badge>
                  </td>
                  <td className={`${td} tabular-nums`}>{g.members}</td>
                  <td className={`${td} tabular-nums`}>
                    {g.committedPartitions} of {topic.partitions.length}
                  </td>
                  <td className={`${td} tabular-nums`} data-testid="topic-consumer-lag">
                    {g.lag ?? "?"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card
        className="mt-6"
        title={
          <span className="flex items-center justify-between">
            <span>Configs {showAll ? "(all)" : "(set on the topic or the broker)"}</span>
            <Link className="text-xs font-normal text-sky-700 underline" href={`/topics/${encodeURIComponent(name)}${showAll ? "" : "?configs=all"}`}>
              {showAll ? "hide defaults" : "show all"}
            </Link>
          </span>
        }
      >
        {shownConfigs.length === 0 ? (
          <p className="text-sm text-slate-500">Every config has its default value.</p>
        ) : (
          <table className="min-w-full text-sm" data-testid="configs-table">
            <thead>
              <tr>
                <th className={th}>Name</th>
                <th className={th}>Value</th>
                <th className={th}>Source</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {shownConfigs.map((c) => (
                <tr key={c.name}>
                  <td className={`${td} font-mono`}>{c.name}</td>
                  <td className={`${td} font-mono`}>{c.isSensitive ? "(sensitive)" : (c.value ?? "null")}</td>
                  <td className={`${td} text-slate-500`}>{c.source}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      {allows(user.role, "operator") ? (
        <Card className="mt-6" title="Change a config">
          <p className="mb-3 text-sm text-slate-600">Sets a config on this topic (IncrementalAlterConfigs); removing it brings back the broker&apos;s default.</p>
          <ConfigForm
            action={alterTopicConfigAction}
            resource={{ topic: name }}
            subject={`topic ${name}`}
            editable={configs.map((c) => ({ name: c.name, value: c.isSensitive ? "(sensitive)" : c.value, source: c.source }))}
            setLabel="Set config"
            hint="a topic config, e.g. retention.ms"
          />
        </Card>
      ) : null}
      <Card className="mt-6" title="State changes of this topic">
        <EventFeed initial={events} stored={await storedHistory(rt, { topic: name })} filter={{ topic: name }} />
      </Card>
      {allows(user.role, "operator") ? (
        <Card className="mt-6 border-red-200" title="Delete topic">
          <DeleteTopicForm name={name} />
        </Card>
      ) : null}
    </>
  );
}
