/**
 * Trap 4 of issue #17 (the parts that need no registry): a YAML error shows the line and a caret;
 * `copy oci-archive:bundle.tar DEST` without a reference lists the references the archive holds;
 * `images --hosts` lists the hosts airlift connects to (Docker Hub is registry-1.docker.io).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeFrame } from '../../../src/chart/yaml.js';
import { sampleBundle, tarBytes, writeBundle } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/io.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const CHART = path.join(repoRoot, 'fixtures/charts/example-shop');
const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-failure-messages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('YAML errors', () => {
  it('name the file, the line and the column, and show the line with a caret under the column', async () => {
    const f = path.join(dir, 'bad.yaml');
    writeFileSync(f, 'image:\n  repository: nginx\n  tag: [1, 2\nother: x\n');
    const r = await runCli(['images', CHART, '-f', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`error [E_INPUT]: ${f}: invalid YAML at line 4, column 1: `);
    expect(r.stderr).toContain('\n  4 | other: x\n    | ^\n');
    expect(r.stderr).toContain(`hint: fix the YAML at line 4 of ${f}`);
  });

  it('the caret lines up under tabs and in a long line', () => {
    expect(codeFrame('a: 1\n\tb: [x\n', 2, 3)).toBe('  2 | \tb: [x\n    | \t ^');
    const long = `k: ${'x'.repeat(300)}: y`;
    const frame = codeFrame(long, 1, 290).split('\n');
    expect(frame[0]!.length).toBeLessThan(140);
    const caret = frame[1]!.indexOf('^');
    expect(frame[0]![caret]).toBe('x');
    expect(codeFrame('a\n', 9, 1)).toBe('');
  });
});

describe('copy from a bundle without a reference', () => {
  it('with several images: exit 2, listing the references the bundle holds and how to name one', async () => {
    const one = sampleBundle('example.com/team/app:1.0');
    const two = sampleBundle('example.com/team/web:2.0', 1000);
    const index = JSON.parse(String(one.entries.find((e) => e.name === 'index.json')!.body)) as { manifests: unknown[] };
    const index2 = JSON.parse(String(two.entries.find((e) => e.name === 'index.json')!.body)) as { manifests: unknown[] };
    index.manifests.push(...index2.manifests);
    const entries = [
      ...one.entries.filter((e) => e.name !== 'index.json'),
      ...two.entries.filter((e) => e.name.startsWith('blobs/sha256/') && !one.entries.some((o) => o.name === e.name)),
      { name: 'index.json', body: JSON.stringify(index) },
    ];
    const bundle = path.join(dir, 'two.tar');
    writeFileSync(bundle, await tarBytes(entries));
    const r = await runCli(['copy', `oci-archive:${bundle}`, `oci:${path.join(dir, 'out')}`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error [E_USAGE]: oci-archive:${bundle} holds 2 images and the source names none of them`);
    expect(r.stderr).toContain(`hint: add the reference of one after the path: oci-archive:${bundle}:example.com/team/app:1.0; it holds: example.com/team/app:1.0, example.com/team/web:2.0`);
    const wrong = await runCli(['copy', `oci-archive:${bundle}:example.com/team/db:3`, `oci:${path.join(dir, 'out')}`]);
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('hint: it holds: example.com/team/app:1.0, example.com/team/web:2.0');
  });

  it('with one image: copies it', async () => {
    const bundle = path.join(dir, 'one.tar');
    const s = sampleBundle('example.com/team/app:1.0');
    await writeBundle(bundle, s.entries);
    const r = await runCli(['copy', `oci-archive:${bundle}`, `oci:${path.join(dir, 'one-out')}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(s.manifestDigest);
  });
});

describe('images --hosts', () => {
  it('lists the hosts airlift connects to beside the registry names: Docker Hub is registry-1.docker.io', async () => {
    // rendered manifests on stdin, as helm template | airlift images -
    const m = await runCli(['images', '--hosts', '-'], { stdin: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25\n  - name: b\n    image: quay.io/a/b:1\n' });
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toBe('auth.docker.io\ndocker.io\nproduction.cloudflare.docker.com\nquay.io\nregistry-1.docker.io\n');
  });
});
