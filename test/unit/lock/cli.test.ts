import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLock } from '../../../src/lock/io.js';
import type { Lock } from '../../../src/lock/types.js';
import { runCli } from '../../helpers/io.js';
import { dg, img, lock } from './fixtures.js';

let dir: string;
const p = (f: string) => path.join(dir, f);
async function put(name: string, l: Lock | string): Promise<string> {
  await writeFile(p(name), typeof l === 'string' ? l : JSON.stringify(l));
  return p(name);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-lockcli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('airlift lock merge', () => {
  it('merges shard locks into -o OUT.json', async () => {
    const a = await put('l0.json', lock([img('docker.io/b/b:1')]));
    const b = await put('l1.json', lock([img('docker.io/a/a:1')]));
    const r = await runCli(['lock', 'merge', a, b, '-o', p('out.json')]);
    expect(r.stderr).toContain('2 image(s)');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const out = JSON.parse(await readFile(p('out.json'), 'utf8')) as Lock;
    expect(out.images.map((i) => i.source)).toEqual(['docker.io/a/a:1', 'docker.io/b/b:1']);
  });

  it('writes the merged lock to stdout without -o', async () => {
    const a = await put('s0.json', lock([img('docker.io/a/a:1')]));
    const r = await runCli(['lock', 'merge', a]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(formatLock(lock([img('docker.io/a/a:1')])));
  });

  it('exits 10 on conflicting digests, names both files, and writes no output', async () => {
    const a = await put('c0.json', lock([img('docker.io/a/a:1', 'x')]));
    const b = await put('c1.json', lock([img('docker.io/a/a:1', 'y')]));
    const r = await runCli(['lock', 'merge', a, b, '-o', p('conflict-out.json')]);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain('E_CONFLICT');
    expect(r.stderr).toContain(a);
    expect(r.stderr).toContain(b);
    expect(await readdir(dir)).not.toContain('conflict-out.json');
  });

  it('exits 3 on an invalid lock, naming the file and field', async () => {
    const bad = await put('bad.json', JSON.stringify({ version: 1, generator: 'g', images: [{ source: 'x', digest: 'nope' }] }));
    const r = await runCli(['lock', 'merge', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${bad}: images[0].digest`);
  });

  it('exits 2 without files', async () => {
    expect((await runCli(['lock', 'merge'])).code).toBe(2);
  });
});

describe('airlift lock diff', () => {
  it('prints +, - and ~ lines and exits 0', async () => {
    const o = await put('old.json', lock([img('docker.io/a/a:1', 'a'), img('docker.io/b/b:1', 'b1')]));
    const n = await put('new.json', lock([img('docker.io/b/b:1', 'b2'), img('docker.io/c/c:1', 'c')]));
    const r = await runCli(['lock', 'diff', o, n]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\+ docker\.io\/c\/c:1 /);
    expect(lines[1]).toMatch(/^- docker\.io\/a\/a:1 /);
    expect(lines[2]).toBe(`~ docker.io/b/b:1 ${dg('b1')} → ${dg('b2')}`);
    expect(r.stderr).toContain('1 added, 1 removed, 1 changed');

    const j = await runCli(['lock', 'diff', o, n, '-o', 'json']);
    expect(j.code).toBe(0);
    const d = JSON.parse(j.stdout);
    expect(d.added.map((i: { source: string }) => i.source)).toEqual(['docker.io/c/c:1']);
    expect(d.removed.map((i: { source: string }) => i.source)).toEqual(['docker.io/a/a:1']);
    expect(d.changed).toEqual([{ source: 'docker.io/b/b:1', from: dg('b1'), to: dg('b2') }]);
  });

  it('prints nothing on stdout for identical locks and exits 0', async () => {
    const o = await put('same.json', lock([img('docker.io/a/a:1')]));
    const r = await runCli(['lock', 'diff', o, o]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no differences');
    expect(JSON.parse((await runCli(['lock', 'diff', o, o, '-o', 'json'])).stdout)).toEqual({ added: [], removed: [], changed: [], charts: { added: [], removed: [], changed: [] } });
  });

  it('--exit-code exits 1 when the locks differ and 0 when they do not, printing the same diff (as git diff --exit-code)', async () => {
    const o = await put('ec-old.json', lock([img('docker.io/a/a:1', 'a')]));
    const n = await put('ec-new.json', lock([img('docker.io/a/a:1', 'a2')]));
    const differ = await runCli(['lock', 'diff', '--exit-code', o, n]);
    expect(differ.code, differ.stderr).toBe(1);
    expect(differ.stdout).toBe(`~ docker.io/a/a:1 ${dg('a')} → ${dg('a2')}\n`);
    expect(differ.stderr).not.toMatch(/error/);
    expect((await runCli(['lock', 'diff', o, n, '--exit-code', '-o', 'json'])).code).toBe(1);
    const same = await runCli(['lock', 'diff', '--exit-code', o, o]);
    expect([same.code, same.stdout]).toEqual([0, '']);
    // an error is never 1: a missing file is still "not found"
    expect((await runCli(['lock', 'diff', '--exit-code', o, p('missing-ec.json')])).code).toBe(5);
  });

  it('refuses an unknown output format and a missing file', async () => {
    const o = await put('x.json', lock([]));
    expect((await runCli(['lock', 'diff', o, o, '-o', 'yaml'])).code).toBe(2);
    const r = await runCli(['lock', 'diff', o, p('missing.json')]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('missing.json does not exist');
  });
});
