/**
 * `airlift serve` refuses bad bundles before it listens: exit code and a
 * message naming the bundle (run as a child process, killed if it ever
 * starts serving).
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleBundle, tarBytes } from '../../helpers/bundle.js';
import { spawnAirlift, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace('bad-serve');
});
afterAll(async () => {
  await ws?.remove();
});

const sample = sampleBundle();

describe('serve with a bad bundle', () => {
  it.each<[string, () => Promise<Buffer>, number, RegExp]>([
    ['not a tar', async () => Buffer.from('not a bundle\n'.repeat(100)), 6, /not a tar/],
    ['a "../" entry', () => tarBytes([...sample.entries, { name: '../../escape', body: 'x' }]), 6, /\.\./],
    ['a symlink', () => tarBytes([...sample.entries, { name: 'evil', type: 'symlink', linkname: '/etc/passwd' }]), 6, /symbolic link/],
    ['index.json that is not JSON', () => tarBytes(sample.entries.map((e) => (e.name === 'index.json' ? { ...e, body: '{' } : e))), 6, /index\.json/],
  ])('%s: exit 6 before listening', async (name, bytes, code, says) => {
    const file = `${ws.dir}/serve-${name.replace(/\W+/g, '-')}.tar`;
    await writeFile(file, await bytes());
    const run = spawnAirlift(ws, ['serve', file, '--listen', '127.0.0.1:0']);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
    const r = await run.done;
    clearTimeout(timer);
    expect(r.signal, `serve started on a bad bundle: ${r.stdout}`).toBeNull();
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(says);
    expect(r.stdout).toBe('');
  });
});
