// Where a node process spent its CPU, from `perf record -e task-clock` (on-CPU samples only: a thread
// that the scheduler preempted is not sampled, unlike V8's --cpu-prof, which samples on wall time
// and charges a preempted thread to wherever it stopped; on the shared 2-core VM that moved whole
// hundreds of ms between functions from run to run). Record with
//   perf record -g -e task-clock -F 2000 -o FILE -- node --perf-basic-prof --interpreted-frames-native-stack dist/cmd/airlift.js …
// (or test/bench/clients/sync-node.mjs …), then
//   node test/bench/perf-cpu.mjs FILE [module|function] [TOP]
// prints CPU by thread (main thread, its GC, V8's compiler threads, the rest) and, for the main
// thread, by the nearest JavaScript frame of each sample: its module (airlift's bundle is split at
// esbuild's `// path` markers: src/…, node_modules/<package>, node:internal/…) or its function.
// Native work under a JavaScript frame (a syscall, a builtin) counts for that frame.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [file, by = 'module', top = '40'] = process.argv.slice(2);
if (!file || !['module', 'function'].includes(by)) {
  process.stderr.write('usage: node test/bench/perf-cpu.mjs PERF.DATA [module|function] [TOP]\n');
  process.exit(2);
}
const HZ = 2000;
const bundle = path.join(import.meta.dirname, '..', '..', 'dist', 'cmd', 'airlift.bundle.cjs');
const marks = [];
try {
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (/^\/\/ (src|node_modules|cmd)\//.test(l)) marks.push([i + 1, l.slice(3)]);
    });
} catch {
  // no bundle built: frames of it are named by file only
}
const moduleAt = (line) => {
  let lo = 0;
  let hi = marks.length - 1;
  let found = 'bundle start';
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (marks[m][0] <= line) {
      found = marks[m][1];
      lo = m + 1;
    } else hi = m - 1;
  }
  return found.startsWith('node_modules/') ? found.split('/').slice(0, 2).join('/') : found;
};
const out = execFileSync('perf', ['script', '-i', file, '-F', 'pid,tid,ip,sym'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const threads = new Map();
const main = new Map();
const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
let n = 0;
for (const sample of out.split('\n\n')) {
  if (!sample.trim()) continue;
  n++;
  const lines = sample.split('\n');
  const [pid, tid] = lines[0].trim().split(/[\s/]+/);
  const frames = lines.slice(1).map((l) => l.trim().split(/\s+/).slice(1).join(' '));
  const all = frames.join(' | ');
  const gc = /Scavenge|MarkCompact|Heap::CollectGarbage|ConcurrentMarking|Sweeper/.test(all);
  if (pid !== tid) {
    add(threads, /compiler::|Compile|Turbofan|Maglev/.test(all) ? 'other threads: V8 compiler' : gc ? 'other threads: GC' : 'other threads: the rest');
    continue;
  }
  if (gc) {
    add(threads, 'main thread: GC');
    continue;
  }
  add(threads, 'main thread');
  const js = frames.find((f) => f.startsWith('JS:'));
  if (!js) {
    add(main, `(no JavaScript frame) ${frames[0] ?? ''}`.slice(0, 70));
    continue;
  }
  const m = /(\S+):(\d+):\d+$/.exec(js);
  const url = m?.[1] ?? '';
  let key;
  if (url.endsWith('airlift.bundle.cjs')) key = by === 'function' ? js.replace(/ \S+:(\d+):\d+$/, (_, l) => ` ${moduleAt(Number(l))}:${l}`) : moduleAt(Number(m[2]));
  else if (url.startsWith('node:')) key = by === 'function' ? js : `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  else key = by === 'function' ? js : url.includes('node_modules/') ? `node_modules/${url.split('node_modules/')[1].split('/')[0]}` : url ? path.basename(url) : js;
  add(main, key);
}
process.stdout.on('error', () => process.exit(0));
const ms = (c) => `${((c / HZ) * 1000).toFixed(0).padStart(6)} ms`;
process.stdout.write(`${file}: ${n} samples, ${(n / HZ).toFixed(2)} CPU-s at ${HZ} Hz\n`);
for (const [k, c] of [...threads].sort((a, b) => b[1] - a[1])) process.stdout.write(`${ms(c)}  ${k}\n`);
process.stdout.write(`main thread by ${by}:\n`);
for (const [k, c] of [...main].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) process.stdout.write(`${ms(c)}  ${k}\n`);
