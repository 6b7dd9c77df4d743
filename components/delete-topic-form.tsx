"use client";

import { useActionState, useState } from "react";
import { deleteTopicAction, type FormState } from "../app/actions.ts";
import { ErrorPanel, buttonDanger, input } from "./ui.tsx";

/** Deleting needs the topic's name typed again; the server checks it too, then redirects. */
export function DeleteTopicForm({ name }: { name: string }) {
  const [state, action, pending] = useActionState<FormState<{ name: string }>, FormData>(deleteTopicAction, null);
  const [confirm, setConfirm] = useState("");
  const error = state && !state.ok ? (state.fieldErrors?.confirm ?? state.error) : null;
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="name" value={name} />
      <p className="text-sm text-slate-600">
        Deleting removes the topic and all its data on every broker. Type <code className="rounded bg-slate-100 px-1 font-mono">{name}</code> to confirm.
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <input
          name="confirm"
          aria-label="Type the topic name to confirm"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          className={`${input} max-w-xs font-mono`}
          autoComplete="off"
        />
        <button type="submit" className={buttonDanger} disabled={pending || confirm !== name}>
          {pending ? "Deleting…" : "Delete topic"}
        </button>
      </div>
      {error ? <ErrorPanel title="The topic was not deleted">{error}</ErrorPanel> : null}
    </form>
  );
}
