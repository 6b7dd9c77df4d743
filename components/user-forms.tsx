"use client";

import { useActionState, useState } from "react";
import { changePasswordAction, createUserAction, deleteUserAction, setUserRoleAction, type FormState } from "../app/actions.ts";
import { Field } from "./field.tsx";
import { ErrorPanel, button, buttonDanger, buttonSecondary, input } from "./ui.tsx";

export function CreateUserForm() {
  const [state, action, pending] = useActionState<FormState<{ username: string }>, FormData>(createUserAction, null);
  const [v, setV] = useState({ username: "", password: "", role: "viewer" });
  const fe = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <form action={action} className="grid grid-cols-1 items-start gap-3 md:grid-cols-4">
      <Field name="username" label="User name" error={fe.username}>
        <input id="username" name="username" value={v.username} onChange={(e) => setV({ ...v, username: e.target.value })} className={input} autoComplete="off" />
      </Field>
      <Field name="password" label="Password" error={fe.password}>
        <input id="password" name="password" type="password" value={v.password} onChange={(e) => setV({ ...v, password: e.target.value })} className={input} autoComplete="new-password" />
      </Field>
      <Field name="role" label="Role" error={fe.role}>
        <select id="role" name="role" value={v.role} onChange={(e) => setV({ ...v, role: e.target.value })} className={input}>
          <RoleOptions />
        </select>
      </Field>
      <div className="pt-6">
        <button type="submit" className={button} disabled={pending}>
          Add user
        </button>
      </div>
      {state && !state.ok && Object.keys(fe).length === 0 ? (
        <div className="md:col-span-4">
          <ErrorPanel title="Not added">{state.error}</ErrorPanel>
        </div>
      ) : null}
      {state?.ok ? (
        <p className="text-sm text-emerald-700 md:col-span-4" role="status">
          Added {state.data.username}.
        </p>
      ) : null}
    </form>
  );
}

export function DeleteUserButton({ username }: { username: string }) {
  const [state, action, pending] = useActionState<FormState<{ username: string }>, FormData>(deleteUserAction, null);
  return (
    <form action={action} className="inline">
      <input type="hidden" name="username" value={username} />
      <button type="submit" className={`${buttonDanger} px-2 py-1 text-xs`} disabled={pending}>
        Delete
      </button>
      {state && !state.ok ? <span className="ml-2 text-xs text-red-700">{state.error}</span> : null}
    </form>
  );
}

export function ChangePasswordForm({ username }: { username: string }) {
  const [state, action, pending] = useActionState<FormState<{ username: string }>, FormData>(changePasswordAction, null);
  const [pw, setPw] = useState("");
  return (
    <form action={action} className="inline-flex items-center gap-2">
      <input type="hidden" name="username" value={username} />
      <input name="password" type="password" placeholder="new password" value={pw} onChange={(e) => setPw(e.target.value)} className={`${input} w-40 py-1 text-xs`} autoComplete="new-password" />
      <button type="submit" className={`${buttonSecondary} px-2 py-1 text-xs`} disabled={pending}>
        Set
      </button>
      {state && !state.ok ? <span className="text-xs text-red-700">{state.fieldErrors?.password ?? state.error}</span> : null}
      {state?.ok ? <span className="text-xs text-emerald-700">changed</span> : null}
    </form>
  );
}

function RoleOptions() {
  return (
    <>
      <option value="viewer">viewer (read only)</option>
      <option value="operator">operator (topics, offsets)</option>
      <option value="admin">admin (everything, users)</option>
    </>
  );
}

/** Changes another user's role; takes effect on their next request (the role is read per request). */
export function SetRoleForm({ username, role }: { username: string; role: string }) {
  const [state, action, pending] = useActionState<FormState<{ username: string; role: string }>, FormData>(setUserRoleAction, null);
  const [value, setValue] = useState(role);
  return (
    <form action={action} className="inline-flex items-center gap-2">
      <input type="hidden" name="username" value={username} />
      <select name="role" value={value} onChange={(e) => setValue(e.target.value)} className={`${input} w-48 py-1 text-xs`} aria-label={`Role of ${username}`}>
        <RoleOptions />
      </select>
      <button type="submit" className={`${buttonSecondary} px-2 py-1 text-xs`} disabled={pending || value === role}>
        Change
      </button>
      {state && !state.ok ? <span className="text-xs text-red-700">{state.error}</span> : null}
      {state?.ok ? (
        <span className="text-xs text-emerald-700" role="status">
          now {state.data.role}
        </span>
      ) : null}
    </form>
  );
}
