// Start-up of each form of airlift, for the README's table: `node scripts/startup.mjs [RUNS]` after
// `npm run build` and `npm run release`. Each form runs `--version` and `images` on the example chart
// RUNS times (default 21), interleaved, from a directory with no node_modules; prints the median wall
// time and the median CPU time (user + system, from /usr/bin/time), which a busy machine inflates less.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE_22, NODE_24, nodeBinary } from './node-bin.mjs';

const root = path.resolve(import.meta.dirname, '..');
const runs = Number(process.argv[2] ?? 21);
const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-startup-'));
const chart = path.join(root, 'fixtures', 'charts', 'example-shop');
if (!existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed for the CPU times (apt-get install time)');
const dist = path.join(root, 'dist', 'cmd', 'airlift.js');
const mjs = path.join(dir, 'airlift.mjs');
const exe = path.join(root, 'release', 'airlift-linux-x64');
for (const f of [dist, path.join(root, 'release', 'airlift.mjs'), exe]) if (!existsSync(f)) throw new Error(`${f} is missing: npm run build && npm run release`);
copyFileSync(path.join(root, 'release', 'airlift.mjs'), mjs);
const n22 = nodeBinary(NODE_22);
const n24 = nodeBinary(NODE_24);

const forms = {
  [`dist/ on node ${process.versions.node}`]: [process.execPath, dist],
  [`dist/ on node ${NODE_22}`]: [n22, dist],
  [`dist/ on node ${NODE_24}`]: [n24, dist],
  [`airlift.mjs on node ${process.versions.node}`]: [process.execPath, mjs],
  [`airlift.mjs on node ${NODE_22}`]: [n22, mjs],
  [`airlift.mjs on node ${NODE_24}`]: [n24, mjs],
  'airlift-linux-x64': [exe],
};
const commands = { '--version': ['--version'], 'images CHART': ['images', chart, '-o', 'list'] };
const times = {};
for (let i = 0; i < runs; i++) {
  for (const [form, cmd] of Object.entries(forms)) {
    for (const [name, args] of Object.entries(commands)) {
      const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ...cmd, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: dir } });
      if (r.status !== 0) throw new Error(`${form} ${name} failed: ${r.stderr}`);
      const [wall, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
      (times[`${form}\t${name}`] ??= []).push([wall * 1000, (user + sys) * 1000]);
    }
  }
}
rmSync(dir, { recursive: true, force: true });
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| form | command | wall (median of ${runs}) | CPU (median) |\n|---|---|---|---|`);
for (const [k, t] of Object.entries(times)) {
  const [form, name] = k.split('\t');
  console.log(`| ${form} | \`${name}\` | ${median(t.map((x) => x[0])).toFixed(0)} ms | ${median(t.map((x) => x[1])).toFixed(0)} ms |`);
}
console.log(`(${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the end)`);
