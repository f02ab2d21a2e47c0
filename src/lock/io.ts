/**
 * Reading and writing airlift.lock.json files. Reads validate (InputError naming
 * the file and field); writes are atomic for files (temporary file in the same directory,
 * then rename) so an interrupted write never leaves a half-written lock.
 */
import { readFile } from 'node:fs/promises';
import { InputError, IoError, NotFoundError } from '../errors.js';
import { writeOutput } from '../output/file.js';
import type { Lock } from './types.js';
import { formatLock, parseLock } from './validate.js';

export { canonicalLock, formatLock, parseLock, validateLock } from './validate.js';

/** Reads and validates a lock file. */
export async function readLock(file: string): Promise<Lock> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`lock file ${file} does not exist`, { cause: e, hint: 'check the path' });
    if (code === 'EISDIR') throw new InputError(`lock file ${file} is a directory`, { cause: e, hint: 'give the path of a .json lock file' });
    throw new IoError(`cannot read lock file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseLock(text, file);
}

/**
 * Writes a lock in its canonical form (stable key order, images sorted by source): atomically for a
 * file, straight into a device or FIFO (see src/output/file.ts). `label` names the flag in errors.
 */
export async function writeLock(file: string, lock: Lock, label = 'lock file'): Promise<void> {
  await writeOutput(file, formatLock(lock), { mode: 0o644, label });
}
