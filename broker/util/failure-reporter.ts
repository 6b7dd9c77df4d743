import { errorName, KafkaError } from "../protocol/errors.ts";
import type { Logger } from "./logger.ts";

/**
 * Warns about a failing retry loop once per distinct error, not once per attempt, so a
 * peer that is down for a minute costs one log line, and a new kind of failure still shows.
 */
export class FailureReporter {
  private last = "";

  constructor(private readonly log: Logger) {}

  report(e: unknown, message: string): void {
    const why = e instanceof KafkaError ? `${errorName(e.code)}: ${e.message}` : e instanceof Error ? e.message : String(e);
    if (why === this.last) return;
    this.last = why;
    this.log.warn({ err: why }, message);
  }

  /** The loop succeeded: the next failure is reported even if it is the same as before. */
  clear(): void {
    this.last = "";
  }
}
