/**
 * Conflicts inside a bundle (issue #16 item 6), against a real docker-registry:
 * one reference named in index.json for two digests, and an image whose
 * mapped destination is the chart's own PREFIX/charts/<name>:<version>, are
 * E_CONFLICT (exit 10) before anything is pushed: the registry's catalog
 * stays empty. The same reference twice with one digest is one image.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageChartDir } from '../../../src/bundle/charts.js';
import { useRegistry } from '../../harness/use-registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { mergedBundle, writeBundle, type BundleEntry } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/io.js';
import { scratch, type Scratch } from '../../unit/bad-input/fixtures.js';
import { catalog } from '../../harness/workspace.js';

const reg = useRegistry('plain');
let s: Scratch;
beforeAll(async () => {
  s = await scratch('airlift-load-conflicts-');
});
afterAll(async () => {
  await s?.remove();
});

/** The images of several sample bundles in one layout, each index entry named as given. */
function merged(images: Array<{ ref: string; layerBytes: number }>): { entries: BundleEntry[]; digests: string[] } {
  const m = mergedBundle(images);
  return { entries: m.entries, digests: m.images.map((i) => i.digest) };
}

async function load(bundle: string, to: string): Promise<{ code: number; stderr: string }> {
  return runCli(['--plain-http', reg().host, 'load', bundle, '--to', to]);
}

describe('load refuses conflicts inside a bundle', () => {
  it('one reference for two digests in index.json is E_CONFLICT before anything is pushed', async () => {
    const { entries, digests } = merged([
      { ref: 'example.com/team/app:1.0', layerBytes: 3000 },
      { ref: 'example.com/team/app:1.0', layerBytes: 4000 },
    ]);
    const bundle = path.join(s.dir, 'two-digests.tar');
    await writeBundle(bundle, entries);
    const r = await load(bundle, `${reg().host}/dup`);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toContain('E_CONFLICT');
    expect(r.stderr).toContain(`${reg().host}/dup/team/app:1.0`);
    for (const d of digests) expect(r.stderr).toContain(d);
    expect((await catalog(reg())).filter((n) => n.startsWith('dup/'))).toEqual([]);
  });

  it("an image mapped onto the chart's own PREFIX/charts/<name>:<version> is E_CONFLICT before anything is pushed", async () => {
    const chartDir = path.join(s.dir, 'demo');
    await mkdir(path.join(chartDir, 'templates'), { recursive: true });
    await writeFile(path.join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
    await writeFile(path.join(chartDir, 'values.yaml'), 'image: example.com/charts/demo:0.1.0\n');
    const tgz = await packageChartDir(chartDir, 'demo');
    const { entries } = merged([{ ref: 'example.com/charts/demo:0.1.0', layerBytes: 3000 }]);
    const bundle = path.join(s.dir, 'image-on-chart.tar');
    await writeBundle(bundle, [...entries, { name: 'charts/', type: 'directory' }, { name: 'charts/demo-0.1.0.tgz', body: tgz }]);
    const r = await load(bundle, `${reg().host}/onchart`);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toContain(`${reg().host}/onchart/charts/demo:0.1.0`);
    expect(r.stderr).toContain('charts/demo-0.1.0.tgz');
    expect(r.stderr).toContain('example.com/charts/demo:0.1.0');
    expect((await catalog(reg())).filter((n) => n.startsWith('onchart/'))).toEqual([]);
    // The same bundle under another mapping has no conflict, and both land.
    const ok = await runCli(['--plain-http', reg().host, 'load', bundle, '--to', `${reg().host}/onchart`, '--mapping', 'preserve-registry']);
    expect(ok.code, ok.stderr).toBe(0);
    const chart = await skopeoInspectDigest(reg(), 'onchart/charts/demo:0.1.0');
    const image = await skopeoInspectDigest(reg(), 'onchart/example.com/charts/demo:0.1.0');
    expect(chart).not.toBe(image);
  });

  it('the same reference twice with one digest is one image, loaded once', async () => {
    const { entries, digests } = merged([
      { ref: 'example.com/team/app:1.0', layerBytes: 3000 },
      { ref: 'example.com/team/app:1.0', layerBytes: 3000 },
    ]);
    expect(digests[0]).toBe(digests[1]);
    const bundle = path.join(s.dir, 'same-digest-twice.tar');
    await writeBundle(bundle, entries);
    const r = await runCli(['--plain-http', reg().host, 'load', bundle, '--to', `${reg().host}/twice`, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(1);
    expect(await skopeoInspectDigest(reg(), 'twice/team/app:1.0')).toBe(digests[0]);
  });
});
