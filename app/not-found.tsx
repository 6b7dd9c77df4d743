import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-lg px-4 py-24 text-center">
      <h1 className="mb-2 text-2xl font-semibold">Not found</h1>
      <p className="text-slate-600">There is nothing here: the topic or page may have been deleted.</p>
      <Link href="/topics" className="mt-6 inline-block text-sky-700 underline">
        Back to the topics
      </Link>
    </main>
  );
}
