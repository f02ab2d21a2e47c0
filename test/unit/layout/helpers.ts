/** Helpers for layout tests: a minimal image copy between endpoints, temp dirs. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { VerifyingStream, sha256 } from '../../../src/digest/index.js';
import type { ImageDestination, ImageSource } from '../../../src/endpoint/types.js';
import type { PlannedTar } from '../../../src/layout/planned-tar.js';
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

/** A blob of random bytes and its descriptor. */
export function randomBlob(size: number): { bytes: Buffer; desc: { digest: string; size: number } } {
  const bytes = randomBytes(size);
  return { bytes, desc: { digest: sha256(bytes), size } };
}

/**
 * `stored` (a planned tar storing `bad` as `desc`) failed as a changed byte must: E_DIGEST_MISMATCH
 * naming the blob and the digest of the bytes given, the blob not stored, and no bundle finished to `out`.
 */
export async function expectChangedByteRefused(tar: PlannedTar, desc: { digest: string; size: number }, bad: Buffer, stored: Promise<unknown>, out: string): Promise<void> {
  const err = await stored.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message?: string },
  );
  expect(err?.code).toBe('E_DIGEST_MISMATCH');
  expect(err?.message).toContain(desc.digest);
  expect(err?.message).toContain(sha256(bad));
  expect(tar.has(desc.digest, desc.size)).toBe(false);
  await expect(tar.finish([], out)).rejects.toThrow(/was not stored/);
}
