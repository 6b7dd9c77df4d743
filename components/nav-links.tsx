"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/", label: "Overview" },
  { href: "/topics", label: "Topics" },
  { href: "/groups", label: "Consumer groups" },
  { href: "/brokers", label: "Brokers" },
  { href: "/reassignments", label: "Reassignments" },
  { href: "/state-changes", label: "State changes" },
  { href: "/audit", label: "Audit" },
];

export function NavLinks({ admin }: { admin: boolean }) {
  const path = usePathname();
  const links = admin ? [...LINKS, { href: "/users", label: "Users" }] : LINKS;
  return (
    <nav className="flex gap-1 text-sm">
      {links.map((l) => {
        const active = l.href === "/" ? path === "/" : path.startsWith(l.href);
        return (
          <Link
            key={l.href}
            href={l.href}
            className={`rounded-md px-2.5 py-1.5 font-medium ${active ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-100"}`}
          >
            {l.label}
          </Link>
        );
      })}
    </nav>
  );
}
