"use client";

import { useActionState, useState } from "react";
import { deleteGroupAction, resetOffsetsAction, type FormState } from "../app/actions.ts";
import { Field } from "./field.tsx";
import { ErrorPanel, button, buttonDanger, input } from "./ui.tsx";

/** Resets a group's offsets for one topic; Kafka allows it only while the group is Empty. */
export function ResetOffsetsForm({ groupId, topics, empty }: { groupId: string; topics: string[]; empty: boolean }) {
  const [state, action, pending] = useActionState<FormState<{ partition: number; offset: string }[]>, FormData>(resetOffsetsAction, null);
  const [v, setV] = useState({ topic: topics[0] ?? "", to: "earliest", offset: "", timestamp: "" });
  const fe = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="groupId" value={groupId} />
      <div className="grid grid-cols-1 gap-3 md:grid-cols-4">
        <Field name="topic" label="Topic" error={fe.topic}>
          <input id="topic" name="topic" list="group-topics" value={v.topic} onChange={(e) => setV({ ...v, topic: e.target.value })} className={`${input} font-mono`} />
          <datalist id="group-topics">
            {topics.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </Field>
        <Field name="to" label="Reset to" error={fe.to}>
          <select id="to" name="to" value={v.to} onChange={(e) => setV({ ...v, to: e.target.value })} className={input}>
            <option value="earliest">earliest</option>
            <option value="latest">latest</option>
            <option value="offset">offset</option>
            <option value="timestamp">timestamp</option>
          </select>
        </Field>
        {v.to === "offset" ? (
          <Field name="offset" label="Offset" error={fe.offset}>
            <input id="offset" name="offset" inputMode="numeric" value={v.offset} onChange={(e) => setV({ ...v, offset: e.target.value })} className={input} />
          </Field>
        ) : null}
        {v.to === "timestamp" ? (
          <Field name="timestamp" label="Timestamp" error={fe.timestamp}>
            <input id="timestamp" name="timestamp" type="datetime-local" value={v.timestamp} onChange={(e) => setV({ ...v, timestamp: e.target.value })} className={input} />
          </Field>
        ) : null}
      </div>
      {state && !state.ok && Object.keys(fe).length === 0 ? <ErrorPanel title="Offsets not reset">{state.error}</ErrorPanel> : null}
      {state?.ok ? (
        <p className="text-sm text-emerald-700" role="status">
          Offsets reset: {state.data.map((p) => `${p.partition}→${p.offset}`).join(", ")}.
        </p>
      ) : null}
      <button type="submit" className={button} disabled={pending} title={empty ? undefined : "Kafka resets offsets only while the group is Empty"}>
        {pending ? "Resetting…" : "Reset offsets"}
      </button>
    </form>
  );
}

export function DeleteGroupForm({ groupId }: { groupId: string }) {
  const [state, action, pending] = useActionState<FormState<{ groupId: string }>, FormData>(deleteGroupAction, null);
  const [confirm, setConfirm] = useState("");
  const error = state && !state.ok ? (state.fieldErrors?.confirm ?? state.error) : null;
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="groupId" value={groupId} />
      <p className="text-sm text-slate-600">
        Deleting removes the group and its committed offsets. Type <code className="rounded bg-slate-100 px-1 font-mono">{groupId}</code> to confirm.
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <input name="confirm" aria-label="Type the group id to confirm" value={confirm} onChange={(e) => setConfirm(e.target.value)} className={`${input} max-w-xs font-mono`} autoComplete="off" />
        <button type="submit" className={buttonDanger} disabled={pending || confirm !== groupId}>
          {pending ? "Deleting…" : "Delete group"}
        </button>
      </div>
      {error ? <ErrorPanel title="The group was not deleted">{error}</ErrorPanel> : null}
    </form>
  );
}
