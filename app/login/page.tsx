import { redirect } from "next/navigation";
import { LoginForm } from "../../components/login-form.tsx";
import { currentUser } from "../../server/auth/session.ts";

export const metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  if (await currentUser().catch(() => null)) redirect("/");
  const { next } = await searchParams;
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
        <h1 className="mb-1 text-2xl font-semibold tracking-tight">Samsa</h1>
        <p className="mb-6 text-sm text-slate-500">Sign in to the cluster console.</p>
        <LoginForm next={next ?? "/"} />
        <p className="mt-6 text-xs text-slate-500">
          First start? The password of <code>admin</code> was printed once in the terminal that ran <code>npm start</code>.
        </p>
      </div>
    </main>
  );
}
