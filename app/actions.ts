"use server";

// Server-action entry points. Each one delegates to the one action path (server/actions):
// validation, role check, audit record, cluster call, outcome.
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import {
  alterBrokerConfig,
  alterTopicConfig,
  cancelReassignment,
  changePassword,
  createTopic,
  createUser,
  deleteGroup,
  deleteTopic,
  deleteUser,
  electPreferredLeaders,
  produceMessage,
  reassignTopic,
  resetOffsets,
  setUserRole,
} from "../server/actions/definitions.ts";
import { formObject, perform } from "../server/actions/perform.ts";
import type { ActionResult } from "../server/actions/run-action.ts";
import { currentUser, endSession, startSession } from "../server/auth/session.ts";
import { getRuntime } from "../server/runtime.ts";

export type FormState<T = unknown> = ActionResult<T> | null;

export async function createTopicAction(_prev: FormState, form: FormData): Promise<FormState<{ name: string }>> {
  const r = await perform(createTopic, formObject(form));
  if (r.ok) {
    revalidatePath("/topics");
    redirect(`/topics/${encodeURIComponent(r.data.name)}?created=1`);
  }
  return r;
}

export async function deleteTopicAction(_prev: FormState, form: FormData): Promise<FormState<{ name: string }>> {
  const r = await perform(deleteTopic, formObject(form));
  if (r.ok) {
    revalidatePath("/topics");
    // Server-side, so the deleted topic's page is never rendered again (it would be a 404).
    redirect(`/topics?deleted=${encodeURIComponent(r.data.name)}`);
  }
  return r;
}

export async function produceMessageAction(_prev: FormState, form: FormData): Promise<FormState<{ partition: number; offset: string }>> {
  return perform(produceMessage, formObject(form));
}

export async function resetOffsetsAction(_prev: FormState, form: FormData): Promise<FormState<{ partition: number; offset: string }[]>> {
  const r = await perform(resetOffsets, formObject(form));
  if (r.ok) revalidatePath("/groups");
  return r;
}

export async function deleteGroupAction(_prev: FormState, form: FormData): Promise<FormState<{ groupId: string }>> {
  const r = await perform(deleteGroup, formObject(form));
  if (r.ok) {
    revalidatePath("/groups");
    redirect(`/groups?deleted=${encodeURIComponent(r.data.groupId)}`);
  }
  return r;
}

export async function alterBrokerConfigAction(_prev: FormState, form: FormData): Promise<FormState<{ brokerId: number; name: string; value: string | null }>> {
  const r = await perform(alterBrokerConfig, formObject(form));
  if (r.ok) revalidatePath(`/brokers/${r.data.brokerId}`);
  return r;
}

export async function alterTopicConfigAction(_prev: FormState, form: FormData): Promise<FormState<{ topic: string; name: string; value: string | null }>> {
  const r = await perform(alterTopicConfig, formObject(form));
  if (r.ok) revalidatePath(`/topics/${encodeURIComponent(r.data.topic)}`);
  return r;
}

export async function reassignTopicAction(_prev: FormState, form: FormData): Promise<FormState<{ topic: string; started: number[] }>> {
  const r = await perform(reassignTopic, formObject(form));
  if (r.ok) {
    revalidatePath(`/topics/${encodeURIComponent(r.data.topic)}`);
    revalidatePath("/reassignments");
  }
  return r;
}

export async function cancelReassignmentAction(_prev: FormState, form: FormData): Promise<FormState<{ topic: string; partition: number }>> {
  const r = await perform(cancelReassignment, formObject(form));
  if (r.ok) {
    revalidatePath(`/topics/${encodeURIComponent(r.data.topic)}`);
    revalidatePath("/reassignments");
  }
  return r;
}

export async function electPreferredLeadersAction(_prev: FormState, form: FormData): Promise<FormState<{ topic: string; elected: number[]; notNeeded: number[] }>> {
  const r = await perform(electPreferredLeaders, formObject(form));
  if (r.ok) revalidatePath(`/topics/${encodeURIComponent(r.data.topic)}`);
  return r;
}

export async function createUserAction(_prev: FormState, form: FormData): Promise<FormState<{ username: string }>> {
  const r = await perform(createUser, formObject(form));
  if (r.ok) revalidatePath("/users");
  return r;
}

export async function deleteUserAction(_prev: FormState, form: FormData): Promise<FormState<{ username: string }>> {
  const r = await perform(deleteUser, formObject(form));
  if (r.ok) revalidatePath("/users");
  return r;
}

export async function setUserRoleAction(_prev: FormState, form: FormData): Promise<FormState<{ username: string; role: string }>> {
  const r = await perform(setUserRole, formObject(form));
  if (r.ok) revalidatePath("/users");
  return r;
}

export async function changePasswordAction(_prev: FormState, form: FormData): Promise<FormState<{ username: string }>> {
  return perform(changePassword, formObject(form));
}

export async function signInAction(_prev: FormState, form: FormData): Promise<FormState> {
  const username = String(form.get("username") ?? "").trim();
  const password = String(form.get("password") ?? "");
  const next = String(form.get("next") ?? "/");
  if (!username || !password) return { ok: false, error: "Enter your user name and password." };
  let rt;
  try {
    rt = await getRuntime();
  } catch (err) {
    return { ok: false, error: `The console cannot reach its database (${err instanceof Error ? err.message : String(err)}).` };
  }
  const user = await rt.users.verify(username, password);
  await rt.audit
    .record({ actor: username, role: user?.role ?? "none", action: "session.signIn", parameters: {}, cluster: rt.config.clusterName, outcome: user ? "ok" : "error", error: user ? null : "wrong user name or password" })
    .catch(() => {});
  if (!user) return { ok: false, error: "Wrong user name or password." };
  await startSession(user.username);
  redirect(next.startsWith("/") && !next.startsWith("//") ? next : "/");
}

export async function signOutAction(): Promise<void> {
  const user = await currentUser().catch(() => null);
  await endSession();
  if (user) {
    const rt = await getRuntime();
    await rt.audit.record({ actor: user.username, role: user.role, action: "session.signOut", parameters: {}, cluster: rt.config.clusterName, outcome: "ok" }).catch(() => {});
  }
  redirect("/login");
}
