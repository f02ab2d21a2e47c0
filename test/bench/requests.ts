/**
 * Request profile of one airlift run: the source and destination registries
 * sit behind the harness's recording proxy, and the requests are counted by
 * method and kind (manifest, blob, upload, …), per image and per blob.
 *
 *   node --import tsx test/bench/requests.ts [--set many|big|tiny|scale-N] [--quick] [--op sync|resync|save] [--cpu-prof]
 *                                            [--client airlift|floor|node-undici|node-http|skopeo|crane|regctl|regsync|oras] [--no-referrers]
 *
 * `--client node-undici` or `node-http` runs clients/sync-node.mjs: airlift's sync requests and
 * nothing else, what node alone costs for them (client CPU).
 * `--client` counts another client's requests on the same work: a peer's sync
 * (and, with `--op resync`, its second sync into the destination its own first
 * sync filled), or the HEAD-loop floor (`--op resync` only). `--no-referrers`: airlift's sync or save
 * with --no-referrers, and the floor without its tag lists. `--set scale-N`: the bench's scale set of
 * N images, seeded as the bench seeds it (push.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { presetTiny, seedRegistry } from '../../fixtures/images/generate.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { startRegistry } from '../harness/registry.js';
import { dataSet, scaleDef, setDefs } from './data.js';
import { AIRLIFT_RESYNC_CONCURRENCY, floorHeadLoop } from './floor.js';
import { PEER_NAMES, loadPeers } from './peers.js';
import { pushLayout } from './push.js';
import { measure, registryCpu, type Measured } from './proc.js';
import { REPO_ROOT, airliftLoad, airliftSave, airliftSync, type Tools } from './tools.js';

function kind(method: string, p: string): string {
  const u = p.split('?')[0] ?? p;
  if (u === '/v2/' || u === '/v2') return `${method} /v2/`;
  if (/\/manifests\//.test(u)) return `${method} manifest`;
  if (/\/blobs\/uploads\/?$/.test(u)) return `${method} upload start${p.includes('mount=') ? ' (mount)' : ''}${p.includes('digest=') ? ' (monolithic)' : ''}`;
  if (/\/tags\/list$/.test(u)) return `${method} tags/list`;
  if (/\/referrers\//.test(u)) return `${method} referrers`;
  if (/\/blobs\/uploads\//.test(u)) return `${method} upload${p.includes('digest=') ? ' (final)' : ''}`;
  if (/\/blobs\//.test(u)) return `${method} blob`;
  return `${method} ${u}`;
}

/** TCP connections opened towards host:port that are still visible (ESTABLISHED or TIME-WAIT), from `ss`. */
function connections(hostPort: string): number {
  const port = hostPort.split(':').pop();
  const out = execFileSync('ss', ['-tan'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.split(/\s+/)[4] === `127.0.0.1:${port}`).length;
}

function summary(name: string, proxy: FaultProxy, images: number, blobs: number): void {
  const counts = new Map<string, number>();
  const statuses = new Map<string, number>();
  for (const r of proxy.requests()) {
    const k = kind(r.method, r.path);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    const s = `${k} → ${r.status}`;
    statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const total = proxy.requests().length;
  process.stdout.write(`\n${name}: ${total} requests (${(total / images).toFixed(2)} per image, ${(total / blobs).toFixed(2)} per distinct blob)\n`);
  for (const [k, n] of [...statuses].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${String(n).padStart(6)}  ${k}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      set: { type: 'string', default: 'many' },
      quick: { type: 'boolean', default: false },
      op: { type: 'string', default: 'sync' },
      'cpu-prof': { type: 'boolean', default: false },
      client: { type: 'string', default: 'airlift' },
      'no-referrers': { type: 'boolean', default: false },
    },
  });
  const client = values.client ?? 'airlift';
  const bare = values['no-referrers'] ?? false;
  if (!['airlift', 'floor', 'node-undici', 'node-http', ...PEER_NAMES].includes(client)) throw new Error(`--client ${client}: use airlift, floor, node-undici, node-http or one of ${PEER_NAMES.join(', ')}`);
  const nodeMode = client === 'node-undici' ? 'undici' : client === 'node-http' ? 'http' : undefined;
  if (client === 'floor' && values.op !== 'resync') throw new Error('--client floor: the HEAD-loop floor is the floor of --op resync');
  if (client !== 'airlift' && (values.op === 'save' || values.op === 'load')) throw new Error(`--client ${client}: only airlift's ${values.op} is counted here`);
  const defs = setDefs(values.quick ?? false);
  const def = values.set === 'big' ? defs.big : values.set === 'tiny' ? { key: 'tiny', specs: presetTiny } : values.set?.startsWith('scale-') ? scaleDef(values.set) : defs.many;
  const data = await dataSet(path.join(REPO_ROOT, '.tmp', 'bench-data'), def, (s) => process.stderr.write(`${s}\n`));
  const work = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-req-'));
  const profDir = path.join(REPO_ROOT, 'bench-results', 'profiles');
  const tools: Tools = { work, nodeFlags: values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [], env: {} };
  const src = await startRegistry({ mode: 'plain' });
  const dest = await startRegistry({ mode: 'plain' });
  const proxies: FaultProxy[] = [];
  try {
    // the scale sets as the bench seeds them (push.ts), the others with skopeo
    if (def.key.startsWith('scale-')) await pushLayout(data.dir, src.host, data.images, 8);
    else await seedRegistry(data.dir, src, data.images, { concurrency: 4 });
    const sp = await startFaultProxy({ url: src.url });
    const dp = await startFaultProxy({ url: dest.url });
    proxies.push(sp, dp);
    const blobs = data.blobs.length;
    const op = values.op ?? 'sync';
    const peer = PEER_NAMES.includes(client as (typeof PEER_NAMES)[number]) ? (await loadPeers()).find((p) => p.name === client) : undefined;
    if (peer && (!peer.available || !peer.sync)) throw new Error(`${client}: ${peer.version}`);
    const job = { t: tools, images: data.images, name: `req-${data.key}-${client}` };
    const runSync = (): Promise<Measured> =>
      nodeMode
        ? measure(process.execPath, [path.join(import.meta.dirname, 'clients', 'sync-node.mjs'), nodeMode, sp.host, dp.host, 'mirror', ...data.images.map((i) => `${i.name}:${i.tag}`)], { cwd: REPO_ROOT })
        : peer
          ? peer.sync!(job, sp.host, dp.host, 'mirror')
          : airliftSync(tools, sp.host, data.images, dp.host, 'mirror', bare ? ['--no-referrers'] : []);
    if (op === 'resync') {
      if (peer || nodeMode) await runSync();
      else await airliftSync({ ...tools, nodeFlags: [] }, sp.host, data.images, dp.host, 'mirror');
      sp.clearLog();
      dp.clearLog();
    }
    const bundle = path.join(work, 'bundle.tar');
    if (op === 'load') {
      await airliftSave({ ...tools, nodeFlags: [] }, sp.host, data.images, bundle);
      sp.clearLog();
    }
    const cpu0 = [registryCpu(src.storageDir), registryCpu(dest.storageDir)];
    const m =
      op === 'save'
        ? await airliftSave(tools, sp.host, data.images, bundle, bare ? ['--no-referrers'] : [])
        : op === 'load'
          ? await airliftLoad(tools, bundle, dp.host, 'mirror')
          : client === 'floor'
            ? await floorHeadLoop(work, sp.host, dp.host, 'mirror', data.images, { ...AIRLIFT_RESYNC_CONCURRENCY, tags: !bare })
            : await runSync();
    process.stdout.write(`${client} ${op} of ${data.key}: ${m.seconds.toFixed(2)} s, peak RSS ${m.peakRssMiB.toFixed(0)} MiB, CPU ${m.cpuSeconds.toFixed(2)} s\n`);
    const cpu1 = [registryCpu(src.storageDir), registryCpu(dest.storageDir)];
    process.stdout.write(`registry CPU: source ${(cpu1[0]! - cpu0[0]!).toFixed(2)} s, destination ${(cpu1[1]! - cpu0[1]!).toFixed(2)} s\n`);
    if (op !== 'load') summary('source', sp, data.images.length, blobs);
    process.stdout.write(`client connections to source: ${connections(sp.host)}, to destination: ${connections(dp.host)}\n`);
    if (op !== 'save') summary('destination', dp, data.images.length, blobs);
  } finally {
    for (const p of proxies) await p.stop();
    await src.stop();
    await dest.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
