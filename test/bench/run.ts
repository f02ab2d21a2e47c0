/**
 * `npm run bench [-- --cases CASE[,CASE] --quick --scale 200,2000 --scale-ops sync,resync --peers skopeo,crane,… --side airlift|other --repeat N --storage tmpfs|disk --cpu-prof]`
 *
 * Runs airlift, its peers (skopeo, crane, regctl, regsync, oras) and the
 * floors (curl GET|PUT, the HEAD loop, the save floor) on the same work
 * against fresh docker-registry processes on 127.0.0.1, prints a table and
 * writes every run as JSON to bench-results/. See test/bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { skopeoBinary } from '../harness/skopeo.js';
import { loadBig, rssCheck, saveBig, saveDiffBig } from './cases-bundle.js';
import { SCALE_OPS, imagesCharts, scaleCases, scaleGrowth, type ScaleOp } from './cases-scale.js';
import { resyncMany, syncBig, syncMany } from './cases-sync.js';
import { Ctx, mergeRuns, type Row } from './context.js';
import { PEER_NAMES, UNBUILT, loadPeers } from './peers.js';
import { measure, rssMethod } from './proc.js';
import { chooseStorage, type StorageAsked } from './storage.js';
import { formatTable, writeJson } from './table.js';
import { AIRLIFT, FORM_FILES, REPO_ROOT, airliftForm, useForm, type Form, type Tools } from './tools.js';

const CASES = ['sync-big', 'floor-big', 'sync-many', 'resync-many', 'save-big', 'load-big', 'save-diff-big', 'rss', 'scale', 'images'] as const;
type CaseName = (typeof CASES)[number];

const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

async function loadavg(): Promise<string> {
  const text = await readFile('/proc/loadavg', 'utf8').catch(() => '');
  return text.split(' ').slice(0, 3).join(' ');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      only: { type: 'string', multiple: true },
      cases: { type: 'string', multiple: true },
      scale: { type: 'string' },
      'scale-ops': { type: 'string' },
      peers: { type: 'string' },
      charts: { type: 'string', default: '200' },
      'charts-dir': { type: 'string' },
      quick: { type: 'boolean', default: false },
      side: { type: 'string', default: 'both' },
      'cpu-prof': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      repeat: { type: 'string', default: '1' },
      storage: { type: 'string', default: 'auto' },
      form: { type: 'string', default: 'dist' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run bench -- [--cases ${CASES.join(',')}] [--quick] [--scale 200,2000] [--scale-ops ${SCALE_OPS.filter((o) => o !== 'resync-bare' && o !== 'save-bare').join(',')}] [--charts 200] [--charts-dir ../shared/charts-real] [--peers ${PEER_NAMES.join(',')}|none] [--side airlift|other|both] [--repeat N] [--storage auto|tmpfs|disk] [--form dist|mjs|exe] [--cpu-prof]\n` +
        '  --only is --cases; floor-big is part of sync-big (the curl floor); --quick: smaller sets and --scale 100,500\n' +
        '  --form: which airlift runs: dist/ (default), release/airlift.mjs or release/airlift-linux-x64 (built here by npm run release)\n' +
        '  --scale-ops: the scale cases to run at each size (sync always runs; resync includes resync --no-referrers, save includes save --no-referrers; load and verify run save)\n',
    );
    return 0;
  }
  const only = [...(values.only ?? []), ...(values.cases ?? [])].flatMap((s) => s.split(',')).filter(Boolean);
  for (const c of only) if (!(CASES as readonly string[]).includes(c)) throw new Error(`unknown case ${JSON.stringify(c)}: use one of ${CASES.join(', ')}`);
  const selected = new Set<CaseName>(only.length ? (only as CaseName[]) : CASES);
  const repeat = Number(values.repeat ?? '1');
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) throw new Error(`--repeat ${values.repeat}: use a whole number from 1 to 9`);
  const quick = values.quick ?? false;
  const scales = (values.scale ?? (quick ? '100,500' : '200,2000')).split(',').filter(Boolean).map(Number);
  for (const n of scales) if (!Number.isInteger(n) || n < 1 || n > 20000) throw new Error(`--scale ${values.scale}: use image counts from 1 to 20000, e.g. --scale 200,2000`);
  const scaleOps = new Set<ScaleOp>();
  for (const o of (values['scale-ops'] ?? SCALE_OPS.join(',')).split(',').filter(Boolean)) {
    if (!(SCALE_OPS as readonly string[]).includes(o)) throw new Error(`--scale-ops: unknown ${JSON.stringify(o)}: use some of ${SCALE_OPS.join(', ')}`);
    scaleOps.add(o as ScaleOp);
  }
  const chartCount = Number(values.charts);
  if (!Number.isInteger(chartCount) || chartCount < 1) throw new Error(`--charts ${values.charts}: use a whole number of charts`);
  const peerNames = values.peers === 'none' ? [] : (values.peers ?? PEER_NAMES.join(',')).split(',').filter(Boolean);
  for (const p of peerNames) if (!(PEER_NAMES as readonly string[]).includes(p)) throw new Error(`--peers: unknown peer ${JSON.stringify(p)}: use some of ${PEER_NAMES.join(', ')} or none`);
  const side = values.side ?? 'both';
  if (!['airlift', 'other', 'both'].includes(side)) throw new Error(`--side ${side}: use airlift, other or both`);
  const asked = values.storage ?? 'auto';
  if (!['auto', 'tmpfs', 'disk'].includes(asked)) throw new Error(`--storage ${asked}: use auto, tmpfs or disk`);
  const storage = chooseStorage(asked as StorageAsked);
  const form = values.form ?? 'dist';
  if (!Object.hasOwn(FORM_FILES, form)) throw new Error(`--form ${form}: use dist, mjs or exe`);
  if (form === 'exe' && values['cpu-prof']) throw new Error('--cpu-prof needs node flags: use --form dist or mjs');
  useForm(form as Form);
  if (side !== 'other' && form !== 'dist') {
    // the release forms are built from this tree now, so that they run the code under test
    log(`building ${path.relative(REPO_ROOT, AIRLIFT)} (npm run release${form === 'mjs' ? ', no executables' : ', x64 only'})`);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'release.mjs')], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, AIRLIFT_RELEASE_ARCHES: form === 'exe' ? 'x64' : '' } });
    if (r.status !== 0) throw new Error(`npm run release failed (exit ${r.status ?? r.signal}): the --form ${form} file could not be built`);
  }
  if (side !== 'other' && !existsSync(AIRLIFT)) throw new Error(`${AIRLIFT} is missing: run npm run build first`);
  skopeoBinary();

  const work = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-'));
  const profDir = path.join(REPO_ROOT, 'bench-results', 'profiles');
  if (values['cpu-prof']) await mkdir(profDir, { recursive: true });
  const tools: Tools = { work, nodeFlags: values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [], env: {} };
  const ctx = new Ctx(
    {
      quick,
      dataRoot: values['data-dir'] ?? path.join(REPO_ROOT, '.tmp', 'bench-data'),
      sides: { airlift: side !== 'other', other: side !== 'airlift' },
      registryDir: storage.dir,
    },
    tools,
    log,
  );
  ctx.peers = (await loadPeers()).filter((p) => peerNames.includes(p.name));
  for (const p of ctx.peers) log(`peer ${p.name}: ${p.version}`);
  for (const [name, why] of Object.entries(UNBUILT)) log(`peer ${name}: ${why}`);
  const machine = { cpus: os.cpus().length, memMiB: Math.round(os.totalmem() / 1024 / 1024), loadBefore: await loadavg(), loadAfter: '' };
  log(`load average before: ${machine.loadBefore} (${machine.cpus} cores); peak RSS via ${rssMethod()}`);
  log(`registry storage: ${storage.kind} at ${storage.dir} (${storage.why})`);
  log(`airlift: ${path.relative(REPO_ROOT, AIRLIFT)} (--form ${airliftForm()})`);
  const started = new Date();
  const runs: Row[][] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      if (repeat > 1) log(`run ${i + 1} of ${repeat}`);
      ctx.rows.length = 0;
      if (selected.has('sync-big') || selected.has('floor-big')) await syncBig(ctx, true);
      if (selected.has('sync-many')) await syncMany(ctx, selected.has('resync-many'));
      if (selected.has('resync-many')) await resyncMany(ctx);
      if (selected.has('save-big')) await saveBig(ctx);
      if (selected.has('load-big')) await loadBig(ctx);
      if (selected.has('save-diff-big')) await saveDiffBig(ctx);
      if (selected.has('rss')) await rssCheck(ctx);
      if (selected.has('scale')) {
        for (const n of scales) await scaleCases(ctx, n, scaleOps);
        scaleGrowth(ctx);
      }
      if (selected.has('images')) await imagesCharts(ctx, chartCount, values['charts-dir'] ? path.resolve(values['charts-dir']) : undefined);
      runs.push([...ctx.rows]);
    }
  } finally {
    await ctx.stopAll();
    await rm(work, { recursive: true, force: true });
  }
  machine.loadAfter = await loadavg();
  log(`load average after: ${machine.loadAfter}`);
  const skopeoVersion = (await measure(skopeoBinary(), ['--version'])).stdout.trim();
  const rows = mergeRuns(runs);
  const shown = ctx.peers.map((p) => p.name);
  process.stdout.write(formatTable(rows, shown));
  process.stdout.write('\npeers and their settings:\n');
  for (const p of ctx.peers) {
    process.stdout.write(`- ${p.name} ${p.version}: ${Object.entries(p.settings).map(([op, s]) => `${op}: ${s}`).join('; ')}\n`);
  }
  for (const [name, why] of Object.entries(UNBUILT)) process.stdout.write(`- ${name}: ${why}\n`);
  process.stdout.write(`load average before/after: ${machine.loadBefore} / ${machine.loadAfter} on ${machine.cpus} cores${values.quick ? ' (--quick data sets)' : ''}; registry storage: ${storage.kind} (${storage.dir}); airlift: ${path.relative(REPO_ROOT, AIRLIFT)} (--form ${airliftForm()})\n`);
  const file = await writeJson(path.join(REPO_ROOT, 'bench-results'), {
    started: started.toISOString(),
    quick: values.quick,
    machine,
    node: process.version,
    skopeo: skopeoVersion,
    peers: ctx.peers.map((p) => ({ name: p.name, version: p.version, settings: p.settings, cannot: p.cannot })),
    unbuilt: UNBUILT,
    scales,
    runs,
    rssMethod: rssMethod(),
    storage,
    form: airliftForm(),
    repeat,
    rows,
  });
  log(`wrote ${path.relative(process.cwd(), file)}`);
  return rows.some((r) => r.pass === false) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 2;
  },
);
