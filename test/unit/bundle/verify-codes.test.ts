/**
 * verify picks its error code from what went wrong, not from the words of its
 * messages (issue #18 item 7): an image named `expected` or `damaged` whose only
 * problem is an oversized manifest still fails E_TOO_LARGE (exit 9), one with a
 * missing blob E_BUNDLE; a blob whose bytes were changed is E_DIGEST_MISMATCH.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';
import { tempDir } from '../layout/helpers.js';
import { sha256Hex as hex } from '../../helpers/digest.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir('airlift-verify-codes-');
});
afterAll(async () => tmp.cleanup());

/** Writes an OCI layout with one image named `name`: its blobs (by content) and the manifest given. */
async function layout(dirName: string, name: string, manifest: Buffer, blobs: Buffer[]): Promise<string> {
  const dir = path.join(tmp.dir, dirName);
  await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const b of [...blobs, manifest]) await writeFile(path.join(dir, 'blobs', 'sha256', hex(b)), b);
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: OCI_MANIFEST, digest: `sha256:${hex(manifest)}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': name } }],
  };
  await writeFile(path.join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}

function imageManifest(config: Buffer, layer: Buffer, pad = 0): Buffer {
  const d = (b: Buffer, mediaType: string) => ({ mediaType, digest: `sha256:${hex(b)}`, size: b.length });
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: d(config, 'application/vnd.oci.image.config.v1+json'),
      layers: [d(layer, 'application/vnd.oci.image.layer.v1.tar')],
      ...(pad ? { annotations: { pad: 'x'.repeat(pad) } } : {}),
    }),
  );
}

const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
const layer = Buffer.from('not really a tar, but verify only hashes it');

describe('verify error codes come from typed problems', () => {
  it('an image named …expected… with an oversized manifest fails E_TOO_LARGE (exit 9), not E_DIGEST_MISMATCH', async () => {
    const dir = await layout('too-large', '127.0.0.1:5000/expected/damaged:1', imageManifest(config, layer, 4 * 1024 * 1024 + 10), [config, layer]);
    const r = await runCli(['verify', dir]);
    expect(r.stderr).toMatch(/error \[E_TOO_LARGE\]/);
    expect(r.stderr).toContain('expected/damaged');
    expect(r.code, r.stderr).toBe(9);
  });

  it('an image named …expected… with a missing layer fails E_BUNDLE', async () => {
    const dir = await layout('missing', '127.0.0.1:5000/expected/damaged:1', imageManifest(config, layer), [config]);
    const r = await runCli(['verify', dir]);
    expect(r.stderr).toMatch(/error \[E_BUNDLE\]/);
    expect(r.stderr).toMatch(/is missing/);
    expect(r.code, r.stderr).toBe(6);
  });

  it('a layer whose bytes were changed fails E_DIGEST_MISMATCH, whatever the image is called', async () => {
    const dir = await layout('changed', '127.0.0.1:5000/plain/app:1', imageManifest(config, layer), [config]);
    await writeFile(path.join(dir, 'blobs', 'sha256', hex(layer)), Buffer.from(layer.toString().toUpperCase()));
    const r = await runCli(['verify', dir]);
    expect(r.stderr).toMatch(/error \[E_DIGEST_MISMATCH\]/);
    expect(r.code, r.stderr).toBe(6);
  });

  it('a sound layout passes', async () => {
    const dir = await layout('sound', '127.0.0.1:5000/expected/damaged:1', imageManifest(config, layer), [config, layer]);
    const r = await runCli(['verify', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+127\.0\.0\.1:5000\/expected\/damaged:1/m);
  });
});
