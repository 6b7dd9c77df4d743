import { EventFeed } from "../../components/event-feed.tsx";
import { OverviewStats } from "../../components/overview-stats.tsx";
import { Card, ErrorPanel, PageTitle } from "../../components/ui.tsx";
import { requireUser } from "../../server/auth/session.ts";
import { summarize } from "../../server/kafka/summary.ts";
import { loadSnapshot } from "../../server/queries/cluster.ts";
import { storedHistory } from "../../server/queries/state-changes.ts";
import { getRuntime } from "../../server/runtime.ts";

export const metadata = { title: "Overview" };

export default async function OverviewPage() {
  await requireUser();
  const rt = await getRuntime();
  const snap = await loadSnapshot(rt);
  const events = rt.hub.recent(200).reverse();
  const source = rt.watcher.describeSource();
  return (
    <>
      <PageTitle>Overview</PageTitle>
      {snap.ok ? (
        <OverviewStats initial={summarize(rt.config.clusterName, snap.value, rt.watcher.mode)} />
      ) : (
        <ErrorPanel title={`Cannot reach cluster ${rt.config.clusterName}`}>{snap.error}</ErrorPanel>
      )}
      <Card
        className="mt-6"
        title={
          <span>
            Recent state changes <span className="font-normal text-slate-500">— {source}</span>
          </span>
        }
      >
        <EventFeed initial={events} stored={await storedHistory(rt, {})} limit={50} />
      </Card>
    </>
  );
}
