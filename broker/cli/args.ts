/** Minimal `--flag value` / `--flag=value` parser; repeated flags accumulate. */
export interface ParsedArgs {
  command: string | undefined;
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string[]>();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) {
      if (command === undefined) command = arg;
      else throw new Error(`unexpected argument "${arg}"`);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    let value: string;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new Error(`--${name} needs a value`);
      value = next;
      i++;
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { command, flags };
}

/** `key=value` overrides (Kafka's --override syntax). */
export function parseOverrides(values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0) throw new Error(`--override expects key=value, got "${v}"`);
    out.set(v.slice(0, eq).trim(), v.slice(eq + 1).trim());
  }
  return out;
}
