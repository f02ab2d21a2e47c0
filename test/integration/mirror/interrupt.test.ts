/**
 * Ctrl-C: a real `airlift` process gets SIGINT (or SIGTERM) while blob
 * downloads are half done. It must stop at once, remove its temporary files,
 * leave nothing at the output path, keep a save's staging directory for a
 * re-run, say what happened and exit 130 (143 for SIGTERM). The same save run
 * again completes.
 *
 * A small proxy in front of the registry sends the headers and the first half
 * of every blob body after the first two, then holds the rest, so that a
 * blob is half written into the staged bundle when the signal arrives.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../../../fixtures/images/generate.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, bundleDigest, digestMismatches, repoTag, spawnAirlift, workspace, type Workspace } from '../../harness/workspace.js';

const BLOB_GET = /\/blobs\/sha256:[a-f0-9]{64}$/;

interface HoldingProxy {
  host: string;
  holding: () => number;
  release: () => void;
  close: () => Promise<void>;
}

/** Forwards to `target`; blob GETs after the first `skip` get half their body, then wait. */
async function holdingProxy(target: string, skip: number): Promise<HoldingProxy> {
  const [thost, tport] = target.split(':') as [string, string];
  let seen = 0;
  let hold = true;
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const isBlob = req.method === 'GET' && BLOB_GET.test((req.url ?? '').split('?')[0]!);
    const up = http.request({ host: thost, port: Number(tport), method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (!(isBlob && hold && r.statusCode === 200 && ++seen > skip)) {
        r.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const body = Buffer.concat(chunks);
        res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))));
        held.add(res);
        res.on('close', () => held.delete(res));
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    holding: () => held.size,
    release: () => {
      hold = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of held) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Configs and layers (not manifests) the staged bundle's journal lists as complete. */
async function stagedBlobs(staging: string): Promise<string[]> {
  const journal = await readFile(path.join(staging, 'done.log'), 'utf8').catch(() => '');
  const blobs = new Set(ws.layout.images.flatMap((i) => i.manifests.flatMap((m) => [m.config.digest, ...m.layers.map((l) => l.digest)])));
  return journal.split('\n').filter((d) => blobs.has(d));
}

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace('interrupt');
});
afterAll(async () => {
  await ws?.remove();
});

describe('interrupting a run', () => {
  const src = useRegistry('plain');
  const dst = useRegistry('plain');
  let proxy: HoldingProxy;
  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), src(), ws.layout.images);
    proxy = await holdingProxy(src().host, 2);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  it('save: SIGINT stops it cleanly, keeps the staging directory, writes no bundle; the re-run completes', async () => {
    const out = path.join(ws.dir, 'stopped.tar');
    const staging = `${out}.airlift-staging`;
    const args = ['--plain-http', proxy.host, '--concurrency', '2', 'save', ...ws.layout.images.flatMap((i) => ['--image', `${proxy.host}/${repoTag(i)}`]), '-o', out];
    const run = spawnAirlift(ws, args);
    let ended = false;
    void run.done.then(() => (ended = true));
    try {
      // wait until a download is held and the staged bundle holds some blobs
      const deadline = Date.now() + 30_000;
      while (!ended && Date.now() < deadline && (proxy.holding() === 0 || (await stagedBlobs(staging)).length === 0)) await sleep(25);
      expect(ended, 'the save ended before a download was held').toBe(false);
      expect((await stagedBlobs(staging)).length).toBeGreaterThan(0);
      run.child.kill('SIGINT');
      const stopAt = Date.now();
      const r = await Promise.race([run.done, sleep(15_000).then(() => undefined)]);
      expect(r, 'the save did not exit within 15 s of SIGINT').toBeDefined();
      expect(Date.now() - stopAt).toBeLessThan(15_000);
      expect(r!.signal, r!.stderr).toBeNull();
      expect(r!.code, r!.stderr).toBe(130);
      expect(r!.stderr).toContain('SIGINT received');
      expect(r!.stderr).toContain('error [E_INTERRUPTED]: interrupted by SIGINT');
      expect(r!.stderr).toContain(`what was fetched stays in ${staging}`);
      expect(r!.stdout).toBe('');
    } finally {
      run.child.kill('SIGKILL');
      await run.done;
    }
    expect(existsSync(out), 'a bundle was written although the save was interrupted').toBe(false);
    expect((await readdir(ws.dir)).filter((n) => n.startsWith('stopped.tar.tmp-'))).toEqual([]);
    expect((await stagedBlobs(staging)).length, 'the staging directory lost what was fetched').toBeGreaterThan(0);

    proxy.release();
    const again = await airlift(ws, args);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(staging)).toBe(false);
    for (const img of ws.layout.images) expect(await bundleDigest(out, `${proxy.host}/${repoTag(img)}`), img.ref).toBe(img.digest);
  });

  it('sync: SIGTERM stops it with exit 143 and a clear message', async () => {
    const fresh = await holdingProxy(src().host, 0);
    try {
      const args = ['--plain-http', fresh.host, '--plain-http', dst().host, 'sync', ...ws.layout.images.flatMap((i) => ['--image', `${fresh.host}/${repoTag(i)}`]), '--to', `${dst().host}/m`];
      const run = spawnAirlift(ws, args);
      let ended = false;
      void run.done.then(() => (ended = true));
      try {
        const deadline = Date.now() + 30_000;
        while (!ended && Date.now() < deadline && fresh.holding() === 0) await sleep(25);
        expect(ended, 'the sync ended before a download was held').toBe(false);
        run.child.kill('SIGTERM');
        const r = await Promise.race([run.done, sleep(15_000).then(() => undefined)]);
        expect(r, 'the sync did not exit within 15 s of SIGTERM').toBeDefined();
        expect(r!.code, r!.stderr).toBe(143);
        // one clean line: the run's reason, not prefixed by every image and blob it stopped
        expect(r!.stderr).toMatch(/^error \[E_INTERRUPTED\]: interrupted by SIGTERM: stopped before the work was done$/m);
        expect(r!.stderr).not.toContain('MaxListenersExceededWarning');
      } finally {
        run.child.kill('SIGKILL');
        await run.done;
      }
      // nothing half-pushed is visible under a tag: every image is either there with its digest or absent
      const bad = await digestMismatches(dst(), 'm', ws.layout.images);
      for (const b of bad) expect(b).not.toMatch(/: sha256:[a-f0-9]{64} != /);
    } finally {
      await fresh.close();
    }
  });
});
