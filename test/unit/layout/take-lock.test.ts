/**
 * takeLock: a lock appears with its pid already in it. A second run starting at the same moment
 * reads the lock to tell a live run from a dead one; an empty lock (created, not yet written) was
 * taken for a dead run's and removed, and both runs wrote one directory.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { takeLock } from '../../../src/layout/staging-io.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('airlift-take-lock-'));
});
afterAll(() => cleanup());

describe('takeLock', () => {
  it('the lock is never seen empty by a reader polling it while it is taken and released 400 times', async () => {
    const file = path.join(dir, '.airlift.lock');
    // another process reads the lock as fast as it can and counts the times it found it empty
    const watcher = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs'); let empty = 0, seen = 0; const f = ${JSON.stringify(file)};
         process.stdin.on('data', () => { process.stdout.write(JSON.stringify({ empty, seen })); process.exit(0); });
         (function poll() { for (let i = 0; i < 2000; i++) { try { const t = fs.readFileSync(f, 'utf8'); seen++; if (t === '') empty++; } catch {} } setImmediate(poll); })();`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    watcher.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((resolve) => watcher.on('exit', () => resolve()));
    await new Promise((r) => setTimeout(r, 300)); // the reader is polling
    for (let i = 0; i < 400; i++) {
      await takeLock(dir, '.airlift.lock');
      await rm(file);
    }
    watcher.stdin.write('x');
    await exited;
    const { empty, seen } = JSON.parse(out) as { empty: number; seen: number };
    expect(seen).toBeGreaterThan(0); // the reader did see the lock
    expect(empty).toBe(0);
    expect(await readdir(dir)).toEqual([]); // nothing of the lock's left behind
  });

  it("two runs starting together on a dead run's lock: one takes it over, the other is told it is busy (20 directories)", async () => {
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    const dirs: string[] = [];
    for (let i = 0; i < 20; i++) {
      const d = await mkdtemp(path.join(dir, 'race-'));
      await writeFile(path.join(d, '.airlift.lock'), `${dead}\n`);
      dirs.push(d);
    }
    // each process waits for the same moments (one per directory, 150 ms apart), takes the lock there and keeps it
    const base = Date.now() + 3000;
    const code = `
      import { takeLock } from ${JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'src', 'layout', 'staging-io.ts')).href)};
      const dirs = ${JSON.stringify(dirs)};
      const out = [];
      for (const [i, d] of dirs.entries()) {
        const at = ${base} + i * 150;
        while (Date.now() < at) {}
        out.push(await takeLock(d, '.airlift.lock').then(() => 'took', (e) => (e.code === 'E_USAGE' && /is in use/.test(e.message) ? 'busy' : String(e))));
      }
      process.stdout.write(JSON.stringify(out));`;
    const run = (): Promise<string[]> =>
      new Promise((resolve, reject) => {
        const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
        let o = '';
        c.stdout.on('data', (d: Buffer) => (o += d.toString()));
        c.on('exit', (status) => (status === 0 ? resolve(JSON.parse(o) as string[]) : reject(new Error(`exit ${status}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a).toHaveLength(20);
    for (let i = 0; i < 20; i++) expect([a[i], b[i]].sort()).toEqual(['busy', 'took']);
    for (const d of dirs) expect((await readdir(d)).sort()).toEqual(['.airlift.lock']);
  }, 30_000);

  it("a dead run's lock is taken over, with the name it wrote it under first", async () => {
    const sub = await mkdtemp(path.join(dir, 'dead-'));
    const file = path.join(sub, '.airlift.lock');
    const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
    await writeFile(file, `${dead}\n`);
    await writeFile(`${file}.${dead}`, `${dead}\n`);
    await takeLock(sub, '.airlift.lock');
    expect(await readdir(sub)).toEqual(['.airlift.lock']);
  });
});
