import pino from "pino";

/**
 * Structured logs, quiet by default: warnings and errors only unless SAMSA_LOG_LEVEL says
 * otherwise. Logs go to stderr so stdout stays free for command output.
 */
export type Logger = pino.Logger;

export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  return pino({ level: process.env.SAMSA_LOG_LEVEL ?? "warn", base: bindings }, pino.destination(2));
}
