/**
 * `serve` never sends bytes that do not match the digest it announces
 * (issue #16 item 3): a bundle replaced by a rename keeps being served from
 * the file serve opened, a blob whose bytes do not match its digest is cut
 * off before its body completes (and refused afterwards), and a bundle
 * written in place after a blob was served is checked again. skopeo, pulling
 * from serve, is the independent judge of what a client receives.
 */
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServe } from '../../../src/serve/server.js';
import { indexTar } from '../../../src/layout/tar-index.js';
import { skopeo } from '../../harness/skopeo.js';
import { replaceEntry, sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-serve-integrity-'));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** GET a path; resolves with status, headers and the body, or with `cut: true` when the connection ends before Content-Length bytes. */
function get(base: string, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${p}`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const finish = (cut: boolean): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), cut });
      res.on('end', () => finish(!res.complete));
      res.on('error', () => finish(true));
      res.on('aborted', () => finish(true));
    });
    req.on('error', reject);
  });
}

async function withServe<T>(bundle: string, fn: (s: RunningServe, base: string) => Promise<T>, logs: string[] = []): Promise<T> {
  const logger = { log: (level: string, message: string) => void logs.push(`${level}: ${message}`), event: () => undefined };
  const server = await startServe({ bundle, listen: '127.0.0.1:0', logger });
  try {
    return await fn(server, `http://${server.address}`);
  } finally {
    await server.close();
  }
}

describe('serve integrity', () => {
  it('keeps serving the bundle it opened when the file is replaced by a rename', async () => {
    const a = sampleBundle('example.com/team/app:1.0', 200_000);
    const file = path.join(tmp, 'renamed.tar');
    await writeBundle(file, a.entries);
    // Another bundle: the same names in another order, so every offset in the file differs.
    const b = sampleBundle('example.com/team/app:1.0', 150_000);
    const other = path.join(tmp, 'renamed.new.tar');
    await writeBundle(other, [...b.entries].reverse());
    const logs: string[] = [];
    await withServe(file, async (_s, base) => {
      await rename(other, file);
      const whole = await get(base, `/v2/team/app/blobs/${a.layerDigest}`);
      expect(whole.status).toBe(200);
      expect(whole.headers['docker-content-digest']).toBe(a.layerDigest);
      expect(whole.cut).toBe(false);
      expect(sha(whole.body)).toBe(a.layerDigest);
      const part = await get(base, `/v2/team/app/blobs/${a.layerDigest}`, { Range: 'bytes=100-199' });
      expect(part.status).toBe(206);
      expect(part.body).toEqual(whole.body.subarray(100, 200));
      // skopeo pulls the whole image from serve and checks every digest itself.
      const out = path.join(tmp, 'pulled-renamed');
      await skopeo(['copy', '--preserve-digests', '--src-tls-verify=false', '--src-no-creds', `docker://${base.slice(7)}/team/app:1.0`, `oci:${out}:app`]);
      const pulledLayer = await open(path.join(out, 'blobs', 'sha256', a.layerDigest.slice(7)), 'r');
      await pulledLayer.close();
    }, logs);
    expect(logs.filter((l) => l.includes('was replaced on disk'))).toHaveLength(1);
  });

  it('cuts a blob whose bytes do not match its digest before its body completes, and refuses it afterwards', async () => {
    const a = sampleBundle('example.com/team/app:1.0', 200_000);
    const layerName = `blobs/sha256/${a.layerDigest.slice(7)}`;
    const layer = a.entries.find((e) => e.name === layerName)!.body as Buffer;
    const bad = Buffer.from(layer);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff; // same size, last byte changed: only the whole hash can tell
    const file = path.join(tmp, 'damaged.tar');
    await writeBundle(file, replaceEntry(a.entries, layerName, bad));
    await withServe(file, async (_s, base) => {
      const first = await get(base, `/v2/team/app/blobs/${a.layerDigest}`);
      expect(first.status).toBe(200);
      expect(first.cut).toBe(true);
      expect(first.body.length).toBeLessThan(layer.length);
      const again = await get(base, `/v2/team/app/blobs/${a.layerDigest}`);
      expect(again.status).toBe(500);
      expect(again.body.toString()).toContain('does not match its digest');
      const part = await get(base, `/v2/team/app/blobs/${a.layerDigest}`, { Range: 'bytes=0-99' });
      expect(part.status).toBe(500);
      // The cut stream did not take the bundle's descriptor with it: the other blobs are still served.
      const config = await get(base, `/v2/team/app/blobs/${a.configDigest}`);
      expect(config.status).toBe(200);
      expect(sha(config.body)).toBe(a.configDigest);
      const out = path.join(tmp, 'pulled-damaged');
      await expect(skopeo(['copy', '--retry-times', '0', '--src-tls-verify=false', '--src-no-creds', `docker://${base.slice(7)}/team/app:1.0`, `oci:${out}:app`])).rejects.toThrow();
    });
  });

  it('serves a range only from a blob verified whole, even when the first request is a range', async () => {
    const a = sampleBundle('example.com/team/app:1.0', 200_000);
    const layerName = `blobs/sha256/${a.layerDigest.slice(7)}`;
    const layer = a.entries.find((e) => e.name === layerName)!.body as Buffer;
    const bad = Buffer.from(layer);
    bad[150_000] = bad[150_000]! ^ 0xff;
    const file = path.join(tmp, 'damaged-range.tar');
    await writeBundle(file, replaceEntry(a.entries, layerName, bad));
    await withServe(file, async (_s, base) => {
      const part = await get(base, `/v2/team/app/blobs/${a.layerDigest}`, { Range: 'bytes=0-99' });
      expect(part.status).toBe(500);
      expect(part.body.toString()).toContain(a.layerDigest);
    });
  });

  it('checks a bundle written in place after its blobs were served', async () => {
    const a = sampleBundle('example.com/team/app:1.0', 200_000);
    const file = path.join(tmp, 'in-place.tar');
    await writeBundle(file, a.entries);
    const entry = (await indexTar(file)).get(`blobs/sha256/${a.layerDigest.slice(7)}`)!;
    await withServe(file, async (_s, base) => {
      const good = await get(base, `/v2/team/app/blobs/${a.layerDigest}`);
      expect(sha(good.body)).toBe(a.layerDigest);
      expect((await get(base, `/v2/team/app/blobs/${a.layerDigest}`, { Range: 'bytes=0-9' })).status).toBe(206);
      const fh = await open(file, 'r+');
      await fh.write(Buffer.from([good.body[10]! ^ 0xff]), 0, 1, entry.offset + 10);
      await fh.close();
      const part = await get(base, `/v2/team/app/blobs/${a.layerDigest}`, { Range: 'bytes=0-99' });
      expect(part.status).toBe(500);
      const whole = await get(base, `/v2/team/app/blobs/${a.layerDigest}`);
      expect(whole.status).toBe(500);
    });
  });
});
