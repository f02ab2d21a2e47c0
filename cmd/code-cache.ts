/**
 * V8's code cache for the bin. The bin (dist/cmd/airlift.js, written by scripts/build-entry.mjs) runs
 * dist/cmd/airlift.bundle.cjs, a CommonJS build of the bundle whose text is one function expression
 * `(function (exports, require, module, __filename, __dirname) {…})`, through `vm.Script` with the
 * `cachedData` an earlier run left, and, when there was none or V8 refused it, writes
 * `script.createCachedData()` as a successful run exits: the functions the run compiled lazily are in it
 * then, not only the top level, so each command has a cache of its own (a no-op sync with the cache of
 * `--version` saved 10 ms of CPU, with its own 38 ms). Compiling the 2.7 MB bundle was 45-70 ms of CPU in
 * every run on Node 20, which has no compile cache; on Node 22 and 24 this beats Node's own compile cache
 * of an ES module bundle, which keeps only the top level's code (test/bench/README.md, "V8 code cache").
 *
 * The rules are those of Node's own compile cache: `$NODE_COMPILE_CACHE` names the directory (else a
 * directory of this user's under os.tmpdir()), `NODE_DISABLE_COMPILE_CACHE=1` turns it off, and nothing
 * about the cache is ever fatal: a directory that cannot be made or written, a file that cannot be read,
 * data V8 refuses, all carry on without it. A cache file is named by the bundle's sha256, the command
 * (cmd/commands/index.ts's name; `main` for none), the Node version and the cpu (the bin gives the hash
 * the build computed: see bundleKey), written atomically (a
 * temporary file, then rename), and rewritten when V8 refuses it. A run that fails writes none (so a
 * mistyped command leaves no file behind).
 */
import { isAscii } from 'node:buffer';
import { createHash, hash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';
import { commandNameOf, nodeFlagGiven } from '../src/cli/argv.js';

/**
 * The V8 flags cmd/airlift.ts sets as it starts, set here before the bundle is compiled: V8 stamps
 * cached data with a hash of its flags, so data written after a flag changed is refused by the next
 * compile made before it (every run would rewrite the cache). The bin's test of a second run reusing
 * the cache fails if cmd/airlift.ts sets a flag missing here.
 */
export const BUNDLE_V8_FLAGS = ['--liftoff-only'];

/**
 * V8 flags the bundle changes while a command runs (cmd/heap.ts: `--heap-growing-percent` and
 * `--semi-space-growth-factor` of the copying commands; its `--expose-gc` is turned off again at
 * once; cmd/jit.ts: `--no-turbofan` while save is young), put back to their defaults before the cache is
 * written, for the same reason; a flag node was given at start (execArgv, NODE_OPTIONS) is left alone,
 * as cmd/heap.ts and cmd/jit.ts leave it. The bin's test of
 * a second `verify` reusing its cache fails if a flag set at run time is missing here.
 */
const RUNTIME_V8_FLAG_DEFAULTS: ReadonlyArray<readonly [flag: string, leftAloneWhenGiven: readonly string[]]> = [
  ['--heap-growing-percent=0', ['heap-growing-percent']],
  ['--semi-space-growth-factor=2', ['semi-space-growth-factor']],
  ['--turbofan', ['turbofan', 'max-opt', 'jitless']],
];

function restoreRuntimeFlags(): void {
  for (const [flag, given] of RUNTIME_V8_FLAG_DEFAULTS) if (!given.some((name) => nodeFlagGiven(name))) setFlagsFromString(flag);
}

/** What happened to the cache of one compile. */
export type CacheState = 'off' | 'absent' | 'used' | 'rejected';

export interface CompiledBundle {
  /** The bundle's function: call it with (exports, require, module, __filename, __dirname). */
  fn: (...args: unknown[]) => unknown;
  state: CacheState;
  /** The cache file (undefined when the cache is off). */
  cacheFile: string | undefined;
  /**
   * Writes V8's code of the bundle as compiled so far into the cache file; never throws. Puts the V8 flags
   * the bundle changes at run time back first (call it as the process ends).
   */
  write(): void;
}

/**
 * The cache directory, or undefined when the cache is off: `$NODE_COMPILE_CACHE` as given, else
 * `<tmpdir>/airlift-code-cache-<uid>`, made 0700; that one is used only while it is this user's
 * directory and nobody else can write it (a shared /tmp: code from the cache runs as this user).
 */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.NODE_DISABLE_COMPILE_CACHE === '1') return undefined;
  try {
    if (env.NODE_COMPILE_CACHE) {
      const dir = path.resolve(env.NODE_COMPILE_CACHE);
      mkdirSync(dir, { recursive: true });
      return dir;
    }
    const uid = process.getuid?.() ?? -1;
    const dir = path.join(os.tmpdir(), `airlift-code-cache-${uid >= 0 ? uid : os.userInfo().username}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory() || (uid >= 0 && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * A cache file is MAGIC, the sha256 of V8's data, the data. V8 checks its data's header (V8 version,
 * flags, source length) but, outside debug builds, not a checksum of the rest: damaged data with a good
 * header crashes the process as V8 reads it (measured on Node 20). So the data goes to V8 only when its
 * sha256 matches.
 */
const MAGIC = Buffer.from('airlift-v8-cache-1\n');

/** V8's data of a cache file, or undefined when the file is not one or is damaged. */
function checkedData(file: Buffer): Buffer | undefined {
  const start = MAGIC.length + 32;
  if (file.length <= start || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const data = file.subarray(start);
  return createHash('sha256').update(data).digest().equals(file.subarray(MAGIC.length, start)) ? data : undefined;
}

/** Cache files (and temporary files a killed writer left) untouched this long are removed by the next write. */
export const STALE_MS = 30 * 24 * 3600 * 1000;
const OUR_FILE = /^airlift-[0-9a-f]{64}-[a-z0-9-]+-v[\d.]+-\w+\.v8cache(\.\d+\.tmp)?$/;

/**
 * Removes this cache's files in `dir` not modified for STALE_MS (other builds' and Node versions':
 * each build of the bundle has its own files, which nothing else removes). Files of other programs are
 * left alone.
 */
function pruneStale(dir: string, keep: string): void {
  const before = Date.now() - STALE_MS;
  for (const name of readdirSync(dir)) {
    if (!OUR_FILE.test(name) || name === keep) continue;
    const f = path.join(dir, name);
    try {
      if (statSync(f).mtimeMs < before) rmSync(f, { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** The command of `argv` as a cache file's name has it: a plain word, `main` when argv names none. */
export function cacheLabel(argv: readonly string[]): string {
  const name = commandNameOf(argv);
  return name === undefined ? 'main' : /^[a-z][a-z0-9-]{0,31}$/.test(name) ? name : 'other';
}

/**
 * What names the bundle in its cache files: the sha256 of its bytes; or, given the sha256 the build
 * computed (`buildId`, which the bin carries), the sha256 of that with the file's size and mtime, so
 * that a run does not hash the 2.7 MB file again (3 ms of CPU) and a bundle changed after its build
 * still gets a cache of its own.
 */
function bundleKey(file: string, bytes: Buffer, buildId: string | undefined): string {
  if (buildId === undefined) return hash('sha256', bytes);
  return hash('sha256', `${buildId}:${bytes.length}:${statSync(file).mtimeMs}`);
}

/**
 * Compiles the CommonJS bundle `file` with the code cache of `dir` (undefined: none) for the command
 * `label` (`cacheLabel`).
 */
export function compileWithCodeCache(file: string, dir: string | undefined, label = 'main', buildId?: string): CompiledBundle {
  const bytes = readFileSync(file);
  const cacheFile = dir && path.join(dir, `airlift-${bundleKey(file, bytes, buildId)}-${label}-${process.version}-${process.arch}.v8cache`);
  let cachedData: Buffer | undefined;
  let damaged = false;
  if (cacheFile) {
    try {
      cachedData = checkedData(readFileSync(cacheFile));
      damaged = !cachedData;
    } catch {
      cachedData = undefined;
    }
  }
  // ASCII (the built bundle is: scripts/build-entry.mjs) read as latin1 is the same text as a one-byte
  // string, without UTF-8 decoding; other text as UTF-8
  const script = new vm.Script(isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8'), { filename: file, cachedData });
  const state: CacheState = !cacheFile ? 'off' : damaged || script.cachedDataRejected ? 'rejected' : !cachedData ? 'absent' : 'used';
  const fn = script.runInThisContext() as CompiledBundle['fn'];
  if (typeof fn !== 'function') throw new Error(`${file}: not a CommonJS bundle wrapped in a function (npm run build writes it)`);
  return {
    fn,
    state,
    cacheFile,
    write() {
      if (!cacheFile) return;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        restoreRuntimeFlags();
        const data = script.createCachedData();
        writeFileSync(tmp, Buffer.concat([MAGIC, createHash('sha256').update(data).digest(), data]), { mode: 0o600 });
        renameSync(tmp, cacheFile);
        pruneStale(path.dirname(cacheFile), path.basename(cacheFile));
      } catch {
        try {
          rmSync(tmp, { force: true });
        } catch {
          // nothing more to do: the run goes on without a cache
        }
      }
    },
  };
}

/**
 * Runs the CommonJS bundle `file` as the main program, with the code cache of its command
 * (`codeCacheDir(env)`); a cache that was missing or refused is written when the process exits with 0.
 * `buildId`: the bundle's sha256 as the build computed it (scripts/build-entry.mjs writes it into the bin).
 */
export function runWithCodeCache(file: string, env: NodeJS.ProcessEnv, buildId?: string): void {
  for (const flag of BUNDLE_V8_FLAGS) setFlagsFromString(flag);
  const compiled = compileWithCodeCache(file, codeCacheDir(env), cacheLabel(process.argv.slice(2)), buildId);
  if (compiled.state === 'absent' || compiled.state === 'rejected') process.once('exit', (code) => code === 0 && compiled.write());
  const module = { exports: {} as unknown, filename: file };
  compiled.fn.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
}
