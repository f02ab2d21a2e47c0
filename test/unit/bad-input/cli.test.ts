/**
 * Bad command lines and bad chart inputs through the CLI (in-process): the
 * documented exit code, a message naming the input, nothing left behind.
 */
import { readdir } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleBundle, tarBytes, writeBundle, type BundleEntry } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/io.js';
import { aliasBomb, scratch, type Scratch } from './fixtures.js';

let s: Scratch;
let chart: string;
beforeAll(async () => {
  s = await scratch();
  chart = await s.chart('good', 'image:\n  repository: nginx\n  tag: "1.25"\n');
});
afterAll(async () => {
  await s?.remove();
});

describe('bad command lines exit 2 and name what was wrong', () => {
  const cases: Array<{ argv: () => string[]; names: RegExp }> = [
    { argv: () => ['frobnicate'], names: /unknown command 'frobnicate'/ },
    { argv: () => ['images', '--frobnicate', chart], names: /unknown option '--frobnicate'/ },
    { argv: () => ['--frobnicate', 'images', chart], names: /unknown option '--frobnicate'/ },
    { argv: () => ['images'], names: /missing required argument 'chart'/ },
    { argv: () => ['--concurrency', '0', 'images', chart], names: /--concurrency.*'0'/ },
    { argv: () => ['--concurrency', 'lots', 'images', chart], names: /--concurrency.*'lots'/ },
    { argv: () => ['images', chart, '-o', 'bogus'], names: /'bogus' is invalid/ },
    { argv: () => ['images', chart, '--set', 'a[=b'], names: /--set "a\[=b"/ },
    { argv: () => ['images', chart, '-f'], names: /argument missing|missing/ },
    { argv: () => ['--plain-http', 'http://reg.example.com:5000', 'images', chart], names: /"http:\/\/reg\.example\.com:5000" is a URL: give the registry host alone, e\.g\. --plain-http reg\.example\.com:5000/ },
    { argv: () => ['images', chart, '--plain-http', 'reg.example.com/team'], names: /"reg\.example\.com\/team" has a path/ },
    { argv: () => ['--plain-http', '127.0.0.1:5000', '--plain-http', '', 'images', chart], names: /--plain-http <host>' argument '' is invalid\. expected a registry host/ },
    { argv: () => ['--plain-http', 'reg:99999', 'images', chart], names: /port 99999 is out of range/ },
  ];
  it.each(cases.map((c) => [c.argv, c.names] as const))('%#', async (argv, names) => {
    const r = await runCli(argv(), { cwd: s.dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(names);
    expect(r.stdout).toBe('');
  });
});

describe('bad chart inputs', () => {
  it('a chart path that does not exist: E_NOT_FOUND (5), naming the path', async () => {
    const r = await runCli(['images', `${s.dir}/no-such-chart`], { cwd: s.dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('E_NOT_FOUND');
    expect(r.stderr).toContain('no-such-chart');
  });

  it('a values file that does not exist: E_NOT_FOUND (5), naming the file', async () => {
    const r = await runCli(['images', chart, '-f', 'missing-values.yaml'], { cwd: s.dir });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('missing-values.yaml');
  });

  it('invalid YAML in a values file: E_INPUT (3), naming the file and the line', async () => {
    const f = await s.file('bad.yaml', 'image:\n  tag: [1, 2\nother: x\n');
    const r = await runCli(['images', chart, '-f', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('E_INPUT');
    expect(r.stderr).toContain(f);
    expect(r.stderr).toMatch(/line \d+/);
  });

  it("invalid YAML in the chart's own values.yaml: E_INPUT (3), naming the file", async () => {
    const c = await s.chart('brokenvalues', 'image: {repository: nginx\n');
    const r = await runCli(['images', c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/brokenvalues.*values\.yaml/);
  });

  it('invalid Chart.yaml: E_INPUT (3), naming the file', async () => {
    const c = await s.chart('brokenmeta', 'image: nginx:1.25\n', 'apiVersion: v2\nname: [unclosed\n');
    const r = await runCli(['images', c]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/brokenmeta.*Chart\.yaml/);
  });

  it('a values file that is a list: E_INPUT (3), naming the file', async () => {
    const f = await s.file('list.yaml', '- image: nginx\n- image: redis\n');
    const r = await runCli(['images', chart, '-f', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(f);
    expect(r.stderr).toMatch(/list/);
  });

  it('a values file that is a scalar: E_INPUT (3)', async () => {
    const f = await s.file('scalar.yaml', '"just a string"\n');
    const r = await runCli(['images', chart, '-f', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(f);
  });

  it('a YAML alias bomb as values file: E_TOO_LARGE (9) quickly, without expanding it', async () => {
    const f = await s.file('bomb.yaml', aliasBomb());
    const started = Date.now();
    const before = process.memoryUsage().heapUsed;
    const r = await runCli(['images', chart, '-f', f]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('E_TOO_LARGE');
    expect(r.stderr).toContain(f);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(256 * 1024 * 1024);
  });

  it("a YAML alias bomb in the chart's values.yaml: E_TOO_LARGE (9)", async () => {
    const c = await s.chart('bombchart', aliasBomb());
    const r = await runCli(['images', c]);
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/bombchart.*values\.yaml/);
  });

  it('a packaged chart that is not gzip: a clear error naming it', async () => {
    const f = await s.file('notachart.tgz', 'this is not a gzip file\n');
    const r = await runCli(['images', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('E_INPUT');
    expect(r.stderr).toContain('notachart.tgz');
  });

  it('--set on a path that does not parse: E_USAGE (2) naming the flag value', async () => {
    const r = await runCli(['images', chart, '--set', 'image..tag=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('image..tag');
  });

  const chartEntries = (extra: BundleEntry[]): BundleEntry[] => [
    { name: 'pkg/Chart.yaml', body: 'apiVersion: v2\nname: pkg\nversion: 0.1.0\n' },
    { name: 'pkg/values.yaml', body: 'image: nginx:1.25\n' },
    ...extra,
  ];

  it.each<[string, BundleEntry[]]>([
    ['a "../" path', [{ name: 'pkg/../../escaped.txt', body: 'x' }]],
    ['a "../" path at the top', [{ name: '../escaped.txt', body: 'x' }]],
  ])('a packaged chart with %s: E_INPUT (3) naming the entry, nothing written', async (_what, extra) => {
    const before = await s.tree();
    const f = await s.file(`evil-${before.length}.tgz`, gzipSync(await tarBytes(chartEntries(extra))));
    const r = await runCli(['images', f], { cwd: s.dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('escaped.txt');
    expect(await s.tree()).toEqual([...before, f.slice(s.dir.length + 1)].sort());
  });

  it('a packaged chart with links pointing outside: the links are never followed or created', async () => {
    const before = await s.tree();
    const extra: BundleEntry[] = [
      { name: 'pkg/templates/link', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'pkg/templates/hard', type: 'link', linkname: '../../../etc/passwd' },
    ];
    const f = await s.file('links.tgz', gzipSync(await tarBytes(chartEntries(extra))));
    const r = await runCli(['images', '-o', 'list', f], { cwd: s.dir });
    expect(r.stderr).not.toContain('root:');
    expect(r.stdout).not.toContain('root:');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('nginx:1.25');
    expect(await s.tree()).toEqual([...before, 'links.tgz'].sort());
  });

  it('a packaged chart with a file over the size limit: E_TOO_LARGE (9), bounded', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x41);
    const f = await s.file('big.tgz', gzipSync(await tarBytes(chartEntries([{ name: 'pkg/templates/big.yaml', body: big }]))));
    const r = await runCli(['images', f]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('big.yaml');
  });
});

describe('outputs under a file where a directory is needed', () => {
  it('copy to oci:FILE, oci:FILE/sub and oci-archive:FILE/x.tar: E_USAGE (2) naming the path, no stack trace, nothing written', async () => {
    const sample = sampleBundle('example.com/team/app:1.0');
    const bundle = `${s.dir}/in.tar`;
    await writeBundle(bundle, sample.entries);
    const src = `oci-archive:${bundle}:${sample.ref}`;
    const cases: Array<[string, RegExp]> = [
      [`oci:${bundle}`, /error \[E_USAGE\]: .*in\.tar is not a directory: an OCI layout is one/],
      [`oci:${bundle}/sub`, /error \[E_USAGE\]: cannot write the OCI layout .*in\.tar\/sub: a part of its path is a file, not a directory/],
      [`oci-archive:${bundle}/x.tar`, /error \[E_USAGE\]: cannot write .*x\.tar: .*in\.tar is not a directory/],
    ];
    const before = await readdir(s.dir);
    for (const [dst, message] of cases) {
      const r = await runCli(['copy', src, dst], { cwd: s.dir });
      expect(r.code, `${dst}: ${r.stderr}`).toBe(2);
      expect(r.stderr, dst).toMatch(message);
      expect(r.stderr, dst).not.toContain('this is a bug');
      expect(r.stdout, dst).toBe('');
    }
    expect(await readdir(s.dir)).toEqual(before);
  });
});

describe('save --dry-run checks the output as the real run would', () => {
  it('-o under a missing directory: E_NOT_FOUND (5); -o a directory: E_USAGE (2); a good path: the plan, exit 0; nothing written', async () => {
    const before = await readdir(s.dir);
    const missing = await runCli(['save', chart, '-o', 'nodir/b.tar', '--dry-run'], { cwd: s.dir });
    expect(missing.code, missing.stderr).toBe(5);
    expect(missing.stderr).toMatch(/error \[E_NOT_FOUND\]: cannot write .*nodir\/b\.tar: directory .*nodir does not exist/);
    expect(missing.stdout).toBe('');
    const dir = await runCli(['save', chart, '-o', '.', '--dry-run'], { cwd: s.dir });
    expect(dir.code, dir.stderr).toBe(2);
    expect(dir.stderr).toMatch(/is a directory; airlift writes a file there/);
    const ok = await runCli(['save', chart, '-o', 'b.tar', '--dry-run'], { cwd: s.dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('docker.io/library/nginx:1.25');
    expect(await readdir(s.dir)).toEqual(before);
  });
});
