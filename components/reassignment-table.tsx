import Link from "next/link";
import type { ReassignmentProgress } from "../server/queries/reassignments.ts";
import { CancelReassignmentButton } from "./cancel-reassignment-button.tsx";
import { td, th } from "./ui.tsx";

/** Reassignments in progress: replica sets, each adding replica's catch-up, and (for operators) a cancel button. */
export function ReassignmentTable({ rows, canCancel, showTopic = true }: { rows: ReassignmentProgress[]; canCancel: boolean; showTopic?: boolean }) {
  return (
    <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="reassignments-table">
      <thead>
        <tr>
          {showTopic ? <th className={th}>Topic</th> : null}
          <th className={th}>Partition</th>
          <th className={th}>Replicas</th>
          <th className={th}>Adding</th>
          <th className={th}>Removing</th>
          <th className={th}>Leader</th>
          <th className={th}>Catch-up of adding replicas</th>
          {canCancel ? <th className={th} /> : null}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((r) => (
          <tr key={`${r.topic}-${r.partition}`} data-testid="reassignment-row" data-partition={`${r.topic}-${r.partition}`}>
            {showTopic ? (
              <td className={`${td} font-mono`}>
                <Link href={`/topics/${encodeURIComponent(r.topic)}`} className="text-sky-800 hover:underline">
                  {r.topic}
                </Link>
              </td>
            ) : null}
            <td className={`${td} font-mono`}>{r.partition}</td>
            <td className={`${td} font-mono`}>[{r.replicas.join(", ")}]</td>
            <td className={`${td} font-mono`}>[{r.adding.join(", ")}]</td>
            <td className={`${td} font-mono`}>[{r.removing.join(", ")}]</td>
            <td className={`${td} font-mono`}>{r.leader >= 0 ? r.leader : "none"}</td>
            <td className={td}>
              <ul className="space-y-1">
                {r.catchUp.map((c) => (
                  <li key={c.broker} data-testid="catch-up" data-broker={c.broker} data-percent={c.percent ?? ""}>
                    <span className="font-mono">broker {c.broker}</span>:{" "}
                    {c.percent === null ? (
                      <span className="text-slate-500">unknown (broker not answering)</span>
                    ) : (
                      <>
                        <progress max={100} value={c.percent} className="mr-2 h-2 w-24 align-middle" />
                        {c.percent}%, {c.behind} offsets behind
                      </>
                    )}
                  </li>
                ))}
              </ul>
            </td>
            {canCancel ? (
              <td className={td}>
                <CancelReassignmentButton topic={r.topic} partition={r.partition} />
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
