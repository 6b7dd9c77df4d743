import type { z } from "zod";
import { isAuditUnavailable, type AuditStore } from "../db/audit.ts";
import { allows, type Role, type SessionUser } from "../auth/roles.ts";
import { isClusterError } from "../kafka/errors.ts";

/** What a server action returns to its form: the result, or errors to show. */
export type ActionResult<T> =
  | { ok: true; data: T; warning?: string }
  | { ok: false; error: string; code?: string; fieldErrors?: Record<string, string> };

/** One console mutation: its name in the audit history, the role it needs, its input. */
export interface ActionDefinition<S extends z.ZodType, T, C> {
  name: string;
  role: Role;
  input: S;
  /** The parameters written to the audit record (never secrets). */
  audit(input: z.output<S>): Record<string, unknown>;
  run(input: z.output<S>, ctx: C & { user: SessionUser }): Promise<T>;
}

export interface ActionDeps<C> {
  audit: AuditStore;
  /** Written in every audit record. */
  clusterName: string;
  context: C;
}

/**
 * The one path every mutation takes: the caller must be signed in; the input is validated;
 * the role is checked (a refusal is audited too); the audit record is written before the
 * cluster is called, and if it cannot be written the action does not run; then the cluster
 * is called and the outcome, failures included, is recorded.
 */
export async function runAction<S extends z.ZodType, T, C>(
  def: ActionDefinition<S, T, C>,
  deps: ActionDeps<C>,
  user: SessionUser | null,
  rawInput: unknown,
): Promise<ActionResult<T>> {
  if (!user) return { ok: false, code: "UNAUTHENTICATED", error: "You are not signed in (or your session expired). Sign in and try again." };

  const parsed = def.input.safeParse(rawInput);
  if (!parsed.success) {
    const fieldErrors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const key = issue.path.map(String).join(".") || "_form";
      fieldErrors[key] ??= issue.message;
    }
    return { ok: false, code: "INVALID_INPUT", error: "Some values are not valid.", fieldErrors };
  }
  const input = parsed.data as z.output<S>;
  const base = { actor: user.username, role: user.role, action: def.name, parameters: safeAudit(def, input), cluster: deps.clusterName };

  if (!allows(user.role, def.role)) {
    const error = `Your role (${user.role}) does not allow ${def.name}; it needs ${def.role} or higher.`;
    await deps.audit.record({ ...base, outcome: "error", error: `forbidden: ${error}` }).catch(() => {});
    return { ok: false, code: "FORBIDDEN", error };
  }

  let auditId: string;
  try {
    auditId = await deps.audit.begin(base);
  } catch (err) {
    const error = isAuditUnavailable(err) ? err.message : `The action was not run because its audit record could not be written.`;
    return { ok: false, code: "AUDIT_UNAVAILABLE", error };
  }

  let result: ActionResult<T>;
  try {
    const data = await def.run(input, { ...deps.context, user });
    result = { ok: true, data };
  } catch (err) {
    result = failure(err);
  }

  try {
    await deps.audit.finish(auditId, result.ok ? "ok" : "error", result.ok ? null : result.code && !result.error.startsWith(result.code) ? `${result.code}: ${result.error}` : result.error);
  } catch (err) {
    const note = `The outcome could not be recorded in the audit history (${isAuditUnavailable(err) ? err.reason : String(err)}).`;
    if (result.ok) return { ...result, warning: note };
    return { ...result, error: `${result.error} ${note}` };
  }
  return result;
}

function failure(err: unknown): { ok: false; error: string; code: string; fieldErrors?: Record<string, string> } {
  if (isClusterError(err)) {
    const message = `${err.code}: ${err.message}`;
    return err.field ? { ok: false, code: err.code, error: message, fieldErrors: { [err.field]: message } } : { ok: false, code: err.code, error: message };
  }
  if (err instanceof Error && err.name === "ActionRefused") {
    const r = err as ActionRefused;
    return { ok: false, code: r.code, error: r.message, ...(r.field ? { fieldErrors: { [r.field]: r.message } } : {}) };
  }
  return { ok: false, code: "ERROR", error: err instanceof Error ? err.message : String(err) };
}

function safeAudit<S extends z.ZodType, T, C>(def: ActionDefinition<S, T, C>, input: z.output<S>): Record<string, unknown> {
  try {
    return def.audit(input);
  } catch {
    return {};
  }
}

/** A refusal by the console itself (not the cluster), e.g. deleting the last admin. */
export class ActionRefused extends Error {
  override readonly name = "ActionRefused";

  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
