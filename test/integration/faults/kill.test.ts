/**
 * A `save` killed with SIGKILL mid-run, then run again with the same
 * arguments: the second run completes, fetches none of the blobs the first
 * run had already staged (counted at the fault proxy), and no half-written
 * bundle ever exists at the output path (polled while the first run lives).
 *
 * Timing is made deterministic with the proxy: the first three blob
 * downloads pass, every later one stalls, and the process is killed once
 * the staging directory holds those blobs and a download is stalled.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../../../fixtures/images/generate.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, bundleDigest, repoTag, spawnAirlift, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace('faults-kill');
});
afterAll(async () => {
  await ws?.remove();
});

const BLOB_GET = /\/blobs\/(sha256:[a-f0-9]{64})$/;

/** Blobs (manifests too) whose data the staged bundle holds, from its journal. */
async function stagedBlobs(out: string): Promise<string[]> {
  try {
    const journal = await readFile(path.join(`${out}.airlift-staging`, 'done.log'), 'utf8');
    return journal.split('\n').filter((d) => /^sha256:[a-f0-9]{64}$/.test(d));
  } catch {
    return [];
  }
}

describe('save killed mid-run and run again', () => {
  const src = useRegistry('plain');
  const proxy = useFaultProxy(() => src());

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
  });

  it('completes on the second run, reusing staged blobs, and never shows a partial bundle', async () => {
    const out = path.join(ws.dir, 'killed.tar');
    const args = ['--plain-http', proxy().host, '--concurrency', '2', 'save', ...ws.layout.images.flatMap((i) => ['--image', `${proxy().host}/${repoTag(i)}`]), '-o', out];
    proxy().addRule({ method: 'GET', path: BLOB_GET, skip: 3, times: Infinity, fault: { kind: 'stall', ms: 30_000 } });

    const first = spawnAirlift(ws, args);
    let sawOutput = false;
    let alive = true;
    void first.done.then(() => (alive = false));
    const poll = (async () => {
      while (alive) {
        if (existsSync(out)) sawOutput = true;
        await sleep(10);
      }
    })();
    try {
      const exited = first.done.then((r) => {
        throw new Error(`the first run ended before a download stalled (code ${r.code}):\n${r.stderr}`);
      });
      await Promise.race([proxy().waitFor((r) => r.fault === 'stall', 40_000), exited]);
      exited.catch(() => undefined);
      const deadline = Date.now() + 30_000;
      const isBlob = (d: string): boolean => ws.layout.images.some((i) => i.manifests.some((m) => m.config.digest === d || m.layers.some((l) => l.digest === d)));
      while ((await stagedBlobs(out)).filter(isBlob).length < 3 && Date.now() < deadline && alive) await sleep(25);
      expect(alive, `the first run ended early:\n${(await Promise.race([first.done, sleep(0)]))?.stderr ?? ''}`).toBe(true);
    } finally {
      first.child.kill('SIGKILL');
    }
    const ended = await first.done;
    await poll;
    expect(ended.signal).toBe('SIGKILL');
    expect(sawOutput, 'a bundle appeared at the output path while the first run was alive').toBe(false);
    expect(existsSync(out)).toBe(false);
    const staged = await stagedBlobs(out);
    expect(staged.length).toBeGreaterThanOrEqual(3);

    proxy().clearRules();
    proxy().clearLog();
    const second = await airlift(ws, args);
    expect(second.code, second.stderr).toBe(0);
    const fetchedAgain = proxy()
      .requests()
      .filter((r) => r.method === 'GET')
      .map((r) => BLOB_GET.exec(r.path.split('?')[0]!)?.[1])
      .filter((d): d is string => d !== undefined);
    // Nothing staged is fetched again: layers are skipped, and the platform the lock
    // records is read from the staged config, not from the source.
    const configs = new Set(ws.layout.images.flatMap((i) => i.manifests.map((m) => m.config.digest)));
    const layers = new Set(ws.layout.images.flatMap((i) => i.manifests.flatMap((m) => m.layers.map((l) => l.digest))));
    const refetched = fetchedAgain.filter((d) => staged.includes(d));
    expect(refetched, 'blobs fetched again although staged').toEqual([]);
    // Every config and layer not staged is fetched exactly once.
    const missing = [...configs, ...layers].filter((d, i, all) => !staged.includes(d) && all.indexOf(d) === i);
    expect(fetchedAgain.filter((d) => !staged.includes(d)).sort()).toEqual(missing.sort());
    expect(staged.filter((d) => layers.has(d)).length, 'the first run staged no layer: nothing reuse-worthy was tested').toBeGreaterThan(0);

    expect(existsSync(`${out}.airlift-staging`)).toBe(false);
    for (const img of ws.layout.images) {
      expect(await bundleDigest(out, `${proxy().host}/${repoTag(img)}`), img.ref).toBe(img.digest);
    }
    const leftovers = (await readdir(ws.dir)).filter((n) => n.startsWith('killed.tar.'));
    expect(leftovers).toEqual([]);
  });
});
