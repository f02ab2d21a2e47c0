/** The one place where error codes become process exit codes. Documented in README.md. */
import { InterruptedError, type AirliftError, type ErrorCode } from '../errors.js';

export const EXIT_OK = 0;

export const EXIT_CODES: Record<ErrorCode, number> = {
  E_INTERNAL: 1,
  E_USAGE: 2,
  E_INPUT: 3,
  E_REFERENCE: 3,
  E_AUTH: 4,
  E_NOT_FOUND: 5,
  E_DIGEST_MISMATCH: 6,
  E_BUNDLE: 6,
  E_NETWORK: 7,
  E_REGISTRY: 8,
  E_UNSUPPORTED: 9,
  E_TOO_LARGE: 9,
  E_CONFLICT: 10,
  E_IO: 11,
  E_INCOMPLETE: 12,
  // 128 + SIGINT; exitCodeOf answers 143 (128 + SIGTERM) and 141 (128 + SIGPIPE) for those signals
  E_INTERRUPTED: 130,
};

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code] ?? 1;
}

/** 128 + the signal number, as a shell reports a process the signal killed. */
const SIGNAL_EXIT = { SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 } as const;

/** The exit code of a run that ended with `e`: its code's, or 128 + the signal that stopped it. */
export function exitCodeOf(e: AirliftError): number {
  return e instanceof InterruptedError ? SIGNAL_EXIT[e.signal] : exitCodeFor(e.code);
}
