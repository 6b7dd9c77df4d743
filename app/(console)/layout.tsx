import type { ReactNode } from "react";
import { LiveUpdates } from "../../components/live-updates.tsx";
import { NavLinks } from "../../components/nav-links.tsx";
import { signOutAction } from "../actions.ts";
import { requireUser } from "../../server/auth/session.ts";
import { getRuntime } from "../../server/runtime.ts";

export const dynamic = "force-dynamic";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  const rt = await getRuntime();
  const last = rt.hub.recent(1)[0];
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <div className="flex items-baseline gap-2">
            <span className="text-lg font-semibold tracking-tight">Samsa</span>
            <span className="text-xs text-slate-500" data-testid="cluster-name">
              {rt.config.clusterName}
            </span>
          </div>
          <NavLinks admin={user.role === "admin"} />
          <div className="ml-auto flex items-center gap-3 text-sm">
            <LiveUpdates after={last?.seq ?? 0} />
            <span className="text-slate-600" data-testid="whoami">
              {user.username} <span className="text-slate-400">({user.role})</span>
            </span>
            <form action={signOutAction}>
              <button type="submit" className="text-slate-600 underline-offset-2 hover:underline">
                Sign out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
    </div>
  );
}
