/** Atomic output files: written under a temporary name in the same directory, then renamed. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AirliftError, IoError, NotFoundError } from '../errors.js';

/** Writes `text` to `file` atomically with `mode` (0600 for anything holding credentials). */
export async function writeFileAtomic(file: string, text: string | Buffer, mode = 0o644, opts: { mkdir?: boolean } = {}): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  if (opts.mkdir) await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { flag: 'wx', mode });
    await chmod(tmp, mode);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof AirliftError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`cannot write ${file}: directory ${dir} does not exist`, { cause: e, hint: 'create the directory first' });
    if (code === 'EISDIR') throw new IoError(`cannot write ${file}: it is a directory`, { cause: e, hint: 'give a file path' });
    throw new IoError(`cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
}
