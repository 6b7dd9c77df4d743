import Link from "next/link";

/** Previous/next links that keep the other query parameters. */
export function Pager({ page, pages, base, params }: { page: number; pages: number; base: string; params: Record<string, string | undefined> }) {
  const href = (p: number) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
    q.set("page", String(p));
    return `${base}?${q.toString()}`;
  };
  const link = "rounded-md border border-slate-300 bg-white px-2.5 py-1 text-sm hover:bg-slate-50";
  const disabled = "rounded-md border border-slate-200 px-2.5 py-1 text-sm text-slate-300";
  return (
    <nav className="flex items-center gap-2" aria-label="pages">
      {page > 1 ? <Link className={link} href={href(1)}>« First</Link> : <span className={disabled}>« First</span>}
      {page > 1 ? <Link className={link} href={href(page - 1)} rel="prev">‹ Previous</Link> : <span className={disabled}>‹ Previous</span>}
      <span className="px-2 text-sm text-slate-600" data-testid="page-indicator">
        Page {page} of {pages}
      </span>
      {page < pages ? <Link className={link} href={href(page + 1)} rel="next">Next ›</Link> : <span className={disabled}>Next ›</span>}
      {page < pages ? <Link className={link} href={href(pages)}>Last »</Link> : <span className={disabled}>Last »</span>}
    </nav>
  );
}
