/**
 * A minimal pusher for seeding big sets (thousands of images) into a source
 * registry before timing: per image, each config and layer blob is mounted
 * from a repository that already holds it or uploaded in one monolithic PUT,
 * then the platform manifests and the top manifest/index are PUT. skopeo,
 * one process per image, needs minutes for 2,000 images; this needs seconds.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'undici';
import type { GeneratedImage } from '../../fixtures/images/generate.js';

export async function pushLayout(layoutDir: string, host: string, images: GeneratedImage[], concurrency = 8): Promise<void> {
  const pool = new Pool(`http://${host}`, { connections: concurrency });
  const blob = (digest: string): Promise<Buffer> => readFile(path.join(layoutDir, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  /** digest → a repository that holds it (set once an upload finished). */
  const holder = new Map<string, string>();
  const call = async (method: 'POST' | 'PUT', p: string, body?: Buffer, type?: string): Promise<void> => {
    const res = await pool.request({ method, path: p, body, headers: type ? { 'content-type': type } : { 'content-type': 'application/octet-stream' } });
    await res.body.dump();
    if (res.statusCode !== 201) throw new Error(`${method} ${p}: ${res.statusCode}`);
  };
  const putBlob = async (repo: string, digest: string): Promise<void> => {
    const from = holder.get(digest);
    if (from === repo) return;
    if (from) {
      const res = await pool.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}` });
      await res.body.dump();
      if (res.statusCode === 201) return;
    }
    const start = await pool.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/` });
    await start.body.dump();
    const loc = start.headers.location;
    if (start.statusCode !== 202 || typeof loc !== 'string') throw new Error(`POST /v2/${repo}/blobs/uploads/: ${start.statusCode}`);
    const u = new URL(loc, `http://${host}`);
    u.searchParams.set('digest', digest);
    await call('PUT', `${u.pathname}${u.search}`, await blob(digest));
    holder.set(digest, repo);
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < images.length) {
      const img = images[next++]!;
      for (const m of img.manifests) {
        for (const d of [m.config, ...m.layers]) await putBlob(img.name, d.digest);
        if (img.manifests.length > 1 || m.descriptor.digest !== img.digest) {
          await call('PUT', `/v2/${img.name}/manifests/${m.descriptor.digest}`, await blob(m.descriptor.digest), m.descriptor.mediaType);
        }
      }
      await call('PUT', `/v2/${img.name}/manifests/${img.tag}`, await blob(img.digest), img.descriptor.mediaType);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
}
