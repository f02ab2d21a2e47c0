/**
 * Resuming a killed `load` (issue #16 item 10): a load killed with SIGKILL
 * leaves blobs in repositories that have no tag yet. The re-run must ask
 * before pushing what may already be there: it pushes exactly the blobs the
 * registry does not hold (measured at the fault proxy in request bytes, the
 * registry asked directly with HEAD for what it holds), and every image then
 * sits at its digest (checked with skopeo).
 *
 * Determinism: every manifest PUT of the first run is answered 503 by the
 * proxy, so no tag ever appears; the process is killed once it has retried
 * a manifest (its image's blobs are in) and more blobs have landed.
 */
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { skopeoInspectDigest } from '../../harness/skopeo.js';
import { mergedBundle, writeBundle } from '../../helpers/bundle.js';
import { airlift, spawnAirlift, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace('resume-load');
});
afterAll(async () => {
  await ws?.remove();
});

const MiB = 1024 * 1024;
const IMAGES = 8;

/** Eight images, each with its own layer of 1.5 to 5 MiB (over the size probed by a mount). */
function bundleOf(): ReturnType<typeof mergedBundle> {
  return mergedBundle(Array.from({ length: IMAGES }, (_, i) => ({ ref: `example.com/resume/app${i}:1.0`, layerBytes: Math.round(1.5 * MiB + i * 0.5 * MiB) })));
}

const BLOB_PUT = /\/blobs\/uploads\/[^?]*\?(.*&)?digest=sha256/;

describe('load killed mid-run and run again', () => {
  const reg = useRegistry('plain');
  const proxy = useFaultProxy(() => reg());

  it('pushes only the blobs the registry lacks, though their repositories have no tag', async () => {
    const { entries, images } = bundleOf();
    const bundle = path.join(ws.dir, 'resume.tar');
    await writeBundle(bundle, entries);
    const args = ['--plain-http', proxy().host, '--concurrency', '2', 'load', bundle, '--to', `${proxy().host}/mirror`];

    proxy().addRule({ method: 'PUT', path: /\/manifests\//, times: Infinity, fault: { kind: 'status', status: 503 } });
    const first = spawnAirlift(ws, args);
    try {
      // A manifest was tried twice (its blobs are in), and at least two layers have landed (more
      // than 3 MiB, checked below; the configs' PUTs, a few hundred bytes each, are not counted).
      await proxy().waitFor((r) => r.method === 'PUT' && /\/manifests\//.test(r.path) && proxy().requests().filter((q) => q.method === 'PUT' && /\/manifests\//.test(q.path)).length >= 2, 60_000);
      const layerPut = (q: { method: string; path: string; status?: number; headers: Record<string, string | string[] | undefined> }): boolean =>
        q.method === 'PUT' && BLOB_PUT.test(q.path) && q.status === 201 && Number(q.headers['content-length'] ?? 0) >= MiB;
      for (let i = 0; i < 100 && proxy().requests().filter(layerPut).length < 2; i++) await sleep(100);
    } finally {
      first.child.kill('SIGKILL');
    }
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    proxy().clearRules();

    // What the registry holds now, asked directly (not through the proxy).
    const present = new Set<string>();
    let missingBytes = 0;
    let presentBytes = 0;
    for (const img of images) {
      const repo = `mirror/${img.ref.slice('example.com/'.length).replace(/:.*$/, '')}`;
      for (const b of img.blobs) {
        const res = await fetch(`${reg().url}/v2/${repo}/blobs/${b.digest}`, { method: 'HEAD' });
        if (res.status === 200) {
          present.add(b.digest);
          presentBytes += b.size;
        } else missingBytes += b.size;
      }
      // No tag anywhere: the repositories look new to a tag listing.
      expect((await fetch(`${reg().url}/v2/${repo}/tags/list`)).status).not.toBe(200);
    }
    expect(presentBytes).toBeGreaterThan(3 * MiB);

    proxy().clearLog();
    const second = await airlift(ws, args);
    expect(second.code, second.stderr).toBe(0);
    const puts = proxy().requests().filter((r) => r.method === 'PUT' && BLOB_PUT.test(r.path));
    const pushed = puts.reduce((n, r) => n + Number(r.headers['content-length'] ?? 0), 0);
    const pushedDigests = puts.map((r) => decodeURIComponent(/digest=(sha256[^&]+)/.exec(r.path)![1]!));
    console.log(`re-run pushed ${(pushed / MiB).toFixed(1)} MiB; the registry held ${(presentBytes / MiB).toFixed(1)} MiB and lacked ${(missingBytes / MiB).toFixed(1)} MiB`);
    expect(pushedDigests.filter((d) => present.has(d))).toEqual([]);
    expect(pushed).toBe(missingBytes);
    for (const img of images) {
      expect(await skopeoInspectDigest(reg(), `mirror/${img.ref.slice('example.com/'.length)}`)).toBe(img.digest);
    }
  }, 180_000);
});
