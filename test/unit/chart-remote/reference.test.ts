/** Chart arguments (local path or reference), helm's chart URL resolution, index.yaml parsing, airlift.yaml chart entries. */
import { describe, expect, it } from 'vitest';
import { parseChartRef } from '../../../src/chart/remote/reference.js';
import { parseIndex, resolveChartUrl } from '../../../src/chart/remote/http-repo.js';
import { parseOciChartRef } from '../../../src/chart/remote/oci.js';
import { validateConfig } from '../../../src/config/index.js';

const none = () => false;

describe('parseChartRef', () => {
  it('oci:// is always a reference, with the version', () => {
    expect(parseChartRef('oci://reg:5000/charts/app', { cwd: '/w', version: '1.x', exists: none })).toEqual({ kind: 'remote', request: { chart: 'oci://reg:5000/charts/app', version: '1.x' } });
  });
  it('REPO/CHART is a repositories.yaml name only when no local path of that name exists', () => {
    expect(parseChartRef('bitnami/redis', { cwd: '/w', exists: none })).toEqual({ kind: 'remote', request: { chart: 'bitnami/redis' } });
    expect(parseChartRef('bitnami/redis', { cwd: '/w', exists: (p) => p === '/w/bitnami/redis' })).toEqual({ kind: 'local', path: '/w/bitnami/redis' });
    expect(parseChartRef('./bitnami/redis', { cwd: '/w', exists: none })).toEqual({ kind: 'local', path: '/w/bitnami/redis' });
    expect(parseChartRef('charts/app-1.0.0.tgz', { cwd: '/w', exists: none })).toEqual({ kind: 'local', path: '/w/charts/app-1.0.0.tgz' });
    expect(parseChartRef('a/b/c', { cwd: '/w', exists: none })).toEqual({ kind: 'local', path: '/w/a/b/c' });
  });
  it('with --repo the argument is a chart name', () => {
    expect(parseChartRef('redis', { cwd: '/w', repo: 'https://charts.example.com', exists: none })).toEqual({ kind: 'remote', request: { repository: 'https://charts.example.com', chart: 'redis' } });
    expect(() => parseChartRef('x/redis', { cwd: '/w', repo: 'https://c', exists: none })).toThrow(/with --repo, the chart is a name in that repository/);
  });
  it('--version on a local chart is refused, naming it', () => {
    expect(() => parseChartRef('./app', { cwd: '/w', version: '1.2.3', exists: none })).toThrow(/--version 1\.2\.3 applies to a chart from a repository, and "\.\/app" is a local chart/);
  });
});

describe('parseOciChartRef', () => {
  it('splits host, repository and chart; a tag after the chart is sent to --version', () => {
    expect(parseOciChartRef('oci://127.0.0.1:5000/team/charts/app')).toEqual({ host: '127.0.0.1:5000', repo: 'team/charts/app', chart: 'app' });
    expect(() => parseOciChartRef('oci://reg/charts/app:1.2.3')).toThrow(/give the chart's version with --version/);
    expect(() => parseOciChartRef('oci://reg/Charts/App')).toThrow(/not a valid repository path/);
  });
});

describe('chart URLs as helm resolves them', () => {
  it.each([
    ['https://h/charts', 'app-1.0.0.tgz', 'https://h/charts/app-1.0.0.tgz'],
    ['https://h/charts/', 'app-1.0.0.tgz', 'https://h/charts/app-1.0.0.tgz'],
    ['https://h/charts', '../other/app.tgz', 'https://h/other/app.tgz'],
    ['https://h/charts', '/abs/app.tgz', 'https://h/abs/app.tgz'],
    ['https://h/charts', 'https://cdn.example.com/app.tgz', 'https://cdn.example.com/app.tgz'],
    ['https://h/charts?token=x', 'app.tgz', 'https://h/charts/app.tgz?token=x'],
  ])('%s + %s = %s', (base, ref, want) => {
    expect(resolveChartUrl(base, ref)).toBe(want);
  });
});

describe('parseIndex', () => {
  it('reads entries with their urls and digest', () => {
    const idx = parseIndex('apiVersion: v1\nentries:\n  app:\n  - version: 1.0.0\n    urls: [app-1.0.0.tgz]\n    digest: abc\n', 'https://h/c/index.yaml');
    expect(idx.repoUrl).toBe('https://h/c/');
    expect(idx.entries.get('app')).toEqual([{ version: '1.0.0', urls: ['app-1.0.0.tgz'], digest: 'abc' }]);
  });
  it('names the URL when it is not YAML, or not an index', () => {
    expect(() => parseIndex('a: [b\n', 'https://h/c/index.yaml')).toThrow(/the repository index https:\/\/h\/c\/index\.yaml is not YAML/);
    expect(() => parseIndex('<html></html>\n', 'https://h/c/index.yaml')).toThrow(/is not a Helm repository index \(no "entries" map\)/);
  });
});

describe('airlift.yaml chart entries', () => {
  it('takes chart: with version: and repo:', () => {
    const cfg = validateConfig(
      { charts: ['oci://reg/charts/a', { chart: 'oci://reg/charts/b', version: '1.2.x' }, { repo: 'https://charts.example.com', chart: 'redis', version: 18 }, { path: './c' }] },
      '/w/airlift.yaml',
    );
    expect(cfg.charts.map((c) => c.remote ?? c.path)).toEqual([
      { chart: 'oci://reg/charts/a' },
      { chart: 'oci://reg/charts/b', version: '1.2.x' },
      { repository: 'https://charts.example.com', chart: 'redis', version: '18' },
      '/w/c',
    ]);
  });
  it('refuses path: with chart:, repo: without chart:, and a chart that names no repository', () => {
    expect(() => validateConfig({ charts: [{ path: './c', chart: 'oci://r/c' }] }, 'a.yaml')).toThrow(/charts\[0\]: give either path: .* or chart: .*, not both/);
    expect(() => validateConfig({ charts: [{ path: './c', repo: 'https://x' }] }, 'a.yaml')).toThrow(/charts\[0\]\.repo: goes with chart:/);
    expect(() => validateConfig({ charts: [{ chart: 'redis' }] }, 'a.yaml')).toThrow(/charts\[0\]\.chart: "redis" names no repository/);
  });
});
