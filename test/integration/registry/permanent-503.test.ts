/**
 * A blob that a source registry answers 503 every time costs what the retry
 * policy says (4 attempts), not the policy times the copy engine's own blob
 * attempts (4 × 3 = 12 before issue #18 item 5): the request layer marks the
 * error as no longer temporary once it has spent its attempts on it.
 * A scripted server on loopback: a real registry cannot be made to answer 503.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';
import { makeImage } from './image.js';
import { useScripted } from '../../harness/use-scripted.js';

const scripted = useScripted();

describe('a permanent 503 on a blob', () => {
  it('is asked for as many times as the retry policy allows, then fails the copy with exit 8', async () => {
    const img = makeImage(10_000);
    const blobGets: string[] = [];
    const reg = await scripted.server((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (url.startsWith('/v2/app/manifests/')) {
        res.writeHead(200, { 'content-type': img.manifest.mediaType, 'docker-content-digest': img.manifest.digest, 'content-length': img.manifest.bytes.length });
        return void res.end(req.method === 'HEAD' ? undefined : Buffer.from(img.manifest.bytes));
      }
      if (url === `/v2/app/blobs/${img.config.desc.digest}`) {
        res.writeHead(200, { 'content-length': img.config.bytes.length });
        return void res.end(req.method === 'HEAD' ? undefined : img.config.bytes);
      }
      if (url === `/v2/app/blobs/${img.layer.desc.digest}` && req.method === 'GET') {
        blobGets.push(url);
        return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}');
      }
      res.writeHead(404).end();
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-503-'));
    scripted.track({ close: () => rm(dir, { recursive: true, force: true }) });

    const r = await runCli(['--plain-http', reg.host, 'copy', `docker://${reg.host}/app:v1`, `oci:${path.join(dir, 'out')}:app:v1`]);
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(/503/);
    // the policy's 4 attempts (src/registry/retry.ts), and no second round from the copy engine
    expect(blobGets).toHaveLength(4);
    expect(r.stderr).not.toMatch(/retrying blob/);
  });
});
