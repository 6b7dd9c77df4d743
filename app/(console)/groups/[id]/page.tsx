import Link from "next/link";
import { EventFeed } from "../../../../components/event-feed.tsx";
import { DeleteGroupForm, ResetOffsetsForm } from "../../../../components/group-forms.tsx";
import { GroupStateDiagram } from "../../../../components/group-state-diagram.tsx";
import { RefreshOnChange } from "../../../../components/refresh-on-change.tsx";
import { Badge, Card, ErrorPanel, PageTitle, buttonSecondary, stateTone, td, th } from "../../../../components/ui.tsx";
import { allows } from "../../../../server/auth/roles.ts";
import { requireUser } from "../../../../server/auth/session.ts";
import { storedHistory } from "../../../../server/queries/state-changes.ts";
import { getRuntime } from "../../../../server/runtime.ts";

export async function generateMetadata({ params }: { params: Promise<{ id: string }> }) {
  return { title: decodeURIComponent((await params).id) };
}

export default async function GroupPage({ params }: { params: Promise<{ id: string }> }) {
  const user = await requireUser();
  const groupId = decodeURIComponent((await params).id);
  const rt = await getRuntime();
  const renderedAt = Date.now();
  let group;
  let offsets;
  try {
    [group] = await rt.groups.describe([groupId]);
    offsets = group ? await rt.groups.offsets(group) : [];
  } catch (err) {
    return (
      <>
        <PageTitle>{groupId}</PageTitle>
        <ErrorPanel title="Cannot read the group">{err instanceof Error ? err.message : String(err)}</ErrorPanel>
      </>
    );
  }
  if (!group) return <ErrorPanel title="Unknown group">{groupId}</ErrorPanel>;
  const empty = group.state === "Empty" || group.state === "Dead";
  const events = rt.hub.recent(200).reverse();
  const history = await storedHistory(rt, { group: groupId });
  const memberOf = new Map(group.members.map((m, i) => [m.memberId, i + 1]));
  const totalLag = offsets.reduce((n, o) => n + (o.lag ?? 0), 0);
  return (
    <>
      <PageTitle
        actions={
          <Link href="/groups" className={buttonSecondary}>
            All groups
          </Link>
        }
      >
        <span className="font-mono">{groupId}</span>{" "}
        <span data-testid="group-state">
          <Badge tone={stateTone(group.state)}>{group.state}</Badge>
        </span>
      </PageTitle>
      <dl className="mb-6 grid grid-cols-2 gap-x-6 gap-y-1 text-sm md:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className="text-slate-500">Protocol type</dt>
        <dd>{group.protocolType || "–"}</dd>
        <dt className="text-slate-500">Assignor</dt>
        <dd>{group.protocol || "–"}</dd>
        <dt className="text-slate-500">Members</dt>
        <dd data-testid="member-count">{group.members.length}</dd>
        <dt className="text-slate-500">Total lag</dt>
        <dd data-testid="total-lag">{totalLag}</dd>
      </dl>
      <RefreshOnChange filter={{ group: groupId }} />
      <Card title="State">
        <GroupStateDiagram groupId={groupId} state={group.state} renderedAt={renderedAt} initial={events} />
      </Card>
      <Card className="mt-6" title="Members">
        {group.members.length === 0 ? (
          <p className="text-sm text-slate-500">No members: no consumer of this group is running.</p>
        ) : (
          <table className="min-w-full text-sm" data-testid="members-table">
            <thead>
              <tr>
                <th className={th}>#</th>
                <th className={th}>Member id</th>
                <th className={th}>Client id</th>
                <th className={th}>Host</th>
                <th className={th}>Assignment</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {group.members.map((m, i) => (
                <tr key={m.memberId} data-testid="member-row">
                  <td className={td}>{i + 1}</td>
                  <td className={`${td} break-all font-mono text-xs`}>{m.memberId}</td>
                  <td className={td}>{m.clientId}</td>
                  <td className={`${td} font-mono text-xs`}>{m.clientHost}</td>
                  <td className={`${td} font-mono text-xs`} data-testid="member-assignment">
                    {m.assignment === null
                      ? "(not a consumer assignment)"
                      : Object.entries(m.assignment)
                          .map(([t, ps]) => `${t}: [${ps.join(", ")}]`)
                          .join("; ") || "none"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card className="mt-6" title="Committed offsets and lag">
        {offsets.length === 0 ? (
          <p className="text-sm text-slate-500">No committed offsets.</p>
        ) : (
          <table className="min-w-full text-sm" data-testid="group-offsets-table">
            <thead>
              <tr>
                <th className={th}>Topic</th>
                <th className={th}>Partition</th>
                <th className={th}>Committed</th>
                <th className={th}>Log end</th>
                <th className={th}>Lag</th>
                <th className={th}>Member</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 font-mono">
              {offsets.map((o) => (
                <tr key={`${o.topic}-${o.partition}`} data-testid="group-offset-row">
                  <td className={td}>
                    <Link className="text-sky-800 hover:underline" href={`/topics/${encodeURIComponent(o.topic)}`}>
                      {o.topic}
                    </Link>
                  </td>
                  <td className={td}>{o.partition}</td>
                  <td className={td} data-testid="committed">
                    {o.committed ?? "–"}
                  </td>
                  <td className={td}>{o.logEnd ?? "?"}</td>
                  <td className={td} data-testid="lag">
                    {o.lag ?? "–"}
                  </td>
                  <td className={td}>{o.memberId ? `#${memberOf.get(o.memberId) ?? "?"}` : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
      <Card className="mt-6" title="Timeline">
        <EventFeed initial={events} stored={history} filter={{ group: groupId }} />
      </Card>
      {allows(user.role, "operator") ? (
        <>
          <Card className="mt-6" title="Reset offsets">
            <p className="mb-3 text-sm text-slate-600" data-testid="empty-rule">
              Kafka changes a group&apos;s committed offsets, and deletes a group, only while it is <strong>Empty</strong> (no members).{" "}
              {empty ? "This group is empty." : `This group is ${group.state} with ${group.members.length} member${group.members.length === 1 ? "" : "s"}: stop its consumers first.`}
            </p>
            <ResetOffsetsForm groupId={groupId} topics={[...new Set(offsets.map((o) => o.topic))]} empty={empty} />
          </Card>
          <Card className="mt-6 border-red-200" title="Delete group">
            <p className="mb-3 text-sm text-slate-600" data-testid="delete-empty-rule">
              Deletes the group and its committed offsets (DeleteGroups). Kafka refuses while the group has members (NON_EMPTY_GROUP){empty ? "; this group is empty." : `; it is ${group.state} now.`}
            </p>
            <DeleteGroupForm groupId={groupId} />
          </Card>
        </>
      ) : null}
    </>
  );
}
