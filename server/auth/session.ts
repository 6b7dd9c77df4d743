import { getIronSession, type IronSession } from "iron-session";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getRuntime } from "../runtime.ts";
import { allows, type Role, type SessionUser } from "./roles.ts";

interface SessionData {
  username?: string;
  signedInAt?: number;
}

const COOKIE = "samsa_session";
/** Sessions last 12 hours. */
const TTL_SECONDS = 12 * 3600;

async function session(): Promise<IronSession<SessionData>> {
  const rt = await getRuntime();
  return getIronSession<SessionData>(await cookies(), {
    cookieName: COOKIE,
    password: rt.sessionSecret,
    ttl: TTL_SECONDS,
    cookieOptions: { httpOnly: true, sameSite: "lax", secure: process.env.SAMSA_SECURE_COOKIES === "1", path: "/" },
  });
}

/**
 * The signed-in user, read from the sealed cookie and then from the database, so a deleted
 * user or a changed role takes effect on the next request.
 */
export async function currentUser(): Promise<SessionUser | null> {
  const s = await session();
  if (!s.username) return null;
  const rt = await getRuntime();
  return rt.users.find(s.username);
}

export async function startSession(username: string): Promise<void> {
  const s = await session();
  s.username = username;
  s.signedInAt = Date.now();
  await s.save();
}

export async function endSession(): Promise<void> {
  const s = await session();
  s.destroy();
}

/** For pages: the user, or a redirect to the sign-in page. */
export async function requireUser(): Promise<SessionUser> {
  const u = await currentUser();
  if (!u) return redirect("/login");
  return u;
}

/** For pages that need a role: the user, or the "not allowed" page. */
export async function requirePageRole(role: Role): Promise<SessionUser> {
  const u = await requireUser();
  if (!allows(u.role, role)) redirect(`/forbidden?need=${role}`);
  return u;
}
