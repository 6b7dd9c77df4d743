import Link from "next/link";
import { requireUser } from "../../server/auth/session.ts";

export const metadata = { title: "Not allowed" };

export default async function Forbidden({ searchParams }: { searchParams: Promise<{ need?: string }> }) {
  const user = await requireUser();
  const { need } = await searchParams;
  return (
    <main className="mx-auto max-w-lg px-4 py-24 text-center">
      <h1 className="mb-2 text-2xl font-semibold">Not allowed</h1>
      <p className="text-slate-600">
        Your role is <strong>{user.role}</strong>; this page needs <strong>{need ?? "a higher role"}</strong>. Ask an admin for access.
      </p>
      <Link href="/" className="mt-6 inline-block text-sky-700 underline">
        Back to the overview
      </Link>
    </main>
  );
}
