/**
 * What the log reports (recoveries, truncations, deletions). A pino logger fits; tests pass
 * nothing and get silence.
 */
export interface LogLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const silentLogger: LogLogger = { info() {}, warn() {}, error() {} };
