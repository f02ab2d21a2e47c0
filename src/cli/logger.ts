/** stderr logger: plain lines, or one JSON object per line with --json. */
import type { Writable } from 'node:stream';
import { redact } from '../errors.js';
import type { Logger, LogLevel } from '../log.js';

export function createLogger(stderr: Writable, opts: { json: boolean; quiet: boolean; verbose: boolean }): Logger {
  const write = (obj: Record<string, unknown>): void => {
    stderr.write(redact(JSON.stringify({ time: new Date().toISOString(), ...obj })) + '\n');
  };
  return {
    debug: opts.verbose && !opts.quiet,
    log(level: LogLevel, message: string, fields?: Record<string, unknown>) {
      if (level === 'debug' && !opts.verbose) return;
      if (opts.quiet && (level === 'info' || level === 'debug')) return;
      if (opts.json) {
        write({ type: 'log', level, message, ...fields });
        return;
      }
      const prefix = level === 'info' ? '' : `${level}: `;
      stderr.write(redact(`${prefix}${message}`) + '\n');
    },
    event(name: string, fields: Record<string, unknown>) {
      if (opts.json) write({ type: name, ...fields });
    },
  };
}
