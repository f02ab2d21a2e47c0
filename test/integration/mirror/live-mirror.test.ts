/**
 * Syncing into a live mirror (issue #16 item 2 and its acceptance test): clients pull an image
 * from a real docker-registry in a loop while twenty syncs bring new tags of it, which share its
 * layers, into the same repository. A sync must never disturb them: zero failed pulls. (Before
 * issue #16 the small-blob existence probe, a mount from the repository itself, rewrote each
 * shared blob's link file and this test saw dozens of HTTP 500s.)
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/digest/index.js';
import { MediaType, type Descriptor } from '../../../src/oci/types.js';
import { createRegistryClient, type RegistryClient } from '../../../src/registry/index.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { runCli } from '../../helpers/io.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let seed: RegistryClient;

beforeAll(async () => {
  // The mirror keeps no blob descriptor cache: every blob request reads the repository's link
  // file, as replicas sharing object storage do; a link rewritten under a reader is then an HTTP
  // 500 for that reader (with the in-memory cache only the first, cold request of a blob sees it).
  [src, dst] = await Promise.all([startRegistry({ mode: 'plain' }), startRegistry({ mode: 'plain', blobDescriptorCache: 'none' })]);
  seed = createRegistryClient({ env: {}, plainHttp: [src.host] });
}, 60_000);

afterAll(async () => {
  await seed?.close();
  await Promise.all([src?.stop(), dst?.stop()]);
});

const SYNCS = 20;
const base = Array.from({ length: 12 }, () => randomBytes(16 * 1024));
const desc = (bytes: Buffer, mediaType: string): Descriptor => ({ mediaType, digest: sha256(bytes), size: bytes.length });

/** Pushes app:TAG to the source: the shared base layers, one layer of its own, its own config. */
async function pushTag(tag: string): Promise<string> {
  const own = randomBytes(32 * 1024);
  const layers = [...base, own].map((b) => ({ b, d: desc(b, MediaType.OciLayerGzip) }));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.d.digest) }, tag }));
  const configDesc = desc(config, MediaType.OciConfig);
  for (const { b, d } of [...layers, { b: config, d: configDesc }]) {
    if (!(await seed.headBlob(src.host, 'app', d.digest))) await seed.putBlob(src.host, 'app', d, Readable.from([b]));
  }
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers: layers.map((l) => l.d) }));
  const digest = sha256(bytes);
  await seed.putManifest(src.host, 'app', tag, { bytes: new Uint8Array(bytes), mediaType: MediaType.OciManifest, digest });
  return digest;
}

/** One pull of mirror/app:1 with no retries: the manifest, then every blob read to its end. */
async function pullOnce(c: RegistryClient): Promise<void> {
  const m = await c.getManifest(dst.host, 'mirror/app', '1');
  const parsed = JSON.parse(Buffer.from(m.bytes).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  for (const d of [parsed.config, ...parsed.layers]) {
    const s = await c.getBlobVerified(dst.host, 'mirror/app', d, { maxResumes: 0 });
    for await (const _ of s) void _;
  }
}

describe('pulling from a mirror while syncs bring new tags into it', () => {
  it('twenty syncs of new tags sharing the pulled image layers: zero failed pulls', async () => {
    const first = await pushTag('1');
    const one = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--image', `${src.host}/app:1`, '--to', `${dst.host}/mirror`]);
    expect(one.code, one.stderr).toBe(0);

    const failures: string[] = [];
    let pulls = 0;
    let syncing = true;
    const pullers = Array.from({ length: 4 }, async () => {
      // no retries: a 500 the sync causes must show up here, not be hidden by a retry
      const c = createRegistryClient({ env: {}, plainHttp: [dst.host], retry: { attempts: 1 } });
      try {
        while (syncing) {
          try {
            await pullOnce(c);
            pulls++;
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
      } finally {
        await c.close();
      }
    });
    const digests: string[] = [];
    try {
      for (let i = 2; i < 2 + SYNCS; i++) {
        digests.push(await pushTag(String(i)));
        const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--image', `${src.host}/app:${i}`, '--to', `${dst.host}/mirror`]);
        expect(r.code, r.stderr).toBe(0);
      }
    } finally {
      syncing = false;
      await Promise.all(pullers);
    }
    console.log(`${SYNCS} syncs into a live mirror: ${pulls} pulls, ${failures.length} failed${failures.length ? `: ${failures.slice(0, 3).join(' | ')}` : ''}`);
    expect(pulls).toBeGreaterThan(SYNCS);
    expect(failures).toEqual([]);
    expect(await skopeoInspectDigest(dst, 'mirror/app:1')).toBe(first);
    expect(await skopeoInspectDigest(dst, `mirror/app:${1 + SYNCS}`)).toBe(digests.at(-1));
  }, 180_000);
});
