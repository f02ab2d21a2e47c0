import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTgz } from '../../../src/chart/archive.js';
import { packageChartDir } from '../../../src/bundle/charts.js';
import { parseHelmIgnore } from '../../../src/bundle/helmignore.js';
import { InputError } from '../../../src/errors.js';

describe('parseHelmIgnore', () => {
  const rules = parseHelmIgnore(
    ['# editor files', '', '*.swp', '.DS_Store', 'docs/', '/secrets/*.key', 'ci/*.yaml', '!ci/keep.yaml', '*.tgz', '!charts/*.tgz', 'file[0-9].txt', 'build/**/*.log'].join('\n'),
    '.helmignore',
  );
  const cases: Array<[string, boolean, boolean]> = [
    ['a.swp', false, true],
    ['templates/deep/b.swp', false, true],
    ['.DS_Store', false, true],
    ['docs', true, true],
    ['sub/docs', true, true],
    ['docs', false, false], // "docs/" matches directories only
    ['secrets/a.key', false, true],
    ['other/secrets/a.key', false, false], // anchored at the root
    ['ci/a.yaml', false, true],
    ['ci/keep.yaml', false, false], // negation re-includes
    ['ci/sub/a.yaml', false, false], // * does not cross /
    ['old.tgz', false, true],
    ['charts/sub-1.0.0.tgz', false, false],
    ['file7.txt', false, true],
    ['fileX.txt', false, false],
    ['build/a/b/c.log', false, true],
    ['build/c.log', false, true],
    ['values.yaml', false, false],
    ['# editor files', false, false],
    ['templates/.hidden', false, true], // helm's default rule
    ['templates/sub/.hidden', false, false],
  ];
  for (const [rel, isDir, want] of cases) {
    it(`${want ? 'ignores' : 'keeps'} ${rel}${isDir ? '/' : ''}`, () => {
      expect(rules.ignores(rel, isDir)).toBe(want);
    });
  }

  it('names the file and line of a broken pattern', () => {
    expect(() => parseHelmIgnore('ok\nbad[', '/c/.helmignore')).toThrow(InputError);
    expect(() => parseHelmIgnore('ok\nbad[', '/c/.helmignore')).toThrow('/c/.helmignore:2');
  });
});

describe('packageChartDir honours .helmignore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-helmignore-'));
    const c = path.join(dir, 'web');
    await mkdir(path.join(c, 'templates'), { recursive: true });
    await mkdir(path.join(c, 'docs'), { recursive: true });
    await mkdir(path.join(c, 'ci'), { recursive: true });
    await writeFile(path.join(c, 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 1.0.0\n');
    await writeFile(path.join(c, 'values.yaml'), 'image: nginx:1.25\n');
    await writeFile(path.join(c, 'templates', 'deploy.yaml'), 'kind: Deployment\n');
    await writeFile(path.join(c, 'templates', '.notes'), 'hidden\n');
    await writeFile(path.join(c, 'docs', 'big.md'), 'x'.repeat(1000));
    await writeFile(path.join(c, 'ci', 'test.yaml'), 'a: 1\n');
    await writeFile(path.join(c, 'ci', 'keep.yaml'), 'a: 2\n');
    await writeFile(path.join(c, 'notes.swp'), 'swap');
    await writeFile(path.join(c, '.helmignore'), '# not in the package\ndocs/\n*.swp\nci/*\n!ci/keep.yaml\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves out ignored files and directories and keeps re-included ones', async () => {
    const tgz = await packageChartDir(path.join(dir, 'web'), 'web');
    const names = [...(await readTgz(tgz, 'web.tgz')).keys()].sort();
    expect(names).toEqual(['web/.helmignore', 'web/Chart.yaml', 'web/ci/keep.yaml', 'web/templates/deploy.yaml', 'web/values.yaml']);
  });
});
