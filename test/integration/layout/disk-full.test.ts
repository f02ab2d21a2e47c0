/**
 * Disk full while writing a bundle: a small tmpfs mounted in a private user and
 * mount namespace (`unshare -rm`). The error is E_IO and says the disk is full;
 * no file is left at the output path and no temporary tar remains.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../unit/layout/helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir('airlift-diskfull-');
});
afterAll(async () => tmp.cleanup());

const root = path.resolve(import.meta.dirname, '../../..');

function runOnTmpfs(mountDir: string, tmpfsSize: string, layerBytes: number, extraBytes = 0): Promise<{ ok: boolean; code?: string; message: string; files: string[] }> {
  const child = path.join(import.meta.dirname, 'support', 'disk-full-child.ts');
  const script = `mount -t tmpfs -o size=${tmpfsSize} tmpfs "$1" && exec "$2" --import tsx "$3" "$1" "$4" "$5"`;
  return new Promise((resolve, reject) => {
    execFile('unshare', ['-rm', 'sh', '-c', script, 'sh', mountDir, process.execPath, child, String(layerBytes), String(extraBytes)], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`unshare -rm (user + mount namespace for a small tmpfs) failed: ${stderr || err.message}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

describe('disk full while writing a bundle', () => {
  it('while the end of the tar (index.json, charts, lock) is written: E_IO, nothing at the output path, staging kept', async () => {
    const m = path.join(tmp.dir, 'commit');
    await mkdir(m);
    // the 1.8 MB layer fits; a 1.8 MB chart after it does not
    const r = await runOnTmpfs(m, '3m', 1_800_000, 1_800_000);
    expect(r.ok).toBe(false);
    expect(r.code).toBe('E_IO');
    expect(r.message).toMatch(/^disk full while writing bundle .*bundle\.tar$/);
    expect(r.files).not.toContain('bundle.tar');
    expect(r.files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(r.files).toContain('bundle.tar.airlift-staging/');
  });

  it('while a blob is staged: E_IO naming the blob, no partial blob left', async () => {
    const m = path.join(tmp.dir, 'stage');
    await mkdir(m);
    const r = await runOnTmpfs(m, '1m', 1_800_000);
    expect(r.ok).toBe(false);
    expect(r.code).toBe('E_IO');
    expect(r.message).toMatch(/^disk full while writing blob sha256:[0-9a-f]{64} to /);
    expect(r.files).not.toContain('bundle.tar');
    expect(r.files.filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('succeeds when the disk has room (the same child, a larger tmpfs)', async () => {
    const m = path.join(tmp.dir, 'room');
    await mkdir(m);
    const r = await runOnTmpfs(m, '8m', 1_800_000);
    expect(r).toMatchObject({ ok: true, files: ['bundle.tar'] });
  });
});
