/**
 * V8's code cache of the bin (cmd/code-cache.ts, run by the launcher that
 * scripts/build-entry.mjs writes): written by a first run, reused by the next (V8 takes it: the file is
 * not rewritten), a new one when the bundle changes, rewritten when V8 refuses it, and never fatal.
 * Each compile runs in a fresh node process (in one process V8's own in-memory cache would answer).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleBundle, writeBundle as writeBundleTar } from '../../helpers/bundle.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DIST_CMD = path.join(REPO_ROOT, 'dist', 'cmd');
const CODE_CACHE = pathToFileURL(path.join(DIST_CMD, 'code-cache.js')).href;

/** A CommonJS "bundle" as the build wraps one: big enough for V8 to keep code of several functions. */
function writeBundle(file: string, answer: string): void {
  const fns = Array.from({ length: 50 }, (_, i) => `function f${i}(x) { return [x, ${i}, ${JSON.stringify(answer)}].join('-'); }`).join('\n');
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname) {\n"use strict";\n${fns}\nmodule.exports = { answer: f7(require('node:path').basename(__filename)) };\n})\n`);
}

/** Compiles `file` with the cache of `dir` in a fresh node, runs it, writes the cache as the bin would. */
function compileOnce(file: string, dir: string | null): { state: string; answer: string; cacheFile: string | null } {
  const script = `
    const { compileWithCodeCache } = await import(${JSON.stringify(CODE_CACHE)});
    const { createRequire } = await import('node:module');
    const c = compileWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(dir ?? undefined)});
    const m = { exports: {} };
    c.fn.call(m.exports, m.exports, createRequire(${JSON.stringify(file)}), m, ${JSON.stringify(file)}, '.');
    if (c.state === 'absent' || c.state === 'rejected') c.write();
    console.log(JSON.stringify({ state: c.state, answer: m.exports.answer, cacheFile: c.cacheFile ?? null }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compile of ${file} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { state: string; answer: string; cacheFile: string | null };
}

const inode = (f: string): number => statSync(f).ino;

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): { path: string } {
  const d = mkdtempSync(path.join(os.tmpdir(), `airlift-${prefix}`));
  temps.push(d);
  return { path: d };
}

describe('compileWithCodeCache (cmd/code-cache.ts)', () => {
  it('writes the cache on the first run, reuses it on the next, and keys it by the bundle bytes', async () => {
    const t = tempDir('code-cache-');
    const cache = path.join(t.path, 'cache');
    mkdirSync(cache);
    const bundle = path.join(t.path, 'b.cjs');
    writeBundle(bundle, 'one');
    const first = compileOnce(bundle, cache);
    expect(first).toMatchObject({ state: 'absent', answer: 'b.cjs-7-one' });
    expect(first.cacheFile).toMatch(new RegExp(`^${cache}/airlift-[0-9a-f]{64}-main-${process.version}-${process.arch}\\.v8cache$`));
    expect(statSync(first.cacheFile!).size).toBeGreaterThan(100);
    const ino = inode(first.cacheFile!);
    expect(compileOnce(bundle, cache)).toMatchObject({ state: 'used', answer: 'b.cjs-7-one', cacheFile: first.cacheFile });
    expect(inode(first.cacheFile!)).toBe(ino); // not rewritten
    // the same length, other bytes: another cache file (V8 itself checks only the source's length)
    writeBundle(bundle, 'two');
    const changed = compileOnce(bundle, cache);
    expect(changed).toMatchObject({ state: 'absent', answer: 'b.cjs-7-two' });
    expect(changed.cacheFile).not.toBe(first.cacheFile);
    expect(compileOnce(bundle, cache).state).toBe('used');
    expect(readdirSync(cache).sort()).toEqual([path.basename(first.cacheFile!), path.basename(changed.cacheFile!)].sort()); // no temporary file left
  });

  it('rewrites a damaged cache (which V8 alone would crash on) and one V8 refuses, and runs the bundle all the same', async () => {
    const t = tempDir('code-cache-');
    const bundle = path.join(t.path, 'b.cjs');
    writeBundle(bundle, 'x');
    const { cacheFile } = compileOnce(bundle, t.path);
    const good = readFileSync(cacheFile!);
    const corrupt = Buffer.from(good);
    for (let i = 64; i < corrupt.length; i += 97) corrupt[i] = corrupt[i]! ^ 0xff;
    // a whole, checksummed cache of another bundle (another length): V8 itself refuses it
    const other = path.join(t.path, 'other.cjs');
    writeFileSync(other, `${readFileSync(bundle, 'utf8')}// longer\n`);
    const otherCache = readFileSync(compileOnce(other, t.path).cacheFile!);
    for (const bad of [corrupt, good.subarray(0, good.length >> 1), Buffer.from('not V8 data'), Buffer.alloc(0), otherCache]) {
      writeFileSync(cacheFile!, bad);
      expect(compileOnce(bundle, t.path)).toMatchObject({ state: 'rejected', answer: 'b.cjs-7-x' });
      expect(readFileSync(cacheFile!).length).toBeGreaterThan(100);
      expect(compileOnce(bundle, t.path).state).toBe('used');
    }
  });

  it('carries on without a cache where it cannot be written or read', async () => {
    const t = tempDir('code-cache-');
    const bundle = path.join(t.path, 'b.cjs');
    writeBundle(bundle, 'x');
    const file = path.join(t.path, 'a-file');
    writeFileSync(file, '');
    // a directory that does not exist and cannot be made (under a file): compiled, run, nothing written
    expect(compileOnce(bundle, path.join(file, 'sub'))).toMatchObject({ state: 'absent', answer: 'b.cjs-7-x' });
    expect(compileOnce(bundle, null)).toMatchObject({ state: 'off', answer: 'b.cjs-7-x', cacheFile: null });
    // the cache file is a directory: not readable as data, not replaceable
    const cache = path.join(t.path, 'cache');
    mkdirSync(cache);
    const { cacheFile } = compileOnce(bundle, cache);
    const blocked = path.join(t.path, 'blocked');
    mkdirSync(path.join(blocked, path.basename(cacheFile!)), { recursive: true });
    expect(compileOnce(bundle, blocked)).toMatchObject({ state: 'absent', answer: 'b.cjs-7-x' });
    expect(readdirSync(blocked)).toEqual([path.basename(cacheFile!)]); // no temporary file left
  });
  it("a write removes this cache's files untouched for 30 days (other builds'), and nothing else", () => {
    const t = tempDir('code-cache-');
    const cache = path.join(t.path, 'cache');
    mkdirSync(cache);
    const old = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    const name = (hex: string, label: string, tail = ''): string => `airlift-${hex.repeat(64)}-${label}-v20.1.0-x64.v8cache${tail}`;
    const files = { stale: name('a', 'sync'), staleTmp: name('b', 'save', '.123.tmp'), recent: name('c', 'sync'), foreign: 'notes.v8cache', nodeOwn: 'v20.20.2-x64-abc' };
    for (const f of Object.values(files)) writeFileSync(path.join(cache, f), 'x');
    for (const f of [files.stale, files.staleTmp, files.foreign, files.nodeOwn]) utimesSync(path.join(cache, f), old, old);
    const bundle = path.join(t.path, 'b.cjs');
    writeBundle(bundle, 'x');
    const { cacheFile } = compileOnce(bundle, cache);
    expect(readdirSync(cache).sort()).toEqual([path.basename(cacheFile!), files.recent, files.foreign, files.nodeOwn].sort());
    // a run that reuses its cache writes nothing, so removes nothing
    writeFileSync(path.join(cache, files.stale), 'x');
    utimesSync(path.join(cache, files.stale), old, old);
    expect(compileOnce(bundle, cache).state).toBe('used');
    expect(readdirSync(cache)).toContain(files.stale);
  });
});

describe('codeCacheDir (cmd/code-cache.ts)', () => {
  const dirFor = (env: Record<string, string>): string | null => {
    const script = `const { codeCacheDir } = await import(${JSON.stringify(CODE_CACHE)}); console.log(JSON.stringify(codeCacheDir(process.env) ?? null));`;
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'TMPDIR'].includes(k)));
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...clean, ...env } });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as string | null;
  };

  it("follows Node's rules: $NODE_COMPILE_CACHE, else this user's directory under the temporary directory; NODE_DISABLE_COMPILE_CACHE=1 turns it off", async () => {
    const t = tempDir('code-cache-');
    const named = path.join(t.path, 'named', 'deeper');
    expect(dirFor({ NODE_COMPILE_CACHE: named })).toBe(named);
    expect(statSync(named).isDirectory()).toBe(true);
    expect(dirFor({ NODE_COMPILE_CACHE: named, NODE_DISABLE_COMPILE_CACHE: '1' })).toBeNull();
    const own = dirFor({ TMPDIR: t.path });
    expect(own).toBe(path.join(t.path, `airlift-code-cache-${process.getuid!()}`));
    expect(statSync(own!).mode & 0o777).toBe(0o700);
    expect(dirFor({ TMPDIR: t.path, NODE_DISABLE_COMPILE_CACHE: '1' })).toBeNull();
    // a default directory others can write is not used (its code would run as this user)
    chmodSync(own!, 0o777);
    expect(dirFor({ TMPDIR: t.path })).toBeNull();
    // one that cannot be made: no cache, no error
    writeFileSync(path.join(t.path, 'f'), '');
    expect(dirFor({ NODE_COMPILE_CACHE: path.join(t.path, 'f', 'sub') })).toBeNull();
    expect(dirFor({ TMPDIR: path.join(t.path, 'f') })).toBeNull();
  });
});

describe('the bin (dist/cmd/airlift.js) and its cache', () => {
  const airlift = (bin: string, args: string[], env: Record<string, string>) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE'].includes(k)));
    return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...clean, ...env } });
  };
  const cacheFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.v8cache'));

  it('a first run writes the cache of its command, the next reuses it, a changed bundle gets its own, a corrupt one is rewritten, a failed run or an unwritable place writes none', async () => {
    const t = tempDir('code-cache-bin-');
    // the built bin, copied so that its bundle can be changed
    const dir = path.join(t.path, 'cmd');
    for (const f of ['cmd/airlift.js', 'cmd/code-cache.cjs', 'cmd/airlift.bundle.cjs']) {
      mkdirSync(path.dirname(path.join(t.path, f)), { recursive: true });
      copyFileSync(path.join(REPO_ROOT, 'dist', f), path.join(t.path, f));
    }
    const bin = path.join(dir, 'airlift.js');
    const cache = path.join(t.path, 'cache');
    const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    const expectVersion = (r: ReturnType<typeof airlift>): void => {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    };

    expectVersion(airlift(bin, ['--version'], { NODE_COMPILE_CACHE: cache }));
    const [first] = cacheFiles(cache);
    expect(cacheFiles(cache)).toEqual([expect.stringMatching(/-main-/)]);
    const ino = inode(path.join(cache, first!));
    // reused: V8 took it (refused data would be rewritten: another inode)
    expectVersion(airlift(bin, ['--version'], { NODE_COMPILE_CACHE: cache }));
    expect(inode(path.join(cache, first!))).toBe(ino);
    // each command has its own, reused the same way; verify changes V8's heap flags as it runs (cmd/heap.ts),
    // save turns TurboFan off for its first second of CPU (cmd/jit.ts: a dry run ends with it off)
    const images = ['images', path.join(REPO_ROOT, 'fixtures', 'charts', 'example-shop'), '-o', 'list'];
    const bundleFile = path.join(t.path, 'bundle.tar');
    await writeBundleTar(bundleFile, sampleBundle().entries);
    const dryRun = ['save', '--dry-run', '--image', 'registry.example.com/app:1', '-o', path.join(t.path, 'dry.tar')];
    for (const [label, args] of [['images', images], ['verify', ['verify', bundleFile]], ['save', dryRun]] as const) {
      for (let run = 0; run < 3; run++) {
        const r = airlift(bin, [...args], { NODE_COMPILE_CACHE: cache });
        expect(r.status, r.stderr).toBe(0);
      }
      const mine = cacheFiles(cache).filter((f) => f.includes(`-${label}-`));
      expect(mine).toHaveLength(1);
      const before = inode(path.join(cache, mine[0]!));
      expect(airlift(bin, [...args], { NODE_COMPILE_CACHE: cache }).status).toBe(0);
      expect(inode(path.join(cache, mine[0]!))).toBe(before);
    }
    // a run that fails writes none
    expect(airlift(bin, ['no-such-command'], { NODE_COMPILE_CACHE: cache }).status).not.toBe(0);
    expect(airlift(bin, ['verify', path.join(t.path, 'missing.tar')], { NODE_COMPILE_CACHE: cache }).status).not.toBe(0);
    expect(cacheFiles(cache)).toHaveLength(4);
    expect(readdirSync(cache).filter((f) => f.includes('.tmp'))).toEqual([]); // no temporary file (Node >= 22.1 keeps its own compile cache beside, for the launcher's modules)

    // corrupt: refused, rewritten, the run unharmed
    writeFileSync(path.join(cache, first!), Buffer.alloc(4096, 7));
    expectVersion(airlift(bin, ['--version'], { NODE_COMPILE_CACHE: cache }));
    expect(statSync(path.join(cache, first!)).size).toBeGreaterThan(10_000);
    const rewritten = inode(path.join(cache, first!));
    expectVersion(airlift(bin, ['--version'], { NODE_COMPILE_CACHE: cache }));
    expect(inode(path.join(cache, first!))).toBe(rewritten);

    // the bundle changed: a cache of its own
    writeFileSync(path.join(dir, 'airlift.bundle.cjs'), `${readFileSync(path.join(dir, 'airlift.bundle.cjs'), 'utf8')}// changed\n`);
    expectVersion(airlift(bin, ['--version'], { NODE_COMPILE_CACHE: cache }));
    expect(cacheFiles(cache)).toHaveLength(5);

    // off, or nowhere to write: the same answer, nothing written
    const off = path.join(t.path, 'off');
    expectVersion(airlift(bin, ['--version'], { NODE_COMPILE_CACHE: off, NODE_DISABLE_COMPILE_CACHE: '1' }));
    expect(() => readdirSync(off)).toThrow();
    writeFileSync(path.join(t.path, 'f'), '');
    expectVersion(airlift(bin, ['--version'], { NODE_COMPILE_CACHE: path.join(t.path, 'f', 'sub') }));
  });
});
