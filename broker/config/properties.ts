/**
 * Reads Java `.properties` text (server.properties): `key=value`, `key: value` or
 * `key value`, `#`/`!` comments, backslash line continuations and escapes.
 */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, "");
    }
    const sep = findSeparator(line);
    const key = unescape(line.slice(0, sep.keyEnd));
    const value = unescape(line.slice(sep.valueStart));
    out.set(key, value);
  }
  return out;
}

function endsWithOddBackslashes(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

function findSeparator(line: string): { keyEnd: number; valueStart: number } {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c === "=" || c === ":" || c === " " || c === "\t") {
      let j = i;
      while (j < line.length && (line[j] === " " || line[j] === "\t")) j++;
      if (c === " " || c === "\t") {
        if (line[j] === "=" || line[j] === ":") j++;
      } else j = i + 1;
      while (j < line.length && (line[j] === " " || line[j] === "\t")) j++;
      return { keyEnd: i, valueStart: j };
    }
  }
  return { keyEnd: line.length, valueStart: line.length };
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return { t: "\t", n: "\n", r: "\r", f: "\f" }[e] ?? e;
  });
}
