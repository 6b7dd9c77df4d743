"use client";

import { useActionState, useState } from "react";
import { createTopicAction, type FormState } from "../app/actions.ts";
import { Field } from "./field.tsx";
import { ErrorPanel, button, input } from "./ui.tsx";

/**
 * The cluster's default replication factor (a broker's default.replication.factor, null when
 * it could not be read) and how many brokers are alive, shown at the replication factor.
 */
export function CreateTopicForm({ defaultReplicationFactor, liveBrokers }: { defaultReplicationFactor: number | null; liveBrokers: number | null }) {
  const [state, action, pending] = useActionState<FormState<{ name: string }>, FormData>(createTopicAction, null);
  const [values, setValues] = useState({ name: "", partitions: "", replicationFactor: "", retentionMs: "", cleanupPolicy: "", configs: "" });
  const set = (k: keyof typeof values) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [k]: e.target.value }));
  const fieldErrors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  const formError = state && !state.ok && Object.keys(fieldErrors).filter((k) => k !== "_form").length === 0 ? state.error : null;
  const err = (k: string) => fieldErrors[k];
  const aria = (k: string) => (err(k) ? { "aria-invalid": true, "aria-describedby": `${k}-error` } : {});
  return (
    <form action={action} className="max-w-xl space-y-4" noValidate>
      <Field name="name" label="Name" error={err("name")} hint="Letters, digits, '.', '_' and '-', up to 249 characters.">
        <input id="name" name="name" value={values.name} onChange={set("name")} className={input} autoComplete="off" {...aria("name")} />
      </Field>
      <div className="grid grid-cols-2 gap-4">
        <Field name="partitions" label="Partitions" error={err("partitions")} hint="Empty: the broker's num.partitions.">
          <input id="partitions" name="partitions" inputMode="numeric" value={values.partitions} onChange={set("partitions")} className={input} {...aria("partitions")} />
        </Field>
        <Field name="replicationFactor" label="Replication factor" error={err("replicationFactor")} hint={replicationHint(defaultReplicationFactor, liveBrokers)}>
          <input
            id="replicationFactor"
            name="replicationFactor"
            inputMode="numeric"
            placeholder={defaultReplicationFactor !== null ? String(defaultReplicationFactor) : "default"}
            value={values.replicationFactor}
            onChange={set("replicationFactor")}
            className={input}
            {...aria("replicationFactor")}
          />
        </Field>
      </div>
      <div className="grid grid-cols-2 gap-4">
        <Field name="retentionMs" label="retention.ms" error={err("retentionMs")} hint="Empty: the broker's log.retention.*; -1 keeps forever.">
          <input id="retentionMs" name="retentionMs" inputMode="numeric" value={values.retentionMs} onChange={set("retentionMs")} className={input} {...aria("retentionMs")} />
        </Field>
        <Field name="cleanupPolicy" label="cleanup.policy" error={err("cleanupPolicy")}>
          <select id="cleanupPolicy" name="cleanupPolicy" value={values.cleanupPolicy} onChange={set("cleanupPolicy")} className={input} {...aria("cleanupPolicy")}>
            <option value="">broker default</option>
            <option value="delete">delete</option>
            <option value="compact">compact</option>
            <option value="compact,delete">compact,delete</option>
          </select>
        </Field>
      </div>
      <Field name="configs" label="Other configs" error={err("configs")} hint="One name=value per line, e.g. max.message.bytes=2097152 or min.insync.replicas=1.">
        <textarea id="configs" name="configs" rows={3} value={values.configs} onChange={set("configs")} className={`${input} font-mono`} spellCheck={false} {...aria("configs")} />
      </Field>
      {formError ? <ErrorPanel title="The topic was not created">{formError}</ErrorPanel> : null}
      <button type="submit" disabled={pending} className={button}>
        {pending ? "Creating…" : "Create topic"}
      </button>
    </form>
  );
}

function replicationHint(defaultFactor: number | null, liveBrokers: number | null): string {
  const dflt = `Empty: the cluster's default.replication.factor${defaultFactor !== null ? ` (${defaultFactor})` : ""}.`;
  return liveBrokers === null ? dflt : `${dflt} At most ${liveBrokers}: one replica per live broker.`;
}
