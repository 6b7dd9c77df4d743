"use client";

import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { produceMessageAction, type FormState } from "../app/actions.ts";
import { Field } from "./field.tsx";
import { ErrorPanel, button, input } from "./ui.tsx";

export function ProduceForm({ topic, partitions }: { topic: string; partitions: number[] }) {
  const router = useRouter();
  const [state, action, pending] = useActionState<FormState<{ partition: number; offset: string }>, FormData>(produceMessageAction, null);
  const [values, setValues] = useState({ key: "", value: "", partition: "" });
  useEffect(() => {
    if (state?.ok) router.refresh();
  }, [state, router]);
  const fe = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <form action={action} className="space-y-3">
      <input type="hidden" name="topic" value={topic} />
      <div className="grid grid-cols-1 gap-3 md:grid-cols-[1fr_2fr_10rem]">
        <Field name="key" label="Key" error={fe.key}>
          <input id="key" name="key" value={values.key} onChange={(e) => setValues({ ...values, key: e.target.value })} className={`${input} font-mono`} placeholder="(none)" />
        </Field>
        <Field name="value" label="Value" error={fe.value}>
          <textarea id="value" name="value" rows={1} value={values.value} onChange={(e) => setValues({ ...values, value: e.target.value })} className={`${input} font-mono`} />
        </Field>
        <Field name="partition" label="Partition" error={fe.partition}>
          <select id="partition" name="partition" value={values.partition} onChange={(e) => setValues({ ...values, partition: e.target.value })} className={input}>
            <option value="">by key</option>
            {partitions.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {state && !state.ok && Object.keys(fe).length === 0 ? <ErrorPanel title="Not produced">{state.error}</ErrorPanel> : null}
      {state?.ok ? (
        <p className="text-sm text-emerald-700" role="status">
          Produced to partition {state.data.partition} at offset {state.data.offset}.
        </p>
      ) : null}
      <button type="submit" className={button} disabled={pending}>
        {pending ? "Producing…" : "Produce test message"}
      </button>
    </form>
  );
}
