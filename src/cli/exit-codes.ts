/** The one place where error codes become process exit codes. Documented in README.md. */
import type { ErrorCode } from '../errors.js';

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
  // 128 + SIGINT; cmd/main.ts answers 143 (128 + SIGTERM) when SIGTERM stopped the run
  E_INTERRUPTED: 130,
};

export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code] ?? 1;
}
