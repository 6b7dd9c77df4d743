"use client";

/** A timestamp in the reader's time zone (the server renders its own; the browser corrects it). */
export function LocalTime({ at, withDate = true }: { at: number; withDate?: boolean }) {
  const d = new Date(at);
  return (
    <time dateTime={d.toISOString()} suppressHydrationWarning className="font-mono text-xs text-slate-500">
      {withDate ? d.toLocaleString() : d.toLocaleTimeString()}
    </time>
  );
}
