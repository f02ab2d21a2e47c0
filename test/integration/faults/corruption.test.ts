/**
 * Permanent corruption: one blob's bytes never match its digest (the fault
 * proxy flips a byte on every GET of it, and the bundle on disk has a byte
 * changed). The run fails with E_DIGEST_MISMATCH (exit 6) naming the image
 * and the blob, and nothing refers to the bad blob afterwards: no manifest
 * is pushed for that image (checked at the registry itself), no bundle is
 * written. Images that do not use the blob still arrive intact.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry, type GeneratedImage } from '../../../fixtures/images/generate.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, blobStatus, digestMismatches, manifestStatus, repoTag, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
let victim: GeneratedImage;
let others: GeneratedImage[];
let badBlob: string;
beforeAll(async () => {
  ws = await workspace('faults-corrupt');
  // fixtures/beta has a 1 MiB layer that no other image shares.
  victim = ws.layout.images.find((i) => i.name === 'fixtures/beta')!;
  const shared = new Set(ws.layout.images.filter((i) => i !== victim).flatMap((i) => i.blobs));
  badBlob = victim.manifests[0]!.layers.map((l) => l.digest).find((d) => !shared.has(d))!;
  others = ws.layout.images.filter((i) => i !== victim);
});
afterAll(async () => {
  await ws?.remove();
});

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a blob corrupted on every download', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');
  const proxy = useFaultProxy(() => src());

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
  });

  const corruptForever = (): void => {
    proxy().addRule({ method: 'GET', path: new RegExp(`/blobs/${escape(badBlob)}$`), times: Infinity, fault: { kind: 'corrupt' } });
  };

  it('sync fails naming image and blob, pushes no manifest for that image, and copies the others', async () => {
    corruptForever();
    const images = ws.layout.images.flatMap((i) => ['--image', `${proxy().host}/${repoTag(i)}`]);
    const r = await airlift(ws, ['--plain-http', proxy().host, 'sync', ...images, '--to', `${dst().host}/mirror`]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('E_DIGEST_MISMATCH');
    expect(r.stderr).toContain(badBlob);
    expect(r.stderr).toContain(victim.name);
    expect(await manifestStatus(dst(), `mirror/${victim.name}`, victim.tag)).toBe(404);
    expect(await manifestStatus(dst(), `mirror/${victim.name}`, victim.digest)).toBe(404);
    expect(await digestMismatches(dst(), 'mirror', others)).toEqual([]);
    // The bad bytes never landed under the blob's name either.
    expect(await blobStatus(dst(), `mirror/${victim.name}`, badBlob)).toBe(404);
  });

  it('save fails naming image and blob, and writes no bundle', async () => {
    corruptForever();
    const out = path.join(ws.dir, 'corrupt.tar');
    const images = ws.layout.images.flatMap((i) => ['--image', `${proxy().host}/${repoTag(i)}`]);
    const r = await airlift(ws, ['--plain-http', proxy().host, 'save', ...images, '-o', out]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(badBlob);
    expect(r.stderr).toContain(victim.name);
    expect(existsSync(out)).toBe(false);
  });

  it('--json reports the failure as one error event naming the blob', async () => {
    corruptForever();
    const out = path.join(ws.dir, 'corrupt-json.tar');
    const r = await airlift(ws, ['--json', '--plain-http', proxy().host, 'save', '--image', `${proxy().host}/${repoTag(victim)}`, '-o', out]);
    expect(r.code).toBe(6);
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; code?: string; message?: string });
    const last = events.at(-1)!;
    expect(last.type).toBe('error');
    expect(last.code).toBe('E_DIGEST_MISMATCH');
    expect(last.message).toContain(badBlob);
    expect(existsSync(out)).toBe(false);
  });
});

describe('a bundle with one byte changed in one blob', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');

  it('load fails naming the blob, and pushes no manifest that refers to it', async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
    const bundle = path.join(ws.dir, 'tamper.tar');
    const images = ws.layout.images.flatMap((i) => ['--image', `${src().host}/${repoTag(i)}`]);
    const saved = await airlift(ws, ['--plain-http', src().host, 'save', ...images, '-o', bundle]);
    expect(saved.code, saved.stderr).toBe(0);

    // Flip one byte in the middle of the bad blob's data inside the tar.
    const bytes = await readFile(bundle);
    const hex = badBlob.slice('sha256:'.length);
    const header = bytes.indexOf(Buffer.from(`blobs/sha256/${hex}`));
    expect(header).toBeGreaterThanOrEqual(0);
    const dataStart = Math.floor(header / 512) * 512 + 512;
    bytes[dataStart + 4096] = bytes[dataStart + 4096]! ^ 0xff;
    await writeFile(bundle, bytes);

    const r = await airlift(ws, ['--plain-http', dst().host, 'load', bundle, '--to', `${dst().host}/loaded`]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(badBlob);
    expect(await manifestStatus(dst(), `loaded/${victim.name}`, victim.tag)).toBe(404);
    expect(await manifestStatus(dst(), `loaded/${victim.name}`, victim.digest)).toBe(404);

    const v = await airlift(ws, ['verify', bundle]);
    expect(v.code).toBe(6);
    expect(v.stderr).toContain(badBlob);
  });
});
