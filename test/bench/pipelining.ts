/**
 * HTTP/1.1 pipelining, measured on the no-op resync of the many set (issue 22, regsync gap):
 * two plain registries, the source seeded with push.ts and the destination filled by a first
 * airlift sync; then, alternated, `--rounds` times: the HEAD-loop floor with node:http, with undici
 * at pipelining 1 / 4 / 8 / 16, airlift's resync (--no-referrers and default) and regsync's; with
 * `--base DIR` (a copy of another build's dist/cmd/airlift.js and airlift.bundle.js) that build's
 * resyncs too, alternated with this tree's dist/.
 * Per run: wall, client CPU, and the two registries' CPU (/proc/PID/stat before and after).
 *
 * `--cpu-prof DIR`: the node sides (airlift's, the base's, sync-node's) write .cpuprofile files there.
 *
 *   node --import tsx test/bench/pipelining.ts [--rounds 3] [--set many|scale-2000] [--tags] [--base DIR] [--sides a,b,…] [--cpu-prof DIR]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRegistry } from '../harness/registry.js';
import { dataSet, scaleDef, setDefs } from './data.js';
import { floorHeadLoop, floorSyncNode } from './floor.js';
import { loadPeers } from './peers.js';
import { measure, registryCpu, type Measured } from './proc.js';
import { pushLayout } from './push.js';
import { REPO_ROOT, airliftSync, type Tools } from './tools.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { rounds: { type: 'string', default: '3' }, set: { type: 'string', default: 'many' }, tags: { type: 'boolean', default: false }, sides: { type: 'string' }, base: { type: 'string' }, 'cpu-prof': { type: 'string' } },
  });
  const def = values.set === 'many' ? setDefs(false).many : scaleDef(values.set!.replace(/^scale-/, ''));
  const data = await dataSet(path.join(REPO_ROOT, '.tmp', 'bench-data'), def, (s) => process.stderr.write(`${s}\n`));
  const work = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-pipe-'));
  const prof = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', path.resolve(values['cpu-prof'])] : [];
  const tools: Tools = { work, nodeFlags: prof, env: {} };
  const src = await startRegistry({ mode: 'plain' });
  const dest = await startRegistry({ mode: 'plain' });
  const regDest = await startRegistry({ mode: 'plain' });
  const tags = values.tags ?? false;
  try {
    await pushLayout(data.dir, src.host, data.images);
    await airliftSync({ ...tools, nodeFlags: [] }, src.host, data.images, dest.host, 'mirror', ['--no-referrers']);
    const regsync = (await loadPeers()).find((p) => p.name === 'regsync');
    const job = { t: tools, images: data.images, name: `pipe-${data.key}` };
    if (regsync?.available && regsync.sync) await regsync.sync(job, src.host, regDest.host, 'mirror');
    const loop = (client: 'http' | 'undici', pipelining = 1, connections?: number) => () =>
      floorHeadLoop(work, src.host, dest.host, 'mirror', data.images, { concurrency: 16, perRegistry: 16, tags, client, pipelining, ...(connections ? { connections } : {}) });
    const air = (extra: string[]) => () => airliftSync(tools, src.host, data.images, dest.host, 'mirror', extra);
    const base = (extra: string[]) => () =>
      measure(process.execPath, [...prof, path.join(values.base!, 'airlift.js'), '--plain-http', src.host, '--plain-http', dest.host, 'sync', ...extra, ...data.images.flatMap((i) => ['--image', `${src.host}/${i.name}:${i.tag}`]), '--to', `${dest.host}/mirror`], { cwd: work });
    const all: Record<string, () => Promise<Measured>> = {
      'loop-http': loop('http'),
      'loop-undici-p1': loop('undici', 1),
      'loop-undici-p4': loop('undici', 4),
      'loop-undici-p8': loop('undici', 8),
      'loop-undici-p16': loop('undici', 16),
      'loop-undici-p8-c2': loop('undici', 8, 2),
      'loop-undici-p4-c4': loop('undici', 4, 4),
      'loop-undici-p1-c2': loop('undici', 1, 2),
      'airlift-bare': air(['--no-referrers']),
      airlift: air([]),
      ...(values.base ? { 'base-bare': base(['--no-referrers']), base: base([]) } : {}),
      // the bare Node client of a sync (clients/sync-node.mjs) into the filled destination: it sends every request anyway
      'sync-node-http': () => floorSyncNode(src.host, dest.host, 'mirror', data.images),
      'sync-node-undici': () => measure(process.execPath, [...prof, path.join(import.meta.dirname, 'clients', 'sync-node.mjs'), 'undici', src.host, dest.host, 'mirror', ...data.images.map((i) => `${i.name}:${i.tag}`)]),
      ...(regsync?.available && regsync.sync ? { regsync: () => regsync.sync!(job, src.host, regDest.host, 'mirror') } : {}),
    };
    // a sync of the whole set into a fresh destination (stopped after), this tree's build or --base
    let fresh: Awaited<ReturnType<typeof startRegistry>> | undefined;
    const syncFresh = (cmd: string) => async () => {
      fresh = await startRegistry({ mode: 'plain' });
      return measure(process.execPath, [...prof, cmd, '--plain-http', src.host, '--plain-http', fresh.host, 'sync', ...data.images.flatMap((i) => ['--image', `${src.host}/${i.name}:${i.tag}`]), '--to', `${fresh.host}/mirror`], { cwd: work });
    };
    all['sync-airlift'] = syncFresh(path.join(REPO_ROOT, 'dist', 'cmd', 'airlift.js'));
    if (values.base) all['sync-base'] = syncFresh(path.join(values.base, 'airlift.js'));
    // the bare Node client (clients/sync-node.mjs) into a fresh destination, as the bench's sync-many floor column
    for (const mode of ['undici', 'http']) {
      all[`sync-node-${mode}-fresh`] = async () => {
        fresh = await startRegistry({ mode: 'plain' });
        return measure(process.execPath, [...prof, path.join(import.meta.dirname, 'clients', 'sync-node.mjs'), mode, src.host, fresh.host, 'mirror', ...data.images.map((i) => `${i.name}:${i.tag}`)]);
      };
    }
    const names = values.sides ? values.sides.split(',') : Object.keys(all);
    const rows = new Map<string, string[]>();
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const name of names) {
        const run = all[name];
        if (!run) throw new Error(`--sides: ${name}: use ${Object.keys(all).join(', ')}`);
        const d = name === 'regsync' ? regDest : dest;
        const c0 = [registryCpu(src.storageDir), name.startsWith('sync-a') || name.startsWith('sync-b') || name.endsWith('-fresh') ? 0 : registryCpu(d.storageDir)];
        const m = await run();
        const c1 = [registryCpu(src.storageDir), fresh ? registryCpu(fresh.storageDir) : registryCpu(d.storageDir)];
        if (fresh) await fresh.stop();
        fresh = undefined;
        const reg = c1[0]! - c0[0]! + (c1[1]! - c0[1]!);
        const line = `wall ${m.seconds.toFixed(3)} s  client CPU ${m.cpuSeconds.toFixed(2)} s (user ${m.userSeconds?.toFixed(2)}, sys ${m.systemSeconds?.toFixed(2)})  registries CPU ${reg.toFixed(2)} s  total CPU ${(reg + m.cpuSeconds).toFixed(2)} s  RSS ${m.peakRssMiB.toFixed(0)} MiB`;
        process.stderr.write(`[${r + 1}] ${name.padEnd(16)} ${line}\n`);
        rows.set(name, [...(rows.get(name) ?? []), line]);
      }
    }
    process.stdout.write(`${data.key}, ${data.images.length} images${tags ? ', floor with tag lists' : ''}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    for (const [name, lines] of rows) for (const l of lines) process.stdout.write(`${name.padEnd(16)} ${l}\n`);
  } finally {
    await src.stop();
    await dest.stop();
    await regDest.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
