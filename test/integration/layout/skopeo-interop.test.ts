/**
 * Interop with the real skopeo 1.9.3: skopeo reads bundles airlift writes,
 * airlift reads layouts and archives skopeo writes, and skopeo pulls from
 * `airlift serve`. (skopeo 1.9's oci: and oci-archive: transports only see
 * index entries with OCI media types, so Docker-media-type images are checked
 * through `serve`, where skopeo reads them as from any registry.)
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { skopeo } from '../../harness/skopeo.js';
import { copyImages } from '../../../src/copy/index.js';
import { silentLogger } from '../../../src/log.js';
import { openOciArchiveDestination, openOciArchiveSource } from '../../../src/endpoint/oci-archive.js';
import { openOciDirDestination, openOciDirSource } from '../../../src/endpoint/oci-dir.js';
import { startServe } from '../../../src/serve/server.js';
import { copyImage, tempDir } from '../../unit/layout/helpers.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let gen: GeneratedLayout;
let bundle: string;
const full = (name: string): string => `docker.io/${name}`;

beforeAll(async () => {
  tmp = await tempDir('airlift-layout-it-');
  gen = await generateLayout(path.join(tmp.dir, 'gen'), presetTiny());
  bundle = path.join(tmp.dir, 'bundle.tar');
  const src = await openOciDirSource(gen.dir);
  const dst = await openOciArchiveDestination(bundle);
  const jobs = gen.images.map((img) => ({ source: { store: src, repo: img.name, reference: img.tag }, dest: { store: dst, repo: full(img.name), tag: img.tag } }));
  const failed = (await copyImages(jobs, { concurrency: 4, logger: silentLogger })).filter((r) => r.status !== 'copied');
  if (failed.length) throw new Error(`setup copy failed: ${failed.map((r) => r.error?.message).join('; ')}`);
  dst.addFile('airlift.lock.json', Buffer.from('{}\n'));
  await dst.commit();
  await src.close();
}, 60_000);
afterAll(async () => tmp.cleanup());

describe('skopeo reads what airlift writes', () => {
  it('copies every OCI image out of the bundle by its full name, digests unchanged', async () => {
    const oci = gen.images.filter((i) => i.format === 'oci');
    expect(oci.length).toBeGreaterThanOrEqual(3);
    for (const img of oci) {
      const out = path.join(tmp.dir, `out-${img.name.replace('/', '-')}`);
      await skopeo(['copy', '--all', '--preserve-digests', `oci-archive:${bundle}:${full(img.name)}:${img.tag}`, `oci:${out}:x`]);
      const raw = (await skopeo(['inspect', '--raw', `oci:${out}:x`])).stdout;
      expect(sha(raw)).toBe(img.digest);
      // and every blob arrived with its digest (skopeo verifies; check the layer files too)
      for (const m of img.manifests) {
        for (const l of m.layers) {
          expect(sha(await readFile(path.join(out, 'blobs', 'sha256', l.digest.slice(7))))).toBe(l.digest);
        }
      }
    }
  }, 120_000);

  it('copies an image out of an oci: directory airlift wrote, to dir:', async () => {
    const dir = path.join(tmp.dir, 'airlift-dir');
    const src = await openOciArchiveSource(bundle);
    const dst = await openOciDirDestination(dir);
    const img = gen.images.find((i) => i.name === 'fixtures/beta')!;
    await copyImage(src, dst, full(img.name), img.tag, full(img.name), img.tag);
    await dst.commit();
    const out = path.join(tmp.dir, 'beta-dir');
    await skopeo(['copy', '--preserve-digests', `oci:${dir}:${full(img.name)}:${img.tag}`, `dir:${out}`]);
    expect(sha(await readFile(path.join(out, 'manifest.json')))).toBe(img.digest);
  }, 60_000);
});

describe('airlift reads what skopeo writes', () => {
  it('reads an oci: layout skopeo wrote (plain tag and full-name ref names), blobs verified', async () => {
    const sk = path.join(tmp.dir, 'skopeo-layout');
    const alpha = gen.images.find((i) => i.name === 'fixtures/alpha')!;
    const multi = gen.images.find((i) => i.name === 'fixtures/multi')!;
    await skopeo(['copy', '--preserve-digests', `oci:${gen.dir}:${alpha.ref}`, `oci:${sk}:alpha`]);
    await skopeo(['copy', '--all', '--preserve-digests', `oci:${gen.dir}:${multi.ref}`, `oci:${sk}:${full(multi.name)}:${multi.tag}`]);
    const src = await openOciDirSource(sk);
    expect((await src.resolveManifest('', 'alpha'))?.digest).toBe(alpha.digest);
    expect((await src.resolveManifest(full(multi.name), multi.tag))?.digest).toBe(multi.digest);
    // copying through airlift verifies every blob and manifest it reads
    const out = path.join(tmp.dir, 'from-skopeo.tar');
    const dst = await openOciArchiveDestination(out);
    const results = await copyImages(
      [
        { source: { store: src, repo: '', reference: 'alpha' }, dest: { store: dst, repo: full(alpha.name), tag: alpha.tag } },
        { source: { store: src, repo: full(multi.name), reference: multi.tag }, dest: { store: dst, repo: full(multi.name), tag: multi.tag } },
      ],
      { concurrency: 4, logger: silentLogger },
    );
    expect(results.map((r) => r.digest)).toEqual([alpha.digest, multi.digest]);
    await dst.commit();
    const back = await openOciArchiveSource(out);
    expect(back.images().map((e) => e.refName)).toEqual([`${full(alpha.name)}:${alpha.tag}`, `${full(multi.name)}:${multi.tag}`]);
  }, 120_000);

  it('reads an oci-archive skopeo wrote, in place', async () => {
    const alpha = gen.images.find((i) => i.name === 'fixtures/alpha')!;
    const tar = path.join(tmp.dir, 'skopeo.tar');
    await skopeo(['copy', '--preserve-digests', `oci:${gen.dir}:${alpha.ref}`, `oci-archive:${tar}:${full(alpha.name)}:${alpha.tag}`]);
    const src = await openOciArchiveSource(tar);
    const dst = await openOciDirDestination(path.join(tmp.dir, 'from-skopeo-tar'));
    expect(await copyImage(src, dst, full(alpha.name), alpha.tag, '', 'a')).toBe(alpha.digest);
  }, 60_000);
});

describe('skopeo pulls from airlift serve', () => {
  it('inspects and copies every image (OCI and Docker media types), by stripped and by full name', async () => {
    const srv = await startServe({ bundle, listen: '127.0.0.1:0' });
    try {
      for (const img of gen.images) {
        const raw = (await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${srv.address}/${img.name}:${img.tag}`])).stdout;
        expect(sha(raw)).toBe(img.digest);
        const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', `docker://${srv.address}/${full(img.name)}:${img.tag}`])).stdout.toString());
        expect(info.Digest).toBe(img.digest);
        const out = path.join(tmp.dir, `served-${img.name.replace('/', '-')}`);
        await skopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', `docker://${srv.address}/${img.name}:${img.tag}`, `dir:${out}`]);
        expect(sha(await readFile(path.join(out, 'manifest.json')))).toBe(img.digest);
      }
      const tags = JSON.parse((await skopeo(['list-tags', '--tls-verify=false', `docker://${srv.address}/fixtures/alpha`])).stdout.toString());
      expect(tags.Tags).toEqual(['1.0']);
    } finally {
      await srv.close();
    }
  }, 120_000);

  it('`airlift serve` prints its address, serves, and stops on SIGTERM', async () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'cmd/airlift.ts'), 'serve', bundle, '--listen', '127.0.0.1:0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const line = out.split('\n')[0];
          if (out.includes('\n') && line) resolve(line.trim());
        });
        child.once('exit', (code) => reject(new Error(`airlift serve exited early (${code})`)));
        setTimeout(() => reject(new Error('airlift serve did not print its address')), 30_000);
      });
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
      const gamma = gen.images.find((i) => i.name === 'fixtures/gamma')!;
      const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', `docker://${address}/fixtures/gamma:3.0`])).stdout.toString());
      expect(info.Digest).toBe(gamma.digest);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});
