import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffLocks, formatDiffText, isEmptyDiff } from '../../../src/lock/diff.js';
import type { LockChart } from '../../../src/lock/types.js';
import { runCli } from '../../helpers/io.js';
import { dg, img, lock } from './fixtures.js';

const chart = (name: string, version: string, extra: Partial<LockChart> = {}): LockChart => ({
  name,
  version,
  file: `charts/${name}-${version}.tgz`,
  digest: dg(`${name}-${version}`),
  ...extra,
});

describe('lock diff: charts', () => {
  const images = [img('docker.io/a/a:1')];
  const oldL = lock(images, { charts: [chart('web', '1.0.0'), chart('db', '2.0.0'), chart('cache', '0.1.0')] });
  const newL = lock(images, { charts: [chart('web', '1.1.0'), chart('db', '2.0.0'), chart('queue', '3.0.0')] });

  it('lists charts added, removed and changed when the images are the same', () => {
    const d = diffLocks(oldL, newL);
    expect(d.added).toEqual([]);
    expect(d.changed).toEqual([]);
    expect(d.charts.added.map((c) => c.name)).toEqual(['queue']);
    expect(d.charts.removed.map((c) => c.name)).toEqual(['cache']);
    expect(d.charts.changed).toEqual([
      { name: 'web', from: { version: '1.0.0', digest: dg('web-1.0.0') }, to: { version: '1.1.0', digest: dg('web-1.1.0') } },
    ]);
    expect(isEmptyDiff(d)).toBe(false);
    expect(isEmptyDiff(diffLocks(oldL, oldL))).toBe(true);
  });

  it('reports a repackaged chart (same version, other digest) and a destination change', () => {
    const a = lock([], { charts: [chart('web', '1.0.0', { destination: 'm:5000/charts/web:1.0.0' })] });
    const b = lock([], { charts: [chart('web', '1.0.0', { digest: dg('other'), destination: 'n:5000/charts/web:1.0.0' })] });
    const d = diffLocks(a, b);
    expect(d.charts.changed).toEqual([
      {
        name: 'web',
        from: { version: '1.0.0', digest: dg('web-1.0.0') },
        to: { version: '1.0.0', digest: dg('other') },
        destination: { from: 'm:5000/charts/web:1.0.0', to: 'n:5000/charts/web:1.0.0' },
      },
    ]);
    // a digest missing on one side is not a change by itself
    const noDigest = lock([], { charts: [{ name: 'web', version: '1.0.0', destination: 'm:5000/charts/web:1.0.0' }] });
    expect(isEmptyDiff(diffLocks(a, noDigest))).toBe(true);
  });

  it('matches by name and version when a lock holds two versions of one chart', () => {
    const two = lock([], { charts: [chart('web', '1.0.0'), chart('web', '2.0.0')] });
    const one = lock([], { charts: [chart('web', '2.0.0')] });
    const d = diffLocks(two, one);
    expect(d.charts.removed.map((c) => c.version)).toEqual(['1.0.0']);
    expect(d.charts.changed).toEqual([]);
    expect(d.charts.added).toEqual([]);
  });

  it('formats chart lines after the image lines', () => {
    expect(formatDiffText(diffLocks(oldL, newL)).split('\n')).toEqual([
      `+ chart queue 3.0.0 ${dg('queue-3.0.0')}`,
      `- chart cache 0.1.0 ${dg('cache-0.1.0')}`,
      `~ chart web 1.0.0 ${dg('web-1.0.0')} → 1.1.0 ${dg('web-1.1.0')}`,
      '',
    ]);
  });
});

describe('airlift lock diff with charts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-lockdiff-charts-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints chart changes (text and JSON) even when no image changed', async () => {
    const o = path.join(dir, 'old.json');
    const n = path.join(dir, 'new.json');
    await writeFile(o, JSON.stringify(lock([img('docker.io/a/a:1')], { charts: [chart('web', '1.0.0')] })));
    await writeFile(n, JSON.stringify(lock([img('docker.io/a/a:1')], { charts: [chart('web', '1.1.0'), chart('db', '2.0.0')] })));
    const r = await runCli(['lock', 'diff', o, n]);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([`+ chart db 2.0.0 ${dg('db-2.0.0')}`, `~ chart web 1.0.0 ${dg('web-1.0.0')} → 1.1.0 ${dg('web-1.1.0')}`]);
    expect(r.stderr).toContain('charts: 1 added, 0 removed, 1 changed');
    expect(r.stderr).not.toContain('no differences');
    const j = JSON.parse((await runCli(['lock', 'diff', o, n, '-o', 'json'])).stdout);
    expect(j.charts.added.map((c: LockChart) => c.name)).toEqual(['db']);
    expect(j.charts.changed[0]).toMatchObject({ name: 'web', from: { version: '1.0.0' }, to: { version: '1.1.0' } });
  });
});
