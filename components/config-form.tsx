"use client";

import { useActionState, useState } from "react";
import type { FormState } from "../app/actions.ts";
import { Field } from "./field.tsx";
import { ErrorPanel, button, buttonSecondary, input } from "./ui.tsx";

export type ConfigChange = { name: string; value: string | null };

/**
 * Sets or removes one config of one resource (a broker's dynamic config, a topic's config)
 * through the given server action. `resource` names the hidden fields the action needs (the
 * broker id, the topic); the names offered are the editable configs, which the server and
 * then Kafka check again.
 */
export function ConfigForm({
  action: serverAction,
  resource,
  subject,
  editable,
  setLabel,
  hint,
}: {
  action: (prev: FormState<ConfigChange>, form: FormData) => Promise<FormState<ConfigChange>>;
  resource: Record<string, string>;
  /** "broker 0", "topic orders": how the outcome names the resource. */
  subject: string;
  editable: { name: string; value: string | null; source: string }[];
  setLabel: string;
  hint: string;
}) {
  const [state, action, pending] = useActionState<FormState<ConfigChange>, FormData>(serverAction, null);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const fe = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  const current = editable.find((c) => c.name === name);
  return (
    <form action={action} className="space-y-3" data-testid="config-form">
      {Object.entries(resource).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
        <Field name="name" label="Config" error={fe.name} hint={current ? `now ${current.value ?? "(none)"} from ${current.source}` : hint}>
          <input id="name" name="name" list="config-names" value={name} onChange={(e) => setName(e.target.value)} className={`${input} font-mono`} autoComplete="off" aria-invalid={fe.name ? true : undefined} />
          <datalist id="config-names">
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
          {state.data.value === null ? `Removed the override of ${state.data.name} on ${subject}.` : `Set ${state.data.name} = ${state.data.value} on ${subject}.`}
          {state.warning ? ` ${state.warning}` : ""}
        </p>
      ) : null}
      <div className="flex gap-2">
        <button type="submit" name="op" value="set" className={button} disabled={pending}>
          {pending ? "Saving…" : setLabel}
        </button>
        <button type="submit" name="op" value="delete" className={buttonSecondary} disabled={pending}>
          Remove override
        </button>
      </div>
    </form>
  );
}
