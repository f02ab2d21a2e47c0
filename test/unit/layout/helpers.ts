/** Helpers for layout tests: a minimal image copy between endpoints, temp dirs. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { VerifyingStream } from '../../../src/digest/index.js';
import type { ImageDestination, ImageSource } from '../../../src/endpoint/types.js';
import { parseManifest } from '../../../src/oci/manifest.js';
import type { Descriptor, RawManifest } from '../../../src/oci/types.js';

export async function tempDir(prefix = 'airlift-layout-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function copyManifest(src: ImageSource, dst: ImageDestination, srcRepo: string, dstRepo: string, m: RawManifest): Promise<void> {
  const p = parseManifest(`manifest ${m.digest}`, m);
  const manifests = p.kind === 'index' ? p.children : [];
  const blobs = p.kind === 'image' ? [p.config, ...p.layers] : [];
  for (const b of blobs) await copyBlob(src, dst, srcRepo, dstRepo, b);
  for (const child of manifests) {
    const cm = await src.getManifest(srcRepo, child.digest);
    await copyManifest(src, dst, srcRepo, dstRepo, cm);
    await dst.putManifest(dstRepo, cm);
  }
}

async function copyBlob(src: ImageSource, dst: ImageDestination, srcRepo: string, dstRepo: string, b: Descriptor): Promise<void> {
  if (await dst.hasBlob(dstRepo, b)) return;
  const body = await src.getBlob(srcRepo, b);
  await dst.putBlob(dstRepo, b, body.pipe(new VerifyingStream(`blob ${b.digest}`, b.digest, b.size)));
}

/** Copies one image (and its children) by tag from src to dst, naming it `dstRepo:tag`. */
export async function copyImage(src: ImageSource, dst: ImageDestination, srcRepo: string, ref: string, dstRepo: string, tag: string): Promise<string> {
  const m = await src.getManifest(srcRepo, ref);
  await copyManifest(src, dst, srcRepo, dstRepo, m);
  await dst.putManifest(dstRepo, m, tag);
  return m.digest;
}
