"use client";

import { useActionState } from "react";
import { electPreferredLeadersAction, type FormState } from "../app/actions.ts";
import { ErrorPanel, buttonSecondary } from "./ui.tsx";

/** Preferred leader election for every partition of the topic (ElectLeaders); "not needed" is no error. */
export function ElectPreferredForm({ topic }: { topic: string }) {
  const [state, action, pending] = useActionState<FormState<{ topic: string; elected: number[]; notNeeded: number[] }>, FormData>(electPreferredLeadersAction, null);
  return (
    <form action={action} className="space-y-2" data-testid="elect-preferred-form">
      <input type="hidden" name="topic" value={topic} />
      <button type="submit" className={buttonSecondary} disabled={pending}>
        {pending ? "Electing…" : "Elect preferred leaders"}
      </button>
      {state?.ok ? (
        <p className="text-sm text-emerald-700" role="status" data-testid="election-result">
          {state.data.elected.length > 0 ? `Preferred replica elected for partition ${state.data.elected.join(", ")}. ` : ""}
          {state.data.notNeeded.length > 0 ? `Partition ${state.data.notNeeded.join(", ")} already led by the preferred replica.` : ""}
        </p>
      ) : null}
      {state && !state.ok ? <ErrorPanel title="Election not done">{state.error}</ErrorPanel> : null}
    </form>
  );
}
