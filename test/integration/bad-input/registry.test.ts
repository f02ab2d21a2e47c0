/**
 * Bad answers from a registry, scripted by the fault proxy in front of a real
 * one: manifests over 4 MiB (with and without Content-Length), Docker schema
 * 1, unsupported digest algorithms, bytes that do not match the requested
 * digest, garbage, unknown images, permanent 4xx/5xx and dead connections.
 * Each gets its documented exit code and a message naming the image, within
 * a bounded number of requests; nothing is pushed and no bundle is written.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry, type GeneratedImage } from '../../../fixtures/images/generate.js';
import type { Fault } from '../../harness/fault-proxy.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, manifestStatus, repoTag, workspace, type Workspace } from '../../harness/workspace.js';
import { sha256Digest as sha } from '../../helpers/digest.js';

let ws: Workspace;
let img: GeneratedImage;
beforeAll(async () => {
  ws = await workspace('bad-registry');
  img = ws.layout.images.find((i) => i.name === 'fixtures/alpha')!;
});
afterAll(async () => {
  await ws?.remove();
});

const OCI = 'application/vnd.oci.image.manifest.v1+json';
const manifestJson = (layerDigest: string): string =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 10 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: 10 }],
  });
const huge = JSON.stringify({ schemaVersion: 2, mediaType: OCI, annotations: { pad: 'x'.repeat(4 * 1024 * 1024 + 100) } });
const schema1 = JSON.stringify({ schemaVersion: 1, name: 'fixtures/alpha', tag: '1.0', architecture: 'amd64', fsLayers: [], history: [] });

interface Case {
  name: string;
  fault: () => Fault;
  /** Reference asked for (default: the tag). */
  byDigest?: boolean;
  code: number;
  says: RegExp;
  /** Largest number of manifest requests allowed (bounded retries). */
  maxRequests?: number;
}

const respond = (body: string, headers: Record<string, string> = {}): Fault => ({
  kind: 'respond',
  status: 200,
  headers: { 'content-type': OCI, 'docker-content-digest': sha(body), ...headers },
  body,
});

const CASES: Case[] = [
  { name: 'a manifest over 4 MiB', fault: () => respond(huge), code: 9, says: /4194304|4 MiB|too large|limit/i },
  { name: 'a manifest over 4 MiB without Content-Length', fault: () => respond(huge, { 'transfer-encoding': 'chunked' }), code: 9, says: /4194304|4 MiB|too large|limit/i },
  {
    name: 'a Docker schema 1 manifest',
    fault: () => respond(schema1, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }),
    code: 9,
    says: /schema ?1/i,
  },
  { name: 'a layer with an unsupported digest algorithm', fault: () => respond(manifestJson(`md5:${'a'.repeat(32)}`)), code: 9, says: /md5/ },
  { name: 'a manifest whose bytes do not match the digest asked for', byDigest: true, fault: () => respond(manifestJson(`sha256:${'d'.repeat(64)}`)), code: 6, says: /sha256:/ },
  { name: 'an HTML page instead of a manifest', fault: () => respond('<html>hello</html>', { 'content-type': 'text/html' }), code: 9, says: /media type "text\/html"/ },
  // Malformed manifest JSON is an integrity failure (exit 6) whatever store it came from.
  { name: 'a manifest that is not JSON', fault: () => respond('{"schemaVersion": 2, "layers": ['), code: 6, says: /not valid JSON/ },
  {
    name: 'an image that does not exist',
    fault: () => ({ kind: 'respond', status: 404, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}' }),
    code: 5,
    says: /fixtures\/alpha/,
  },
  { name: 'a permanent 400', fault: () => ({ kind: 'status', status: 400 }), code: 8, says: /400/, maxRequests: 2 },
  { name: 'a 500 on every attempt', fault: () => ({ kind: 'status', status: 500 }), code: 8, says: /500/, maxRequests: 12 },
  { name: 'a connection reset on every attempt', fault: () => ({ kind: 'reset', beforeForward: true }), code: 7, says: /fixtures\/alpha|127\.0\.0\.1/, maxRequests: 12 },
];

describe('bad registry answers for a manifest', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');
  const proxy = useFaultProxy(() => src());

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), [img]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const p = proxy();
    const ref = c.byDigest ? `${img.name}@${img.digest}` : repoTag(img);
    const rule = p.addRule({ path: new RegExp(`^/v2/${img.name}/manifests/`), times: Infinity, fault: c.fault() });
    const i = CASES.indexOf(c);

    const out = path.join(ws.dir, `bad-${i}.tar`);
    const saved = await airlift(ws, ['--plain-http', p.host, 'save', '--image', `${p.host}/${ref}`, '-o', out]);
    const synced = await airlift(ws, ['--plain-http', p.host, '--plain-http', dst().host, 'sync', '--image', `${p.host}/${ref}`, '--to', `${dst().host}/m${i}`]);
    expect(rule.applied()).toBeGreaterThan(0);

    for (const r of [saved, synced]) {
      expect(r.code, r.stderr).toBe(c.code);
      expect(r.stderr).toMatch(c.says);
      expect(r.stderr).toContain(img.name);
      expect(r.stderr).not.toContain('this is a bug');
    }
    expect(existsSync(out)).toBe(false);
    expect(await manifestStatus(dst(), `m${i}/${img.name}`, img.tag)).toBe(404);
    if (c.maxRequests !== undefined) {
      const perRun = p.requests().filter((r) => r.path.startsWith(`/v2/${img.name}/manifests/`)).length / 2;
      expect(perRun, 'manifest requests per run (bounded retries)').toBeLessThanOrEqual(c.maxRequests);
    }
  });
});
