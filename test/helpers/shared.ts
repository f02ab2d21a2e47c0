/**
 * The shared chart material next to the checkout (../shared/: corpus/charts, charts-real). Tests
 * that need it take its paths from here and fail with a message saying what is missing and where.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared');

/** The path of `rel` under ../shared/; throws when it is absent (a test never skips silently). */
export function sharedPath(rel: string): string {
  const p = path.join(SHARED_DIR, rel);
  if (!existsSync(p)) {
    throw new Error(`${p} is missing: this test needs the shared chart material (${rel}) in ${SHARED_DIR}, next to the checkout; copy or link it there`);
  }
  return p;
}
