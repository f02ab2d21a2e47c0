/**
 * A copy into an OCI layout directory (`copy … oci:DIR`) that fails leaves nothing half-written: a
 * directory the run created is removed (it held an oci-layout file and blobs/ but no index.json, which
 * no tool reads as an image), an existing empty directory is left empty, and a layout that was
 * there keeps its index.json as it was. The failure: a bundle whose layer does not match its digest.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replaceEntry, sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/io.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-failed-layout-copy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bundle of `ref` whose layer has one byte changed (same size): every copy of it fails on the layer's digest. */
async function brokenBundle(name: string, ref: string): Promise<string> {
  const s = sampleBundle(ref);
  const layerName = `blobs/sha256/${s.layerDigest.slice('sha256:'.length)}`;
  const layer = Buffer.from(s.entries.find((e) => e.name === layerName)!.body as Buffer);
  layer[10] = layer[10]! ^ 0xff;
  const file = path.join(dir, name);
  await writeBundle(file, replaceEntry(s.entries, layerName, layer));
  return file;
}

describe('copy into oci:DIR that fails', () => {
  it('a directory the run created (and its new parents) is gone; the error names the blob', async () => {
    const bundle = await brokenBundle('broken.tar', 'example.com/team/app:1.0');
    const out = path.join(dir, 'new-parent', 'layout');
    const r = await runCli(['copy', `oci-archive:${bundle}`, `oci:${out}`]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(/^error \[E_DIGEST_MISMATCH\]/m);
    expect(existsSync(path.join(dir, 'new-parent'))).toBe(false);
  });

  it('an existing empty directory stays empty', async () => {
    const bundle = await brokenBundle('broken2.tar', 'example.com/team/app:1.0');
    const out = path.join(dir, 'empty');
    mkdirSync(out);
    const r = await runCli(['copy', `oci-archive:${bundle}`, `oci:${out}`]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a layout that was there keeps its index.json and its image', async () => {
    const good = path.join(dir, 'good.tar');
    const s = sampleBundle('example.com/team/web:2.0', 1000);
    await writeBundle(good, s.entries);
    const out = path.join(dir, 'existing');
    const first = await runCli(['copy', `oci-archive:${good}`, `oci:${out}:web`]);
    expect(first.code, first.stderr).toBe(0);
    const index = readFileSync(path.join(out, 'index.json'));
    const bundle = await brokenBundle('broken3.tar', 'example.com/team/app:1.0');
    const r = await runCli(['copy', `oci-archive:${bundle}`, `oci:${out}`]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(readFileSync(path.join(out, 'index.json')).equals(index)).toBe(true);
    const back = await runCli(['copy', `oci:${out}:web`, `oci:${path.join(dir, 'back')}`]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.trim()).toBe(s.manifestDigest);
  });
});
