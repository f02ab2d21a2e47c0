/**
 * Dependencies declared in Chart.yaml and not vendored, through the CLI in-process, with file://
 * repositories (a chart directory and a .tgz beside the umbrella) and repositories on a closed
 * loopback port: the dependencies' images are found, conditions and aliases apply as for vendored
 * subcharts, a dependency that cannot be had is an error naming the chart, the dependency and
 * what was tried (--skip-missing-deps: a warning), --no-fetch-deps reads charts/ only, and a
 * Chart.lock out of step with Chart.yaml is refused as helm refuses it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageChartDir } from '../../../src/bundle/charts.js';
import { lockDigest } from '../../../src/chart/deps/lock-digest.js';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { runCli } from '../../helpers/io.js';

let tmp: string;

async function chart(dir: string, name: string, version: string, image: string, chartYaml = ''): Promise<string> {
  await mkdir(path.join(dir, 'templates'), { recursive: true });
  await writeFile(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${name}\nversion: ${version}\n${chartYaml}`);
  await writeFile(path.join(dir, 'values.yaml'), `image: ${image}\n`);
  await writeFile(
    path.join(dir, 'templates', 'pod.yaml'),
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\nspec:\n  containers:\n    - name: c\n      image: {{ .Values.image | quote }}\n',
  );
  return dir;
}

const DEPS = [
  'dependencies:',
  '  - name: web',
  '    version: "1.x"',
  '    repository: file://../web',
  '  - name: web',
  '    version: "1.x"',
  '    repository: file://../web',
  '    alias: web2',
  '    condition: web2.enabled',
  '  - name: db',
  '    version: "0.2.0"',
  '    repository: file://../db-0.2.0.tgz',
  '',
].join('\n');

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-deps-file-'));
  await chart(path.join(tmp, 'web'), 'web', '1.4.0', 'example.com/web:1.4');
  await chart(path.join(tmp, 'db-src'), 'db', '0.2.0', 'example.com/db:0.2');
  await writeFile(path.join(tmp, 'db-0.2.0.tgz'), await packageChartDir(path.join(tmp, 'db-src'), 'db'));
  await chart(path.join(tmp, 'umbrella'), 'umbrella', '3.0.0', 'example.com/umbrella:3', DEPS);
  await writeFile(path.join(tmp, 'umbrella', 'values.yaml'), 'image: example.com/umbrella:3\nweb2:\n  enabled: true\n  image: example.com/web:alias\n');
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('file:// dependencies', () => {
  it('finds the images of dependencies read from a directory and a .tgz; an alias is its own instance; a condition turns one off', async () => {
    const r = await runCli(['images', path.join(tmp, 'umbrella'), '-o', 'list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual(['example.com/db:0.2', 'example.com/umbrella:3', 'example.com/web:1.4', 'example.com/web:alias']);
    const off = await runCli(['images', path.join(tmp, 'umbrella'), '-o', 'list', '--set', 'web2.enabled=false']);
    expect(off.stdout.trim().split('\n').sort()).toEqual(['example.com/db:0.2', 'example.com/umbrella:3', 'example.com/web:1.4']);
    const json = JSON.parse((await runCli(['images', path.join(tmp, 'umbrella'), '-o', 'json'])).stdout) as { images: Array<{ ref: string; sources: Array<{ chart: string }> }>; dependencies: Array<{ chart: string; name: string; version: string; source: string; digest: string }> };
    expect(json.images.find((i) => i.ref === 'example.com/web:alias')?.sources.map((s) => s.chart)).toEqual(['umbrella/web2']);
    expect(json.dependencies.map((d) => [d.chart, d.name, d.version, d.source])).toEqual([
      ['umbrella', 'web', '1.4.0', `file://${path.join(tmp, 'web')}`],
      ['umbrella', 'db', '0.2.0', `file://${path.join(tmp, 'db-0.2.0.tgz')}`],
    ]);
    expect(json.dependencies.every((d) => /^sha256:[0-9a-f]{64}$/.test(d.digest))).toBe(true);
  });

  it('--no-fetch-deps reads only what charts/ vendors', async () => {
    const r = await runCli(['images', path.join(tmp, 'umbrella'), '-o', 'list', '--no-fetch-deps']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['example.com/umbrella:3']);
  });

  it('a version the file:// chart does not have, or a missing path, is an error naming the chart and the dependency; --skip-missing-deps makes it a warning', async () => {
    const dir = await chart(path.join(tmp, 'bad'), 'bad', '1.0.0', 'example.com/bad:1', 'dependencies:\n  - name: web\n    version: "2.x"\n    repository: file://../web\n  - name: gone\n    version: "1.0.0"\n    repository: file://../gone\n');
    const r = await runCli(['images', dir, '-o', 'list']);
    expect(r.code).toBe(EXIT_CODES.E_INPUT);
    expect(r.stderr).toContain('bad: dependency web 2.x from file://../web');
    expect(r.stderr).toContain('version 1.4.0, which 2.x does not admit');
    expect(r.stdout).toBe('');
    const s = await runCli(['images', dir, '-o', 'json', '--skip-missing-deps']);
    expect(s.code, s.stderr).toBe(0);
    const doc = JSON.parse(s.stdout) as { images: Array<{ ref: string }>; warnings: string[]; skippedDependencies: Array<{ name: string }> };
    expect(doc.skippedDependencies.map((d) => d.name)).toEqual(['web', 'gone']);
    expect(doc.images.map((i) => i.ref)).toEqual(['example.com/bad:1']);
    expect(doc.warnings).toEqual([expect.stringMatching(/bad: dependency web 2\.x .*--skip-missing-deps/), expect.stringMatching(/bad: dependency gone 1\.0\.0 from file:\/\/\.\.\/gone.*does not exist/)]);
    expect(s.stderr).toContain('dependency gone');
  });

  it('a version in Chart.yaml that is no version or constraint helm takes is an input error naming the chart, the dependency and the version', async () => {
    for (const version of ['>=abc', '1.0 ||']) {
      const dir = await chart(path.join(tmp, 'badrange'), 'badrange', '1.0.0', 'example.com/bad:1', `dependencies:\n  - name: web\n    version: "${version}"\n    repository: file://../web\n`);
      const r = await runCli(['images', dir, '-o', 'list']);
      expect(r.code, r.stderr).toBe(EXIT_CODES.E_INPUT);
      expect(r.stderr).toContain(`badrange: dependency web ${version} from file://../web`);
      expect(r.stderr).toContain(`version ${JSON.stringify(version)} in Chart.yaml`);
      expect(r.stdout).toBe('');
    }
  });

  it('a repository that does not answer is an error naming the chart, the dependency and the repository (loopback, closed port)', async () => {
    const dir = await chart(path.join(tmp, 'remote'), 'remote', '1.0.0', 'example.com/r:1', 'dependencies:\n  - name: sub\n    version: "1.x"\n    repository: http://127.0.0.1:9/charts\n');
    const r = await runCli(['images', dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('remote: dependency sub 1.x from http://127.0.0.1:9/charts cannot be fetched');
    const s = await runCli(['images', dir, '-o', 'list', '--skip-missing-deps']);
    expect([s.code, s.stdout]).toEqual([0, 'example.com/r:1\n']);
  });

  it('a dependency with no repository and nothing under charts/ is named; Chart.lock out of step with Chart.yaml is refused as helm refuses it', async () => {
    const none = await chart(path.join(tmp, 'none'), 'none', '1.0.0', 'example.com/n:1', 'dependencies:\n  - name: sub\n    version: "1.0.0"\n');
    const r = await runCli(['images', none]);
    expect(r.code).toBe(EXIT_CODES.E_INPUT);
    expect(r.stderr).toContain('none: dependency sub 1.0.0: it has no repository and is not under charts/');

    const locked = await chart(path.join(tmp, 'locked'), 'locked', '1.0.0', 'example.com/l:1', 'dependencies:\n  - name: web\n    version: "1.x"\n    repository: file://../web\n');
    const lockDeps = [{ name: 'web', version: '1.4.0', repository: 'file://../web' }];
    const good = lockDigest([{ name: 'web', version: '1.x', repository: 'file://../web' }], lockDeps);
    const lockYaml = (digest: string) => `dependencies:\n- name: web\n  repository: file://../web\n  version: 1.4.0\ndigest: ${digest}\ngenerated: "2026-01-01T00:00:00Z"\n`;
    await writeFile(path.join(locked, 'Chart.lock'), lockYaml(good));
    const ok = await runCli(['images', locked, '-o', 'list']);
    expect([ok.code, ok.stdout.trim().split('\n').sort()]).toEqual([0, ['example.com/l:1', 'example.com/web:1.4']]);
    await writeFile(path.join(locked, 'Chart.lock'), lockYaml(`sha256:${'0'.repeat(64)}`));
    const stale = await runCli(['images', locked, '-o', 'list']);
    expect(stale.code).toBe(EXIT_CODES.E_INPUT);
    expect(stale.stderr).toMatch(/Chart\.lock is out of sync with the dependencies in .*Chart\.yaml/);
    expect(stale.stderr).toContain('helm dependency update');
  });
});
