/**
 * Reading and writing airlift.lock.json files. Reads validate (InputError naming
 * the file and field); writes are atomic (temporary file in the same directory,
 * then rename) so an interrupted write never leaves a half-written lock.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AirliftError, InputError, IoError, NotFoundError } from '../errors.js';
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

/** Writes a lock atomically in its canonical form (stable key order, images sorted by source). */
export async function writeLock(file: string, lock: Lock): Promise<void> {
  const text = formatLock(lock);
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx', mode: 0o644 });
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof AirliftError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new NotFoundError(`cannot write lock file ${file}: directory ${dir} does not exist`, { cause: e, hint: 'create the directory first' });
    }
    throw new IoError(`cannot write lock file ${file}: ${(e as Error).message}`, { cause: e });
  }
}
