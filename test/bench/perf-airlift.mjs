// Where airlift's own code spends a sync's main thread, from the same `perf record` as perf-cpu.mjs (see there): each
// on-CPU sample of the main thread goes to the nearest frame of airlift's bundle (src/, cmd/) on its stack, so that
// undici, streams and node internals called from an airlift function count for it (samples with none: the event
// loop, answers parsed, microtasks, start-up); then the same inclusively (every airlift function on the stack).
//   node test/bench/perf-airlift.mjs PERF.DATA [TOP]
// Module names come from the bundle in dist/ now: profile the build that is there.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
const [file, top = '50'] = process.argv.slice(2);
const marks = [];
readFileSync(path.join(import.meta.dirname, '..', '..', 'dist', 'cmd', 'airlift.bundle.cjs'), 'utf8').split('\n').forEach((l, i) => { if (/^\/\/ (src|node_modules|cmd)\//.test(l)) marks.push([i + 1, l.slice(3)]); });
const moduleAt = (line) => { let f = 'start'; for (const [l, m] of marks) { if (l <= line) f = m; else break; } return f; };
const out = execFileSync('perf', ['script', '-i', file, '-F', 'pid,tid,ip,sym'], { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const near = new Map(), incl = new Map();
const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
let n = 0;
for (const sample of out.split('\n\n')) {
  if (!sample.trim()) continue;
  const lines = sample.split('\n');
  const [pid, tid] = lines[0].trim().split(/[\s/]+/);
  if (pid !== tid) continue;
  const frames = lines.slice(1).map((l) => l.trim().split(/\s+/).slice(1).join(' '));
  n++;
  const air = [];
  for (const f of frames) {
    const m = /^JS:[*^~]?(\S*) \S*airlift\.bundle\.cjs:(\d+)/.exec(f);
    if (m) { const mod = moduleAt(Number(m[2])); if (mod.startsWith('src/') || mod.startsWith('cmd/')) air.push(`${m[1] || '(anon)'} ${mod}:${m[2]}`); }
  }
  add(near, air[0] ?? '(no airlift frame)');
  for (const a of new Set(air)) add(incl, a);
}
const ms = (c) => `${((c / 2000) * 1000).toFixed(0).padStart(6)} ms`;
console.log(`${n} main-thread samples`);
console.log('nearest airlift frame:');
for (const [k, c] of [...near].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${ms(c)}  ${k}`);
console.log('inclusive:');
for (const [k, c] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${ms(c)}  ${k}`);
