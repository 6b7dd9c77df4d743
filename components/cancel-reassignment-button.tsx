"use client";

import { useActionState } from "react";
import { cancelReassignmentAction, type FormState } from "../app/actions.ts";
import { buttonDanger } from "./ui.tsx";

/** Cancels one partition's reassignment; Kafka reverts it to the replicas it had. */
export function CancelReassignmentButton({ topic, partition }: { topic: string; partition: number }) {
  const [state, action, pending] = useActionState<FormState<{ topic: string; partition: number }>, FormData>(cancelReassignmentAction, null);
  return (
    <form action={action} className="space-y-1">
      <input type="hidden" name="topic" value={topic} />
      <input type="hidden" name="partition" value={partition} />
      <button type="submit" className={buttonDanger} disabled={pending || state?.ok === true} aria-label={`Cancel the reassignment of ${topic}-${partition}`}>
        {pending ? "Cancelling…" : state?.ok ? "Cancelled" : "Cancel"}
      </button>
      {state && !state.ok ? (
        <p role="alert" className="text-xs text-red-700">
          {state.error}
        </p>
      ) : null}
    </form>
  );
}
