/**
 * The base of a differential bundle (`save --since BASE`): what an earlier bundle held, read from
 * the bundle itself (its blobs/ and its lock) or from its airlift.lock.json alone (its `blobs`).
 * A base that is itself differential adds what its own base held, so a chain (full, then
 * differentials) leaves out everything any bundle of the chain carried.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { addAbortSignal } from 'node:stream';
import { sha256, sha256OfStream } from '../digest/index.js';
import { InputError, NotFoundError } from '../errors.js';
import { MAX_METADATA_BYTES, metadataTooLarge, readMetadata } from '../layout/limits.js';
import { digestOfBlobPath } from '../layout/paths.js';
import { parseLock } from '../lock/io.js';
import type { Lock, LockBase } from '../lock/types.js';
import { bundleFiles, openBundle } from './images.js';

export interface SaveBase {
  /** The base as named to --since. */
  file: string;
  /** sha256 of the base bundle (when --since named a bundle). */
  sha256?: string;
  /** sha256 of the base's lock. */
  lock: string;
  images: Array<{ source: string; digest: string }>;
  /** Every blob the base (and its own bases) held. */
  blobs: ReadonlySet<string>;
}

async function fileSha256(file: string, signal?: AbortSignal): Promise<string> {
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 });
  return (await sha256OfStream(signal ? addAbortSignal(signal, stream) : stream)).digest;
}

async function startsWithBrace(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('utf8').trimStart().startsWith('{');
  } finally {
    await fh.close();
  }
}

function held(lock: Lock, own: Iterable<string>): Set<string> {
  return new Set([...own, ...(lock.base?.blobs ?? [])]);
}

/** Reads the base named by `--since` (`abs` its path, `name` as given). */
export async function readSaveBase(abs: string, name: string, signal?: AbortSignal): Promise<SaveBase> {
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new NotFoundError(`--since ${name} does not exist`, { hint: 'give the earlier bundle (BUNDLE.tar) or its airlift.lock.json' });
  if (st.isDirectory()) throw new InputError(`--since ${name} is a directory`, { hint: 'give the earlier bundle (BUNDLE.tar) written by airlift save, or its airlift.lock.json' });
  if (await startsWithBrace(abs)) {
    if (st.size > MAX_METADATA_BYTES) throw metadataTooLarge(`--since ${name}`, st.size);
    const text = await readFile(abs);
    const lock = parseLock(text.toString('utf8'), `--since ${name}`);
    if (!lock.blobs) {
      throw new InputError(`--since ${name}: the lock does not list the blobs of its bundle (it was written by an older airlift, or by load or sync)`, {
        hint: 'give the earlier bundle itself (--since BUNDLE.tar), or the airlift.lock.json a save of this version wrote into it',
      });
    }
    return { file: name, lock: sha256(text), images: lock.images.map((i) => ({ source: i.source, digest: i.digest })), blobs: held(lock, lock.blobs) };
  }
  const bundle = await openBundle(abs);
  try {
    const files = bundleFiles(bundle);
    if (!files || !(await files.extraFiles()).includes('airlift.lock.json')) {
      throw new InputError(`--since ${name} has no airlift.lock.json: it was not written by airlift save`, { hint: 'give a bundle written by airlift save, or its airlift.lock.json' });
    }
    const text = await readMetadata((max) => files.readFile('airlift.lock.json', max));
    const lock = parseLock(text.toString('utf8'), `--since ${name}: airlift.lock.json`);
    const own = (await bundle.reader.files.list()).map(digestOfBlobPath).filter((d): d is string => d !== undefined);
    return {
      file: name,
      sha256: await fileSha256(abs, signal),
      lock: sha256(text),
      images: lock.images.map((i) => ({ source: i.source, digest: i.digest })),
      blobs: held(lock, own),
    };
  } finally {
    await bundle.close();
  }
}

/** The lock's record of the base, with the blobs this bundle leaves out. */
export function lockBase(base: SaveBase, omitted: Iterable<string>): LockBase {
  return {
    file: base.file,
    ...(base.sha256 ? { sha256: base.sha256 } : {}),
    lock: base.lock,
    images: base.images,
    blobs: [...base.blobs].sort(),
    omitted: [...new Set(omitted)].sort(),
  };
}
