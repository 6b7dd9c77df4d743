import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./console-process.ts";

/** What global setup started, for global teardown (which runs without its variables). */
export interface E2eState {
  pid: number;
  dataDir: string;
  databaseName: string;
  databaseUrl: string;
}

const FILE = join(ROOT, "test-results", ".e2e-state.json");

export function setState(s: E2eState): void {
  mkdirSync(join(ROOT, "test-results"), { recursive: true });
  writeFileSync(FILE, JSON.stringify(s));
}

export function takeState(): E2eState | null {
  try {
    const s = JSON.parse(readFileSync(FILE, "utf8")) as E2eState;
    rmSync(FILE, { force: true });
    return s;
  } catch {
    return null;
  }
}
