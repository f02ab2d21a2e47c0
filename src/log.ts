/**
 * Logging and progress events. stdout is for data; everything here goes to
 * stderr (plain lines, a spinner on a terminal, or one JSON object per line
 * with --json). Library code only sees this interface.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /**
   * false: debug lines are dropped (no --verbose), so a caller on a hot path (a line per request)
   * need not build them; undefined: they may be written.
   */
  readonly debug?: boolean;
  /** A machine-readable progress event (`image.start`, `blob.done`, ...). */
  event(name: string, fields: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
  log() {},
  event() {},
};
