import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { loadChart, loadChartArchive } from '../../../src/chart/load.js';
import { readTgz } from '../../../src/chart/archive.js';
import { scanCharts } from '../../../src/chart/scan.js';
import { formatPath } from '../../../src/chart/values.js';
import { InputError, NotFoundError, TooLargeError } from '../../../src/errors.js';
import { makeTgz } from './helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'airlift-chart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

describe('loadChart', () => {
  it('reads a packaged chart with a packaged subchart inside, to any depth', async () => {
    const leaf = await makeTgz({ 'leaf/Chart.yaml': 'name: leaf\nversion: 0.0.1\nappVersion: "9"\n', 'leaf/values.yaml': 'image:\n  repository: org/leaf\n  tag: ""\n' });
    const mid = await makeTgz({
      'mid/Chart.yaml': 'name: mid\nversion: 0.1.0\n',
      'mid/values.yaml': 'image: mid:1\n',
      'mid/charts/leaf-0.0.1.tgz': leaf,
    });
    const top = await makeTgz({
      'top/Chart.yaml': 'name: top\nversion: 1.0.0\nappVersion: 2.0.0\ndependencies:\n  - name: mid\n    version: 0.1.0\n    alias: middle\n',
      'top/values.yaml': 'image: {repository: org/top, tag: null}\nmiddle:\n  leaf:\n    image:\n      tag: "7"\n',
      'top/templates/job.yaml': 'spec:\n  containers:\n    - image: "busybox:1.36"\n',
      'top/charts/mid-0.1.0.tgz': mid,
    });
    const file = path.join(tmp, 'top-1.0.0.tgz');
    writeFileSync(file, top);
    const chart = await loadChart(file);
    expect(chart).toMatchObject({ name: 'top', version: '1.0.0', appVersion: '2.0.0', packaged: true, path: file });
    expect(chart.templates.map((t) => t.name)).toEqual(['templates/job.yaml']);
    expect(chart.subcharts[0]!.path).toBe(`${file}!/top/charts/mid-0.1.0.tgz`);
    expect(chart.subcharts[0]!.subcharts[0]!.name).toBe('leaf');

    const r = await scanCharts([file]);
    const got = Object.fromEntries(r.findings.map((f) => [`${f.kind}:${formatPath(f.path)}`, f.raw]));
    expect(got).toEqual({
      'values:image': 'org/top:2.0.0',
      'template:': 'busybox:1.36',
      'values:middle.image': 'mid:1',
      'values:middle.leaf.image': 'org/leaf:7',
    });
    expect(r.charts.map((c) => [c.chart, c.packaged, c.alias ?? ''])).toEqual([
      ['top', true, ''],
      ['top/middle', true, 'middle'],
      ['top/middle/leaf', true, ''],
    ]);
  });

  it('reads a chart directory with directory subcharts; conditions and tags disable', async () => {
    write('dir/Chart.yaml', 'name: d\nversion: 1.0.0\ndependencies:\n  - {name: a, condition: a.enabled}\n  - {name: b, tags: [extra]}\n  - {name: remote, repository: https://x, condition: remote.enabled}\n');
    write('dir/values.yaml', 'a: {enabled: false}\ntags: {extra: false}\nremote:\n  enabled: false\n  image: {repository: r/x, tag: "1"}\n');
    write('dir/charts/a/Chart.yaml', 'name: a\nversion: 1.0.0\n');
    write('dir/charts/a/values.yaml', 'image: a:1\n');
    write('dir/charts/b/Chart.yaml', 'name: b\nversion: 1.0.0\n');
    write('dir/charts/b/values.yaml', 'image: b:1\n');
    write('dir/charts/c/Chart.yaml', 'name: c\nversion: 1.0.0\n');
    write('dir/charts/c/values.yaml', 'image: c:1\n');
    write('dir/ci/huge.bin', 'not read');
    const all = await scanCharts([path.join(tmp, 'dir')]);
    expect(all.findings.map((f) => [formatPath(f.path), Boolean(f.disabled)])).toEqual([
      ['remote.image', true],
      ['a.image', true],
      ['b.image', true],
      ['c.image', false],
    ]);
    expect(all.charts.find((c) => c.chart === 'd')!.missingDependencies).toEqual(['remote']);
    const enabled = await scanCharts([path.join(tmp, 'dir')], { enabledOnly: true, set: ['tags.extra=true'] });
    expect(enabled.findings.map((f) => formatPath(f.path))).toEqual(['b.image', 'c.image']);
  });

  it('user values files, --set and --set-string layer over the chart, and name the file', async () => {
    write('lay/Chart.yaml', 'name: lay\nversion: 1.0.0\n');
    write('lay/values.yaml', 'image: {repository: org/x, tag: "1"}\nother: {image: {repository: org/y, tag: "1"}}\ngone: {image: z:1}\n');
    const f1 = write('lay-1.yaml', 'image: {tag: "2"}\ngone: null\n');
    const f2 = write('lay-2.yaml', 'image: {tag: "3"}\n');
    const r = await scanCharts([path.join(tmp, 'lay')], { valuesFiles: [f1, f2], setString: ['other.image.tag=007'] });
    expect(r.findings.map((f) => [formatPath(f.path), f.raw, path.basename(f.file)])).toEqual([
      ['image', 'org/x:3', 'lay-2.yaml'],
      ['other.image', 'org/y:007', '--set-string'],
    ]);
  });

  it('clear errors: missing chart, no Chart.yaml, invalid YAML, values not a map, missing values file', async () => {
    await expect(loadChart(path.join(tmp, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
    mkdirSync(path.join(tmp, 'empty'), { recursive: true });
    await expect(loadChart(path.join(tmp, 'empty'))).rejects.toThrow(/no Chart.yaml/);
    write('bad/Chart.yaml', 'name: bad\nversion: 1\n');
    write('bad/values.yaml', 'a: [1, 2\n');
    await expect(loadChart(path.join(tmp, 'bad'))).rejects.toThrow(/bad\/values.yaml: invalid YAML/);
    write('list/Chart.yaml', 'name: list\nversion: 1\n');
    write('list/values.yaml', '- a\n- b\n');
    const e = await loadChart(path.join(tmp, 'list')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(/list\/values.yaml: a values file must be a YAML map, found a list/);
    await expect(scanCharts([path.join(tmp, 'lay')], { valuesFiles: [path.join(tmp, 'missing.yaml')] })).rejects.toThrow(/missing.yaml cannot be read/);
  });

  it('bounds YAML alias expansion', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    write('bomb/Chart.yaml', 'name: bomb\nversion: 1\n');
    write('bomb/values.yaml', `${lines.join('\n')}\n`);
    await expect(loadChart(path.join(tmp, 'bomb'))).rejects.toBeInstanceOf(TooLargeError);
  });

  it('rejects non-gzip data, archives without one Chart.yaml, oversized entries and path escapes', async () => {
    await expect(loadChartArchive(Buffer.from('plain text'), 'x.tgz')).rejects.toThrow(/not a gzip-compressed chart archive/);
    await expect(loadChartArchive(await makeTgz({ 'a/values.yaml': 'x: 1' }), 'y.tgz')).rejects.toThrow(/expected one <name>\/Chart.yaml/);
    const big = await makeTgz({ 'c/Chart.yaml': 'name: c\n', 'c/big.yaml': Buffer.alloc(2048) });
    await expect(readTgz(big, 'big.tgz', { maxEntryBytes: 1024, maxTotalBytes: 1 << 20, maxEntries: 10 })).rejects.toBeInstanceOf(TooLargeError);
    const escape = await makeTgz({ '../evil/Chart.yaml': 'name: e\n' });
    await expect(readTgz(escape, 'e.tgz')).rejects.toThrow(/escapes the archive/);
    await expect(readTgz(gzipSync(Buffer.alloc(10, 1)), 'z.tgz')).rejects.toThrow();
  });
});
