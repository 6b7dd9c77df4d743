"use client";

import { useActionState, useState } from "react";
import { alterBrokerConfigAction, type FormState } from "../app/actions.ts";
import { Field } from "./field.tsx";
import { ErrorPanel, button, buttonSecondary, input } from "./ui.tsx";

/**
 * Sets or removes one dynamic config of one broker. The names offered are the broker's
 * configs that are not read-only; the server checks again (and Kafka after it).
 */
export function BrokerConfigForm({ brokerId, editable }: { brokerId: number; editable: { name: string; value: string | null; source: string }[] }) {
  const [state, action, pending] = useActionState<FormState<{ brokerId: number; name: string; value: string | null }>, FormData>(alterBrokerConfigAction, null);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const fe = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  const current = editable.find((c) => c.name === name);
  return (
    <form action={action} className="space-y-3" data-testid="broker-config-form">
      <input type="hidden" name="brokerId" value={brokerId} />
      <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field name="name" label="Config" error={fe.name} hint={current ? `now ${current.value ?? "(none)"} from ${current.source}` : "a dynamic broker config, e.g. log.retention.ms"}>
          <input id="name" name="name" list="broker-config-names" value={name} onChange={(e) => setName(e.target.value)} className={`${input} font-mono`} autoComplete="off" aria-invalid={fe.name ? true : undefined} />
          <datalist id="broker-config-names">
            {editable.map((c) => (
              <option key={c.name} value={c.name} />
            ))}
          </datalist>
        </Field>
        <Field name="value" label="Value" error={fe.value}>
          <input id="value" name="value" value={value} onChange={(e) => setValue(e.target.value)} className={`${input} font-mono`} autoComplete="off" aria-invalid={fe.value ? true : undefined} />
        </Field>
      </div>
      {state && !state.ok && Object.keys(fe).length === 0 ? <ErrorPanel title="The config was not changed">{state.error}</ErrorPanel> : null}
      {state?.ok ? (
        <p className="text-sm text-emerald-700" role="status">
          {state.data.value === null ? `Removed the override of ${state.data.name} on broker ${state.data.brokerId}.` : `Set ${state.data.name} = ${state.data.value} on broker ${state.data.brokerId}.`}
          {state.warning ? ` ${state.warning}` : ""}
        </p>
      ) : null}
      <div className="flex gap-2">
        <button type="submit" name="op" value="set" className={button} disabled={pending}>
          {pending ? "Saving…" : "Set dynamic config"}
        </button>
        <button type="submit" name="op" value="delete" className={buttonSecondary} disabled={pending}>
          Remove override
        </button>
      </div>
    </form>
  );
}
