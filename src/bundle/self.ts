/**
 * `save --include-self`: the release files of airlift itself (airlift.mjs, the single executables,
 * SHA256SUMS; see `npm run release`) go into the bundle under airlift/, so what crosses the airgap
 * carries its own importer. The files are the ones SHA256SUMS lists in the release directory, each
 * checked against it before it is added; the bundle's lock lists them (`files`, with sha256 and
 * size), and `verify` re-hashes them. `load` pushes images and charts only and leaves them alone.
 */
import { createReadStream, realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { sha256, sha256OfStream } from '../digest/index.js';
import { DigestMismatchError, InputError, IoError } from '../errors.js';
import type { LockFile } from '../lock/types.js';

/** The directory of the release files inside a bundle. */
export const SELF_DIR = 'airlift';
export const SUMS_FILE = 'SHA256SUMS';
/** The one release file every --include-self needs: it runs wherever a Node >= 20 does. */
export const SELF_SCRIPT = 'airlift.mjs';

/** Set by `npm run release` (esbuild's define): which form of airlift is running. */
declare const __AIRLIFT_FORM__: 'mjs' | 'executable' | undefined;

export interface ReleaseFile {
  /** The name inside the bundle: "airlift/airlift.mjs". */
  file: string;
  /** Where it is read from. */
  path: string;
  digest: string;
  size: number;
  /** Stored with mode 0755 (everything but SHA256SUMS). */
  executable: boolean;
}

/**
 * Where the release files are: $AIRLIFT_RELEASE_DIR when set; else beside the running airlift.mjs or
 * executable; else, run from a checkout (dist/cmd/airlift.js), its release/ directory.
 */
export function releaseDir(env: NodeJS.ProcessEnv, cwd: string): string {
  if (env.AIRLIFT_RELEASE_DIR) return path.resolve(cwd, env.AIRLIFT_RELEASE_DIR);
  const form = typeof __AIRLIFT_FORM__ === 'string' ? __AIRLIFT_FORM__ : 'dist';
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  if (form === 'executable') return path.dirname(real(process.execPath));
  const main = real(process.argv[1] ?? cwd);
  return form === 'mjs' ? path.dirname(main) : path.resolve(path.dirname(main), '..', '..', 'release');
}

/** Parses SHA256SUMS as sha256sum writes it ("HEX  NAME", or "HEX *NAME"); names are plain file names. */
export function parseSums(text: string, where: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const m = /^([0-9a-f]{64}) [ *]([^/\\]+)$/.exec(line);
    if (!m || m[2] === '.' || m[2] === '..') throw new InputError(`${where}: line ${i + 1} is not "SHA256  NAME": ${JSON.stringify(line.slice(0, 80))}`);
    sums.set(m[2]!, `sha256:${m[1]}`);
  }
  return sums;
}

/**
 * The release files of `dir` as SHA256SUMS lists them (and SHA256SUMS itself), each re-hashed and
 * checked; airlift.mjs must be among them. Errors name the directory and what to do.
 */
export async function readRelease(dir: string, signal?: AbortSignal): Promise<ReleaseFile[]> {
  const hint = `build them with \`npm run release\` (in a checkout of airlift), or set AIRLIFT_RELEASE_DIR to the directory holding ${SELF_SCRIPT}, the executables and ${SUMS_FILE}`;
  const sumsPath = path.join(dir, SUMS_FILE);
  let text: string;
  try {
    text = await readFile(sumsPath, 'utf8');
  } catch (err) {
    throw new InputError(`--include-self: no release files at ${dir} (${(err as NodeJS.ErrnoException).code === 'ENOENT' ? `${SUMS_FILE} is missing` : (err as Error).message})`, { cause: err, hint });
  }
  const sums = parseSums(text, sumsPath);
  if (!sums.has(SELF_SCRIPT)) throw new InputError(`--include-self: ${sumsPath} does not list ${SELF_SCRIPT}`, { hint });
  const files: ReleaseFile[] = [];
  for (const [name, expected] of sums) {
    signal?.throwIfAborted();
    const p = path.join(dir, name);
    let got: { digest: string; size: number };
    try {
      if (!(await stat(p)).isFile()) throw new InputError(`--include-self: ${p} is not a regular file`, { hint });
      got = await sha256OfStream(createReadStream(p));
    } catch (err) {
      if (err instanceof InputError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`--include-self: ${p} is listed in ${SUMS_FILE} but missing`, { cause: err, hint });
      throw new IoError(`--include-self: cannot read ${p}: ${(err as Error).message}`, { cause: err });
    }
    if (got.digest !== expected) {
      throw new DigestMismatchError(`--include-self: ${p}`, expected, got.digest, { hint: `the file does not match ${sumsPath}: ${hint}` });
    }
    files.push({ file: `${SELF_DIR}/${name}`, path: p, digest: got.digest, size: got.size, executable: true });
  }
  const sumsBytes = Buffer.from(text, 'utf8');
  files.push({ file: `${SELF_DIR}/${SUMS_FILE}`, path: sumsPath, digest: sha256(sumsBytes), size: sumsBytes.length, executable: false });
  return files;
}

/** A problem with a file the lock lists: missing, or other bytes than the lock says (`mismatch`). */
export interface FileProblem {
  message: string;
  mismatch: boolean;
}

/** Problems with the files a bundle's lock lists (missing, other size, other bytes); empty when all match. */
export async function checkBundleFiles(
  files: readonly LockFile[],
  present: readonly string[],
  open: (name: string) => Promise<Readable>,
  signal?: AbortSignal,
): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  for (const f of files) {
    signal?.throwIfAborted();
    if (!present.includes(f.file)) {
      problems.push({ message: `file ${f.file} is missing (the lock lists it)`, mismatch: false });
      continue;
    }
    const got = await sha256OfStream(await open(f.file));
    if (got.digest !== f.digest || got.size !== f.size) problems.push({ message: `file ${f.file}: expected ${f.digest} (${f.size} bytes), got ${got.digest} (${got.size} bytes)`, mismatch: true });
  }
  return problems;
}

export function lockFiles(files: readonly ReleaseFile[]): LockFile[] {
  return files.map((f) => ({ file: f.file, digest: f.digest, size: f.size }));
}
