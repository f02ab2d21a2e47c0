/**
 * Output files (`-o`, `--lock-out`, `--secret-out`, the files under `--emit-dir`, a bundle).
 * What a path names decides how it is written:
 * - nothing yet, or a regular file: a temporary file in the same directory, fsynced, renamed over
 *   it, so the path never holds half a file (a symlink is followed: its target is replaced, the
 *   link stays);
 * - a character device (`/dev/null`, `/dev/stdout`, a terminal) or a FIFO: written straight into
 *   it. A rename would replace the device node by a regular file (as root, `-o /dev/null` once
 *   turned /dev/null into one);
 * - a directory, a socket or a block device: refused before anything is written.
 * `-` is stdout, written by the caller.
 */
import { randomBytes } from 'node:crypto';
import { type Stats } from 'node:fs';
import { chmod, mkdir, open, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AirliftError, IoError, NotFoundError, UsageError } from '../errors.js';

export type OutputKind = 'new' | 'file' | 'stream';

export interface OutputTarget {
  /** The path to write (a symlink's target for files; the path itself for devices and FIFOs). */
  path: string;
  kind: OutputKind;
}

function what(label: string | undefined, file: string): string {
  return label ? `${label} ${file}` : file;
}

/** Refuses what cannot be an output; `st` is the stat of an existing path. */
function kindOf(file: string, st: Stats, label?: string): OutputKind {
  if (st.isFile()) return 'file';
  if (st.isCharacterDevice() || st.isFIFO()) return 'stream';
  const is = st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : st.isBlockDevice() ? 'a block device' : 'not a regular file';
  throw new UsageError(`${what(label, file)} is ${is}; airlift writes a file there`, {
    hint: st.isDirectory() ? `name a file, for example ${path.join(file, 'NAME')}` : 'name a regular file, a FIFO, a character device such as /dev/stdout, or - for stdout',
  });
}

/**
 * Checks where `file` would be written, before any work: refuses a directory, a socket or a
 * block device, and a parent directory that does not exist (unless `mkdir`).
 */
export async function resolveOutput(file: string, opts: { label?: string; mkdir?: boolean } = {}): Promise<OutputTarget> {
  const abs = path.resolve(file);
  let st: Stats | undefined;
  try {
    st = await stat(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new IoError(`cannot write ${what(opts.label, file)}: ${(e as Error).message}`, { cause: e });
  }
  if (st) {
    const kind = kindOf(file, st, opts.label);
    return { path: kind === 'file' ? await realpath(abs) : abs, kind };
  }
  const dir = path.dirname(abs);
  if (!opts.mkdir) {
    const parent = await stat(dir).catch(() => undefined);
    if (parent && !parent.isDirectory()) {
      throw new UsageError(`cannot write ${what(opts.label, file)}: ${dir} is not a directory`, { hint: 'name a file in a directory' });
    }
    if (!parent) {
      throw new NotFoundError(`cannot write ${what(opts.label, file)}: directory ${dir} does not exist`, { hint: 'create the directory first, or name a file in an existing one' });
    }
  }
  return { path: abs, kind: 'new' };
}

/**
 * Writes `data` to `file` as resolveOutput() says: atomically with `mode` for a new or regular file
 * (0600 for anything holding credentials), straight into a device or FIFO.
 */
export async function writeOutput(file: string, data: string | Uint8Array, opts: { mode?: number; mkdir?: boolean; label?: string } = {}): Promise<void> {
  const mode = opts.mode ?? 0o644;
  const target = await resolveOutput(file, opts);
  if (target.kind === 'stream') {
    try {
      const fh = await open(target.path, 'w');
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new IoError(`cannot write ${what(opts.label, file)}: ${(e as Error).message}`, { cause: e });
    }
    return;
  }
  const dir = path.dirname(target.path);
  if (opts.mkdir) await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(target.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx', mode });
    await chmod(tmp, mode);
    const fh = await open(tmp, 'r');
    await fh.sync().finally(() => fh.close());
    await rename(tmp, target.path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    if (e instanceof AirliftError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`cannot write ${what(opts.label, file)}: directory ${dir} does not exist`, { cause: e, hint: 'create the directory first' });
    if (code === 'EISDIR') throw new UsageError(`${what(opts.label, file)} is a directory; airlift writes a file there`, { cause: e, hint: 'name a file' });
    throw new IoError(`cannot write ${what(opts.label, file)}: ${(e as Error).message}`, { cause: e });
  }
}
