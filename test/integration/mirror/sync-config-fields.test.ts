/**
 * `sync --config` with every field of airlift.yaml at once (charts with
 * values/set, images, imagesFile, platforms, target, mapping, concurrency),
 * relative paths resolved against the file's directory, checked with skopeo
 * at the destination. Real docker-registry processes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;

const pair = useSeededPair('sync-config');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
}, 120_000);

describe('sync --config with every field', () => {
  it('copies the chart images (values and --set applied), images, imagesFile, with platforms, target and mapping from the file', async () => {
    const byName = (n: string) => layout.images.find((i) => i.name === `fixtures/${n}`)!;
    const dir = path.join(tmp, 'ci');
    await mkdir(path.join(dir, 'chart', 'templates'), { recursive: true });
    await writeFile(path.join(dir, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: c\nversion: 0.1.0\n');
    // the chart's own tag does not exist: prod.yaml (values:) must win; other.image comes only from set:
    await writeFile(path.join(dir, 'chart', 'values.yaml'), `image:\n  repository: ${src.host}/fixtures/alpha\n  tag: "0.0"\nother:\n  image: none\n`);
    await writeFile(path.join(dir, 'prod.yaml'), 'image:\n  tag: "1.0"\n');
    await writeFile(path.join(dir, 'images.txt'), `# extra\n${src.host}/fixtures/gamma:3.0\n`);
    await writeFile(
      path.join(dir, 'airlift.yaml'),
      [
        `target: ${dst.host}/ci`,
        'mapping: flatten',
        'platforms: [linux/amd64]',
        'concurrency: 2',
        'charts:',
        '  - path: ./chart',
        '    values: [prod.yaml]',
        `    set: [other.image=${src.host}/fixtures/beta:2.1]`,
        '    setString: []',
        `images: [${src.host}/fixtures/multi:1.0]`,
        'imagesFile: images.txt',
        '',
      ].join('\n'),
    );
    const lock = path.join(tmp, 'ci.lock.json');
    // run from another directory: every path in the file is relative to the file
    const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--config', path.join(dir, 'airlift.yaml'), '--lock-out', lock, '-o', 'json'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ kind: string; source: string; destination: string; status: string }>;
    expect(rows.filter((x) => x.kind === 'image').map((x) => x.destination).sort()).toEqual(['alpha:1.0', 'beta:2.1', 'gamma:3.0', 'multi:1.0'].map((t) => `${dst.host}/ci/${t}`));
    // the chart travels too, under PREFIX/charts/ whatever the image mapping
    expect(rows.filter((x) => x.kind === 'chart').map((x) => [x.source, x.destination, x.status])).toEqual([[path.join(dir, 'chart'), `${dst.host}/ci/charts/c:0.1.0`, 'copied']]);
    for (const n of ['alpha', 'beta', 'gamma']) expect(await skopeoInspectDigest(dst, `ci/${n}:${byName(n).tag}`), n).toBe(byName(n).digest);
    const written = JSON.parse(await readFile(lock, 'utf8')) as { target: string; images: Array<{ source: string; digest: string; platforms: string[]; filtered?: { sourceDigest: string } }> };
    expect(written.target).toBe(`${dst.host}/ci`);
    const m = written.images.find((i) => i.source.endsWith('fixtures/multi:1.0'))!;
    expect(m.platforms).toEqual(['linux/amd64']);
    expect(m.filtered?.sourceDigest).toBe(byName('multi').digest);
    expect(await skopeoInspectDigest(dst, 'ci/multi:1.0')).toBe(m.digest);
  });
});
