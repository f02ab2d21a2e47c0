/**
 * Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time
 * by function and by package/file, top N.
 *
 *   node --import tsx test/bench/cpuprofile.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: cpuprofile.ts FILE.cpuprofile [N]');
const top = Number(process.argv[3] ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
const samples = prof.samples ?? [];
const deltas = prof.timeDeltas ?? [];
for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));

// A package's files (node_modules/yaml/dist/…) are `nm:yaml/…`, not the project's `dist/…`.
const shorten = (url: string): string =>
  url.includes('/node_modules/') ? url.replace(/.*\/node_modules\//, 'nm:') : url.replace(/.*\/dist\//, 'dist/');
const isOwn = (url: string): boolean => url.includes('/dist/') && !url.includes('/node_modules/');
const fn = new Map<string, number>();
const area = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  if (!n) continue;
  const url = n.callFrame.url.replace(/^file:\/\//, '');
  const short = shorten(url);
  const name = `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
  fn.set(name, (fn.get(name) ?? 0) + us);
  const a = url === '' ? `(${n.callFrame.functionName})` : url.startsWith('node:') ? 'node:internal' : short.startsWith('nm:') ? short.split('/')[0]! : short.split('/').slice(0, 3).join('/');
  area.set(a, (area.get(a) ?? 0) + us);
}
const total = (prof.endTime - prof.startTime) / 1000;
const print = (title: string, m: Map<string, number>): void => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms  ${((us / 1000 / total) * 100).toFixed(1).padStart(5)}%  ${k}\n`);
  }
};
// Inclusive time: each sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (n: Node): string => `${n.callFrame.functionName || '(anonymous)'} ${shorten(n.callFrame.url.replace(/^file:\/\//, ''))}:${n.callFrame.lineNumber + 1}`;
const inclusive = new Map<string, number>();
for (let i = 0; i < samples.length; i++) {
  const seen = new Set<string>();
  for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
    const n = byId.get(id);
    if (!n || !isOwn(n.callFrame.url)) continue;
    const k = label(n);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + (deltas[i] ?? 0));
  }
}
process.stdout.write(`profile ${file}: ${total.toFixed(0)} ms wall\n`);
print('self time by area', area);
print('self time by function', fn);
print("inclusive time of the project's own functions (dist/)", inclusive);
