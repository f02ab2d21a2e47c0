/**
 * Two runs writing the same `oci:DIR` at once (issue #22's small items): the second fails at its
 * start, naming the directory, the lock file and the pid holding it, and writes nothing; the first
 * goes on undisturbed (before the lock, a first run that failed removed the directory the second
 * was still writing, and two index.json rewrites kept one run's entries). A lock left by a killed
 * run (its pid gone) is taken over. Real runs of the binary (tsx) against a real registry, held by
 * the fault proxy so the first run is still writing when the second starts.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT_LOCK } from '../../../src/layout/writer.js';
import { sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, spawnAirlift, workspace, type Workspace } from '../../harness/workspace.js';

const REF = 'example.com/team/app:1.0';

let ws: Workspace;
let bundle: string;
beforeAll(async () => {
  ws = await workspace('oci-dir-lock');
  bundle = path.join(ws.dir, 'in.tar');
  await writeBundle(bundle, sampleBundle(REF, 64 * 1024).entries);
});
afterAll(async () => {
  await ws?.remove();
});

/** Waits until `file` exists (the first run took its lock), failing after 30 s. */
async function appears(file: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await stat(file).then(() => true, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${file} did not appear within 30 s`);
}

async function refNames(dir: string): Promise<string[]> {
  const idx = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  return idx.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '');
}

describe('copy … oci:DIR: one writer at a time', () => {
  const reg = useRegistry('plain');
  const slowed = useFaultProxy(() => ({ url: `http://${reg().host}` }));

  /** A copy into `oci:DIR:TAG` whose blob GETs the proxy holds `ms`, once it has taken the directory's lock. */
  async function holdingLock(dir: string, tag: string, ms: number) {
    const held = slowed().addRule({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, fault: { kind: 'stall', ms } });
    const run = spawnAirlift(ws, ['--plain-http', slowed().host, 'copy', `docker://${slowed().host}/lock/team/app:1.0`, `oci:${dir}:${tag}`]);
    await appears(path.join(dir, LAYOUT_LOCK));
    return { run, held };
  }

  beforeAll(async () => {
    const r = await airlift(ws, ['--plain-http', reg().host, 'load', bundle, '--to', `${reg().host}/lock`]);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  it('a second run into the same new directory fails at its start (exit 2, the directory, the lock and the pid named) and the first completes', async () => {
    const dir = path.join(ws.dir, 'shared-layout');
    // the first run's blobs are held 4 s: it holds the directory while the second starts
    const { run: first, held } = await holdingLock(dir, 'first', 4_000);
    expect((await readFile(path.join(dir, LAYOUT_LOCK), 'utf8')).trim()).toBe(String(first.child.pid));
    const second = spawnAirlift(ws, ['--plain-http', reg().host, 'copy', `docker://${reg().host}/lock/team/app:1.0`, `oci:${dir}:second`]);
    const s = await second.done;
    expect(s.code, s.stderr).toBe(2);
    expect(s.stderr).toContain(`error [E_USAGE]: another airlift (pid ${first.child.pid}) is writing the OCI layout ${dir}`);
    expect(s.stderr).toContain(`remove ${path.join(dir, LAYOUT_LOCK)}`);
    expect(s.stderr).not.toMatch(/^\s+at /m);
    // refused before anything: the first still holds its lock and its directory
    expect((await readFile(path.join(dir, LAYOUT_LOCK), 'utf8')).trim()).toBe(String(first.child.pid));
    const f = await first.done;
    held.remove();
    expect(f.code, f.stderr).toBe(0);
    expect(await refNames(dir)).toEqual(['first']);
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    // with the first done, the second's run goes through
    const again = await airlift(ws, ['--plain-http', reg().host, 'copy', `docker://${reg().host}/lock/team/app:1.0`, `oci:${dir}:second`]);
    expect(again.code, again.stderr).toBe(0);
    expect(await refNames(dir)).toEqual(['first', 'second']);
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  }, 60_000);

  it('the lock of a killed run (its pid gone) is taken over: the next run copies and removes it', async () => {
    const dir = path.join(ws.dir, 'killed-layout');
    const { run: killed, held } = await holdingLock(dir, 'one', 30_000);
    killed.child.kill('SIGKILL');
    const k = await killed.done;
    held.remove();
    expect(k.signal).toBe('SIGKILL');
    // what a killed run leaves: its lock, naming a pid that is gone
    expect((await readFile(path.join(dir, LAYOUT_LOCK), 'utf8')).trim()).toBe(String(killed.child.pid));
    const r = await airlift(ws, ['--plain-http', reg().host, 'copy', `docker://${reg().host}/lock/team/app:1.0`, `oci:${dir}:one`]);
    expect(r.code, r.stderr).toBe(0);
    expect(await refNames(dir)).toEqual(['one']);
    expect((await readdir(dir)).sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
  }, 60_000);
});
