"use client";

import { useActionState, useState } from "react";
import { reassignTopicAction, type FormState } from "../app/actions.ts";
import { parseReplicaList, replicaField } from "../server/kafka/replica-list-input.ts";
import { ErrorPanel, button, input, td, th } from "./ui.tsx";

/**
 * Per partition the ordered replica list (the first is the preferred leader), prefilled with
 * the current one and checked as it is typed (known brokers, no duplicates, non-empty); the
 * server checks again and only the partitions that change are sent to Kafka.
 */
export function ReassignmentForm({ topic, partitions, brokers }: { topic: string; partitions: { partition: number; replicas: number[] }[]; brokers: number[] }) {
  const [state, action, pending] = useActionState<FormState<{ topic: string; started: number[] }>, FormData>(reassignTopicAction, null);
  const [values, setValues] = useState<Record<number, string>>(() => Object.fromEntries(partitions.map((p) => [p.partition, p.replicas.join(", ")])));
  const known = new Set(brokers);
  const local = Object.fromEntries(partitions.map((p) => [p.partition, parseReplicaList(values[p.partition] ?? "", known)]));
  const changed = partitions.filter((p) => {
    const r = local[p.partition];
    return r?.ok && r.replicas.join() !== p.replicas.join();
  });
  const invalid = Object.values(local).some((r) => !r.ok);
  const serverErrors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <form action={action} className="space-y-3" data-testid="reassignment-form">
      <input type="hidden" name="topic" value={topic} />
      <p className="text-sm text-slate-600">
        Give each partition&apos;s brokers in order, comma-separated; the first is the preferred leader. Brokers: {brokers.join(", ")}. Only the partitions you change are moved
        (AlterPartitionReassignments).
      </p>
      <table className="min-w-full text-sm">
        <thead>
          <tr>
            <th className={th}>Partition</th>
            <th className={th}>Current</th>
            <th className={th}>New replicas</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {partitions.map((p) => {
            const field = replicaField(p.partition);
            const r = local[p.partition];
            const error = r && !r.ok ? r.error : serverErrors[field];
            return (
              <tr key={p.partition}>
                <td className={`${td} font-mono`}>{p.partition}</td>
                <td className={`${td} font-mono`}>[{p.replicas.join(", ")}]</td>
                <td className={td}>
                  <input
                    name={field}
                    aria-label={`Replicas of partition ${p.partition}`}
                    aria-invalid={error ? true : undefined}
                    value={values[p.partition] ?? ""}
                    onChange={(e) => setValues({ ...values, [p.partition]: e.target.value })}
                    className={`${input} max-w-xs font-mono`}
                    autoComplete="off"
                  />
                  {error ? (
                    <p role="alert" className="mt-1 text-sm text-red-700" data-testid={`error-${field}`}>
                      {error}
                    </p>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {state && !state.ok && Object.keys(serverErrors).length === 0 ? <ErrorPanel title="Not reassigned">{state.error}</ErrorPanel> : null}
      {state?.ok ? (
        <p className="text-sm text-emerald-700" role="status">
          Reassignment started for partition {state.data.started.join(", ")}; its progress is shown on this page and on the Reassignments page.
        </p>
      ) : null}
      <button type="submit" className={button} disabled={pending || invalid || changed.length === 0}>
        {pending ? "Starting…" : changed.length === 0 ? "Reassign" : `Reassign ${changed.length} partition${changed.length === 1 ? "" : "s"}`}
      </button>
    </form>
  );
}
