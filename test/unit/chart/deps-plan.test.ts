/**
 * Dependency resolution, the pure part: which dependencies are missing and at which version
 * (Chart.lock first, as helm dependency build), and Chart.lock's digest computed as helm does,
 * checked against the locks real charts ship (helm 3.22 refuses kyverno's as out of sync, and so
 * does this).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingDependencies, lockOutOfSync, repositoryKind } from '../../../src/chart/deps/plan.js';
import { goJson, lockDigest } from '../../../src/chart/deps/lock-digest.js';
import { loadChart, parseChartLock, type LoadedChart } from '../../../src/chart/load.js';
import { sharedPath } from '../../helpers/shared.js';

/** A real chart's Chart.yaml and Chart.lock (its dependencies are vendored, so the loader does not read the lock). */
const real = async (name: string, sub = ''): Promise<Pick<LoadedChart, 'metadata' | 'lock'>> => {
  const dir = path.join(sharedPath(`charts-real/${name}/chart`), sub);
  const c = await loadChart(dir);
  return { metadata: c.metadata, lock: parseChartLock(await readFile(path.join(dir, 'Chart.lock'), 'utf8'), path.join(dir, 'Chart.lock')) };
};

describe('Chart.lock digest as helm computes it', () => {
  it('matches the digest in the Chart.lock of real charts (https, oci and empty repositories, conditions, tags)', async () => {
    for (const [name, sub] of [['prometheus', ''], ['nginx', ''], ['kyverno', 'charts/reports-server'], ['kyverno', 'charts/reports-server/charts/postgresql']] as const) {
      const c = await real(name, sub);
      expect(c.lock, `${name} ${sub}`).toBeDefined();
      expect(lockOutOfSync(c, () => undefined), `${name} ${sub}`).toBeUndefined();
    }
  });

  it("kyverno's top Chart.lock is out of sync with its Chart.yaml (helm dependency build refuses it too)", async () => {
    const c = await real('kyverno');
    expect(lockOutOfSync(c, () => undefined)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("Go's JSON: sorted keys, HTML-safe strings, omitted empty fields", () => {
    expect(goJson({ b: 1, a: ['<x>&'] })).toBe('{"a":["\\u003cx\\u003e\\u0026"],"b":1}');
    const a = lockDigest([{ name: 'x', version: '>=1, <2', repository: '' }], [{ name: 'x', version: '1.5.0', repository: '' }]);
    const b = lockDigest([{ name: 'x', version: '>=1, <2', repository: '', condition: '', tags: [] }], [{ name: 'x', version: '1.5.0', repository: '' }]);
    expect(a).toBe(b);
  });

  it('@name repositories are hashed as the URL repositories.yaml gives them', () => {
    const lock = { file: 'Chart.lock', dependencies: [{ name: 'x', version: '1.0.0', repository: 'https://h/charts' }], raw: [{ name: 'x', version: '1.0.0', repository: 'https://h/charts' }] };
    const digest = lockDigest([{ name: 'x', version: '1.x', repository: 'https://h/charts' }], lock.raw);
    const chart = { metadata: { dependencies: [{ name: 'x', version: '1.x', repository: '@stable' }] }, lock: { ...lock, digest } };
    expect(lockOutOfSync(chart, (n) => (n === 'stable' ? 'https://h/charts' : undefined))).toBeUndefined();
    expect(lockOutOfSync(chart, () => undefined)).toBeDefined();
  });
});

describe('missing dependencies', () => {
  const chart = (deps: LoadedChart['dependencies'], vendored: string[], lock?: LoadedChart['lock']) => ({ dependencies: deps, subcharts: vendored.map((name) => ({ name }) as LoadedChart), ...(lock ? { lock } : {}) });

  it('vendored ones are left alone; aliases of one chart are one fetch; Chart.lock gives the version', () => {
    const deps = [
      { name: 'common', version: '2.x', repository: 'oci://r/charts' },
      { name: 'db', version: '^1.2', repository: 'https://h/charts', alias: 'primary' },
      { name: 'db', version: '^1.2', repository: 'https://h/charts', alias: 'replica' },
      { name: 'local', version: '0.1.0', repository: 'file://../local' },
      { name: 'named', repository: '@stable' },
    ];
    const lock = { file: 'Chart.lock', dependencies: [{ name: 'db', version: '1.2.7', repository: 'https://h/charts' }], raw: [] };
    expect(missingDependencies(chart(deps, ['common'], lock))).toEqual([
      { name: 'db', aliases: ['primary', 'replica'], repository: 'https://h/charts', kind: 'http', version: '1.2.7', from: 'Chart.lock' },
      { name: 'local', aliases: [], repository: 'file://../local', kind: 'file', version: '0.1.0', from: 'Chart.yaml' },
      { name: 'named', aliases: [], repository: '@stable', kind: 'named', from: 'Chart.yaml' },
    ]);
  });

  it('names the kind of each repository', () => {
    expect(['', 'file://x', 'oci://r/p', 'https://h', 'http://h', '@n', 'alias:n'].map(repositoryKind)).toEqual(['none', 'file', 'oci', 'http', 'http', 'named', 'named']);
  });
});
