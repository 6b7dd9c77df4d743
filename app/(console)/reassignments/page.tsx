import { ReassignmentTable } from "../../../components/reassignment-table.tsx";
import { RefreshOnChange } from "../../../components/refresh-on-change.tsx";
import { ErrorPanel, PageTitle } from "../../../components/ui.tsx";
import { allows } from "../../../server/auth/roles.ts";
import { requireUser } from "../../../server/auth/session.ts";
import { reassignmentProgress } from "../../../server/queries/reassignments.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const metadata = { title: "Reassignments" };

/** Every partition reassignment in progress in the cluster (ListPartitionReassignments), whoever started it. */
export default async function ReassignmentsPage() {
  const user = await requireUser();
  const rt = await getRuntime();
  let rows;
  try {
    rows = await reassignmentProgress(rt.cluster);
  } catch (err) {
    return (
      <>
        <PageTitle>Reassignments</PageTitle>
        <ErrorPanel title="Cannot list the reassignments">{err instanceof Error ? err.message : String(err)}</ErrorPanel>
      </>
    );
  }
  return (
    <>
      <PageTitle>Reassignments</PageTitle>
      {/* A reassignment's start, each catch-up and its end; the replicas added and deleted; on
          Apache Kafka (no __state_changes) the ISR changes and health counts derived from metadata. */}
      <RefreshOnChange filter={{ machine: "reassignment" }} />
      <RefreshOnChange filter={{ machine: "replica" }} />
      <RefreshOnChange filter={{ machine: "partition" }} onHealthChange />
      {rows.length === 0 ? (
        <p className="text-sm text-slate-500" data-testid="no-reassignments">
          No partition is being reassigned.
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
          <ReassignmentTable rows={rows} canCancel={allows(user.role, "operator")} />
        </div>
      )}
    </>
  );
}
