/**
 * takeLock: a lock appears with its pid already in it. A second run starting at the same moment
 * reads the lock to tell a live run from a dead one; an empty lock (created, not yet written) was
 * taken for a dead run's and removed, and both runs wrote one directory.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeLock } from '../../../src/layout/staging-io.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-take-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

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
