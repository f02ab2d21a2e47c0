/**
 * `npm run bench [-- --only CASE[,CASE] --quick --side airlift|other --repeat N --storage tmpfs|disk --cpu-prof]`
 *
 * Runs airlift and skopeo 1.9 (or the curl floor) on the same work against
 * fresh docker-registry processes on 127.0.0.1, prints a table and writes it
 * as JSON to bench-results/. Cases: sync-big, floor-big, sync-many,
 * resync-many, save-big, load-big, save-diff-big, rss. See test/bench/README.md.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { skopeoBinary } from '../harness/skopeo.js';
import { loadBig, rssCheck, saveBig, saveDiffBig } from './cases-bundle.js';
import { floorBig, resyncMany, syncBig, syncMany } from './cases-sync.js';
import { Ctx, mergeRuns, type Row } from './context.js';
import { measure, rssMethod } from './proc.js';
import { chooseStorage, type StorageAsked } from './storage.js';
import { formatTable, writeJson } from './table.js';
import { AIRLIFT, REPO_ROOT, type Tools } from './tools.js';

const CASES = ['sync-big', 'floor-big', 'sync-many', 'resync-many', 'save-big', 'load-big', 'save-diff-big', 'rss'] as const;
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
      quick: { type: 'boolean', default: false },
      side: { type: 'string', default: 'both' },
      'cpu-prof': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      repeat: { type: 'string', default: '1' },
      storage: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`usage: npm run bench -- [--only ${CASES.join(',')}] [--quick] [--side airlift|other|both] [--repeat N] [--storage auto|tmpfs|disk] [--cpu-prof]\n`);
    return 0;
  }
  const only = (values.only ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  for (const c of only) if (!(CASES as readonly string[]).includes(c)) throw new Error(`unknown case ${JSON.stringify(c)}: use one of ${CASES.join(', ')}`);
  const selected = new Set<CaseName>(only.length ? (only as CaseName[]) : CASES);
  const repeat = Number(values.repeat ?? '1');
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) throw new Error(`--repeat ${values.repeat}: use a whole number from 1 to 9`);
  const side = values.side ?? 'both';
  if (!['airlift', 'other', 'both'].includes(side)) throw new Error(`--side ${side}: use airlift, other or both`);
  const asked = values.storage ?? 'auto';
  if (!['auto', 'tmpfs', 'disk'].includes(asked)) throw new Error(`--storage ${asked}: use auto, tmpfs or disk`);
  const storage = chooseStorage(asked as StorageAsked);
  if (side !== 'other' && !existsSync(AIRLIFT)) throw new Error(`${AIRLIFT} is missing: run npm run build first`);
  skopeoBinary();

  const work = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-'));
  const profDir = path.join(REPO_ROOT, 'bench-results', 'profiles');
  if (values['cpu-prof']) await mkdir(profDir, { recursive: true });
  const tools: Tools = { work, nodeFlags: values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [], env: {} };
  const ctx = new Ctx(
    {
      quick: values.quick ?? false,
      dataRoot: values['data-dir'] ?? path.join(REPO_ROOT, '.tmp', 'bench-data'),
      sides: { airlift: side !== 'other', other: side !== 'airlift' },
      registryDir: storage.dir,
    },
    tools,
    log,
  );
  const machine = { cpus: os.cpus().length, memMiB: Math.round(os.totalmem() / 1024 / 1024), loadBefore: await loadavg(), loadAfter: '' };
  log(`load average before: ${machine.loadBefore} (${machine.cpus} cores); peak RSS via ${rssMethod()}`);
  log(`registry storage: ${storage.kind} at ${storage.dir} (${storage.why})`);
  const started = new Date();
  const runs: Row[][] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      if (repeat > 1) log(`run ${i + 1} of ${repeat}`);
      ctx.rows.length = 0;
      if (selected.has('sync-big')) await syncBig(ctx);
      if (selected.has('floor-big')) await floorBig(ctx);
      if (selected.has('sync-many')) await syncMany(ctx, selected.has('resync-many'));
      if (selected.has('resync-many')) await resyncMany(ctx);
      if (selected.has('save-big')) await saveBig(ctx);
      if (selected.has('load-big')) await loadBig(ctx);
      if (selected.has('save-diff-big')) await saveDiffBig(ctx);
      if (selected.has('rss')) await rssCheck(ctx);
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
  process.stdout.write(formatTable(rows));
  process.stdout.write(`load average before/after: ${machine.loadBefore} / ${machine.loadAfter} on ${machine.cpus} cores${values.quick ? ' (--quick data sets)' : ''}; registry storage: ${storage.kind} (${storage.dir})\n`);
  const file = await writeJson(path.join(REPO_ROOT, 'bench-results'), {
    started: started.toISOString(),
    quick: values.quick,
    machine,
    node: process.version,
    skopeo: skopeoVersion,
    rssMethod: rssMethod(),
    storage,
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
