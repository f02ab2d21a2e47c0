/**
 * `--keep-going` (save, load, sync): every image that can be copied is copied; the ones that could
 * not are listed (reference, error code, message) in one E_INCOMPLETE error (exit 12) and in the
 * lock's `missing`. Pure.
 */
import { IncompleteError } from '../errors.js';
import type { LockMissing } from '../lock/types.js';
import type { CopyResult } from './types.js';

/** The failed copies of a run, as the lock records them. */
export function missingEntries(results: readonly CopyResult[], sourceOf: (i: number) => string): LockMissing[] {
  const out: LockMissing[] = [];
  results.forEach((r, i) => {
    if (r.status !== 'failed') return;
    out.push({ source: sourceOf(i), code: r.error?.code ?? 'E_INTERNAL', message: r.error?.message ?? `${r.name} failed` });
  });
  return out;
}

/**
 * The error that ends a --keep-going run where some copies failed (undefined when none did):
 * every failure, one line each, and what the run did with the rest (`done`, e.g. "the bundle holds the other 3").
 */
export function keepGoingError(missing: readonly LockMissing[], total: number, verb: string, done: string): IncompleteError | undefined {
  if (missing.length === 0) return undefined;
  const lines = missing.slice(0, 50).map((m) => `  ${m.source}: ${m.code}: ${m.message.startsWith(`${m.source}: `) ? m.message.slice(m.source.length + 2) : m.message}`);
  if (missing.length > 50) lines.push(`  … and ${missing.length - 50} more`);
  return new IncompleteError(`${missing.length} of ${total} could not be ${verb} (--keep-going: ${done}):\n${lines.join('\n')}`, {
    hint: 'fix what each line names (credentials, a tag that does not exist) and run again',
  });
}
