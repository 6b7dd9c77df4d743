import type { z } from "zod";
import { currentUser } from "../auth/session.ts";
import { getRuntime } from "../runtime.ts";
import type { ActionContext } from "./definitions.ts";
import { runAction, type ActionDefinition, type ActionResult } from "./run-action.ts";

/** Runs a console action for the signed-in caller of a server action (see runAction). */
export async function perform<S extends z.ZodType, T>(def: ActionDefinition<S, T, ActionContext>, rawInput: unknown): Promise<ActionResult<T>> {
  let rt;
  try {
    rt = await getRuntime();
  } catch (err) {
    return { ok: false, code: "CONSOLE_UNAVAILABLE", error: `The console cannot reach its database, so the action was not run (${err instanceof Error ? err.message : String(err)}).` };
  }
  let user;
  try {
    user = await currentUser();
  } catch (err) {
    return { ok: false, code: "AUDIT_UNAVAILABLE", error: `The action was not run because the console's database is unreachable (${err instanceof Error ? err.message : String(err)}).` };
  }
  return runAction(def, { audit: rt.audit, clusterName: rt.config.clusterName, context: { cluster: rt.cluster, groups: rt.groups, users: rt.users } }, user, rawInput);
}

/** A form's fields as a plain object of strings (files are ignored). */
export function formObject(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form.entries()) if (typeof v === "string" && !k.startsWith("$ACTION")) out[k] = v;
  return out;
}
