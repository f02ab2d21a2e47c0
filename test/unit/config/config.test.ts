import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig, validateConfig } from '../../../src/config/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-config-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const file = (): string => path.join(dir, 'airlift.yaml');

describe('airlift.yaml', () => {
  it('reads every field, resolving paths against the file', async () => {
    await writeFile(
      file(),
      [
        'target: mirror.internal:5000/platform',
        'mapping: preserve-registry',
        'platforms: [linux/amd64, linux/arm64/v8]',
        'concurrency: 4',
        'charts:',
        '  - ./charts/app',
        '  - path: other.tgz',
        '    values: [prod.yaml]',
        '    set: [a=b]',
        "    setJson: ['image={\"tag\":\"1\"}']",
        '    setFile: [ca=certs/ca.pem]',
        'images: [docker.io/library/nginx:1.25]',
        'imagesFile: images.txt',
      ].join('\n'),
    );
    const c = await readConfig(file());
    expect(c.target).toEqual({ host: 'mirror.internal:5000', prefix: 'platform' });
    expect(c.mapping).toBe('preserve-registry');
    expect(c.platforms).toEqual([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }]);
    expect(c.concurrency).toBe(4);
    expect(c.charts).toEqual([
      { path: path.join(dir, 'charts/app'), values: [], set: [], setString: [], setJson: [], setFile: [], baseDir: dir },
      // --set-file paths stay as written and resolve against the file's directory (baseDir) when read
      { path: path.join(dir, 'other.tgz'), values: [path.join(dir, 'prod.yaml')], set: ['a=b'], setString: [], setJson: ['image={"tag":"1"}'], setFile: ['ca=certs/ca.pem'], baseDir: dir },
    ]);
    expect(c.imagesFile).toBe(path.join(dir, 'images.txt'));
  });

  it.each([
    [{ images: ['nginx'], colour: 'red' }, 'colour: unknown field'],
    [{ images: 'nginx' }, 'images: expected a list of strings'],
    [{ images: ['UPPER/Case:tag'] }, 'images[0]: invalid image reference'],
    [{ images: ['nginx'], platforms: ['linux'] }, 'platforms[0]: invalid platform'],
    [{ images: ['nginx'], target: 'https://x' }, 'target: target "https://x" must not start'],
    [{ images: ['nginx'], mapping: 'sideways' }, 'mapping: invalid mapping mode'],
    [{ images: ['nginx'], concurrency: 0 }, 'concurrency: expected a whole number'],
    [{ charts: [{ values: ['x.yaml'] }] }, 'charts[0].path: expected the path'],
    [{ charts: [{ path: 'x', valuez: [] }] }, 'charts[0].valuez: unknown field'],
    [{}, 'names nothing to copy'],
  ])('refuses %j naming the field', (doc, msg) => {
    expect(() => validateConfig(doc as Record<string, unknown>, 'airlift.yaml')).toThrow(msg);
    try {
      validateConfig(doc as Record<string, unknown>, 'airlift.yaml');
    } catch (e) {
      expect((e as { code: string }).code).toBe('E_INPUT');
      expect((e as Error).message.startsWith('airlift.yaml: ')).toBe(true);
    }
  });

  it('reports a missing file, invalid YAML and a top-level list clearly', async () => {
    await expect(readConfig(path.join(dir, 'nope.yaml'))).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await writeFile(file(), 'images: [unclosed\n');
    await expect(readConfig(file())).rejects.toMatchObject({ code: 'E_INPUT' });
    await writeFile(file(), '- a\n- b\n');
    await expect(readConfig(file())).rejects.toThrow(/must be a YAML map/);
  });
});
