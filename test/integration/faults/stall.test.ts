/**
 * Stalled transfers (issue #16 item 8), from a scripted registry whose
 * chosen blobs trickle (1 byte per 0.5 s after a fast start) or are never
 * answered (no headers at all), with airlift run as a child process whose
 * stderr is a pipe, not a terminal:
 *
 * - with the default settings, each stalled transfer is reported on stderr
 *   within 30 s, naming the image, the blob and the bytes so far;
 * - under --min-rate over --min-rate-window the transfer fails with a clear
 *   E_NETWORK error (exit 7) instead of running until a CI timeout, and no
 *   bundle is left behind;
 * - a slow transfer that keeps above the minimum rate completes.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlowRegistry, type SlowImage, type SlowRegistry } from '../../harness/slow-registry.js';
import { sampleBundle } from '../../helpers/bundle.js';
import { spawnAirlift, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
let reg: SlowRegistry;
const images = ['app1', 'app2', 'steady'].map((name, i) => ({ name, b: sampleBundle(`example.com/team/${name}:1.0`, 60_000 + i * 1000) }));
const layerOf = (name: string): string => images.find((i) => i.name === name)!.b.layerDigest;

beforeAll(async () => {
  ws = await workspace('stall');
  const slowImages: SlowImage[] = images.map(({ name, b }) => ({
    repo: `team/${name}`,
    tag: '1.0',
    manifest: b.manifest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    blobs: new Map(b.entries.filter((e) => /^blobs\/sha256\/[a-f0-9]{64}$/.test(e.name)).map((e) => [`sha256:${e.name.slice(13)}`, e.body as Buffer])),
  }));
  reg = await startSlowRegistry(slowImages);
  reg.slow.set(layerOf('app1'), { kind: 'trickle', fastBytes: 1000, bytesPerTick: 1, tickMs: 500 });
  reg.slow.set(layerOf('app2'), { kind: 'hang' });
  reg.slow.set(layerOf('steady'), { kind: 'trickle', bytesPerTick: 4096, tickMs: 100 });
}, 120_000);
afterAll(async () => {
  await reg?.close();
  await ws?.remove();
});

const ref = (name: string): string => `${reg.host}/team/${name}:1.0`;

describe('stalled transfers', () => {
  it('reports a trickling blob and a registry that never answers within 30 s, off a terminal', async () => {
    const out = path.join(ws.dir, 'reported.tar');
    const started = Date.now();
    const run = spawnAirlift(ws, ['--plain-http', reg.host, 'save', '--image', ref('app1'), '--image', ref('app2'), '-o', out]);
    const seen = new Map<string, number>();
    let stderr = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`no stall report within 40 s; stderr:\n${stderr}`)), 40_000);
        run.child.stderr!.on('data', (c: Buffer) => {
          stderr += c.toString();
          for (const name of ['app1', 'app2']) if (!seen.has(name) && stderr.includes(`stalled: blob ${layerOf(name)} of ${ref(name)}`)) seen.set(name, Date.now() - started);
          if (seen.size === 2) {
            clearTimeout(deadline);
            resolve();
          }
        });
      });
    } finally {
      run.child.kill('SIGKILL');
      await run.done;
    }
    for (const [name, ms] of seen) expect(ms, `${name} reported after ${ms} ms`).toBeLessThan(30_000);
    const lines = stderr.split('\n');
    const trickle = lines.find((l) => l.includes(`stalled: blob ${layerOf('app1')}`))!;
    expect(trickle).toMatch(/KiB of 58\.6 KiB so far/);
    expect(trickle).toContain(`from ${reg.host}`);
    const hang = lines.find((l) => l.includes(`stalled: blob ${layerOf('app2')}`))!;
    expect(hang).toContain('0 B of 59.6 KiB so far');
    expect(hang).toContain('has not started sending it');
  }, 60_000);

  it('fails transfers under --min-rate over --min-rate-window with a clear error, leaving no bundle', async () => {
    const out = path.join(ws.dir, 'failed.tar');
    const started = Date.now();
    const r = await spawnAirlift(ws, ['--plain-http', reg.host, '--min-rate', '1KiB', '--min-rate-window', '5s', 'save', '--image', ref('app1'), '--image', ref('app2'), '-o', out]).done;
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain('E_NETWORK');
    for (const name of ['app1', 'app2']) expect(r.stderr).toContain(`transfer stalled: blob ${layerOf(name)} of ${ref(name)}`);
    expect(r.stderr).toContain('below the minimum rate of 1.0 KiB/s');
    expect(r.stderr).toMatch(/so far/);
    expect(r.stderr).toContain('--min-rate');
    expect(took).toBeLessThan(30_000);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('completes a slow transfer that stays above the minimum rate', async () => {
    const out = path.join(ws.dir, 'steady.tar');
    const r = await spawnAirlift(ws, ['--plain-http', reg.host, '--min-rate', '1KiB', '--min-rate-window', '2s', 'save', '--image', ref('steady'), '-o', out]).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('stalled');
    expect(existsSync(out)).toBe(true);
  }, 60_000);
});
