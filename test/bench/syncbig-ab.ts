/**
 * sync big alternated (issue 22): one seeded source registry with the big set; then, `--rounds`
 * times, each side into a fresh destination: this tree's dist/ (`airlift`), another build's
 * (`--base DIR`, a copy of its dist/cmd/: `base`), the bench's floor (`floor`: curl GET | curl PUT
 * per blob, then per image its mounts and manifests) and its first step alone (`floor-blobs`).
 * Per run: wall, client CPU (GNU time; the floor's curl processes from /proc/self/stat), and the
 * two registries' CPU (/proc/PID/stat before and after). Before/after comparisons in one sitting,
 * on a machine other people benchmark on, lean on the CPU columns.
 *
 *   node --import tsx test/bench/syncbig-ab.ts [--rounds 3] [--sides airlift,base,floor] [--base DIR] [--set big|big-div8] [--node-flags "..."] [--wrap "strace -c -f -o FILE"] [--events DIR]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startRegistry } from '../harness/registry.js';
import { dataSet, setDefs } from './data.js';
import { distinctBlobs, endedChildrenCpu, floorImages, floorSync } from './floor.js';
import { measure, registryCpu, timed, type Measured } from './proc.js';
import { pushLayout } from './push.js';
import { REPO_ROOT } from './tools.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { rounds: { type: 'string', default: '3' }, sides: { type: 'string', default: 'airlift,floor,floor-blobs' }, base: { type: 'string' }, set: { type: 'string', default: 'big' }, 'node-flags': { type: 'string', default: '' }, wrap: { type: 'string', default: '' }, events: { type: 'string' } },
  });
  const def = values.set === 'big-div8' ? setDefs(true).big : setDefs(false).big;
  const data = await dataSet(path.join(REPO_ROOT, '.tmp', 'bench-data'), def, (s) => process.stderr.write(`${s}\n`));
  const work = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-syncbig-'));
  const flags = values['node-flags'] ? values['node-flags'].split(' ') : [];
  // --wrap "strace -c -f -o FILE": the airlift sides run under that command
  const wrap = values.wrap ? values.wrap.split(' ') : [];
  const src = await startRegistry({ mode: 'plain' });
  try {
    await pushLayout(data.dir, src.host, data.images);
    const blobs = distinctBlobs(data.images);
    // --events DIR: the airlift sides run with --json, their event lines kept in DIR (one file per run)
    let runNo = 0;
    const sync = async (cmd: string, host: string): Promise<Measured> => {
      const m = await measure(wrap[0] ?? process.execPath, [...wrap.slice(1), ...(wrap.length ? [process.execPath] : []), ...flags, cmd, '--plain-http', src.host, '--plain-http', host, 'sync', ...data.images.flatMap((i) => ['--image', `${src.host}/${i.name}:${i.tag}`]), '--to', `${host}/mirror`, ...(values.events ? ['--json'] : [])], { cwd: work, keep: 1 << 24 });
      if (values.events) await writeFile(path.join(values.events, `events-${++runNo}-${path.basename(path.dirname(cmd))}.jsonl`), m.stderr);
      return m;
    };
    const all: Record<string, (host: string) => Promise<Measured>> = {
      airlift: (host) => sync(path.join(REPO_ROOT, 'dist', 'cmd', 'airlift.js'), host),
      ...(values.base ? { base: (host: string) => sync(path.join(path.resolve(values.base!), 'airlift.js'), host) } : {}),
      // the bench's floor: the blobs, then per image its mounts and manifests
      floor: async (host) => {
        const c0 = endedChildrenCpu();
        const target = { destUrl: `http://${host}`, prefix: 'mirror' };
        const t = await timed(async () => {
          await floorSync(src.url, blobs, target);
          await floorImages(data.dir, data.images, blobs, target);
        });
        return { seconds: t.seconds, cpuSeconds: endedChildrenCpu() - c0, peakRssMiB: 0, stdout: '', stderr: '' };
      },
      // the blobs alone (the floor before 2026-11-30: no image at the destination)
      'floor-blobs': async (host) => {
        const c0 = endedChildrenCpu();
        const t = await timed(() => floorSync(src.url, blobs, { destUrl: `http://${host}`, prefix: 'mirror' }));
        return { seconds: t.seconds, cpuSeconds: endedChildrenCpu() - c0, peakRssMiB: 0, stdout: '', stderr: '' };
      },
    };
    const names = values.sides!.split(',');
    const rows = new Map<string, string[]>();
    for (let r = 0; r < Number(values.rounds); r++) {
      // the order turns each round, so that no side always runs first
      const order = names.map((_, i) => names[(i + r) % names.length]!);
      for (const name of order) {
        const run = all[name];
        if (!run) throw new Error(`--sides: ${name}: use ${Object.keys(all).join(', ')}`);
        const dest = await startRegistry({ mode: 'plain' });
        const c0 = [registryCpu(src.storageDir), registryCpu(dest.storageDir)];
        const m = await run(dest.host);
        const c1 = [registryCpu(src.storageDir), registryCpu(dest.storageDir)];
        await dest.stop();
        const line = `wall ${m.seconds.toFixed(3)} s  client CPU ${m.cpuSeconds.toFixed(2)} s (user ${m.userSeconds?.toFixed(2) ?? '-'}, sys ${m.systemSeconds?.toFixed(2) ?? '-'})  src CPU ${(c1[0]! - c0[0]!).toFixed(2)} s  dest CPU ${(c1[1]! - c0[1]!).toFixed(2)} s  RSS ${m.peakRssMiB.toFixed(0)} MiB  load ${os.loadavg()[0]!.toFixed(1)}`;
        process.stderr.write(`[${r + 1}] ${name.padEnd(8)} ${line}\n`);
        rows.set(name, [...(rows.get(name) ?? []), line]);
      }
    }
    process.stdout.write(`${data.key}, ${data.images.length} images, ${blobs.length} blobs\n`);
    for (const [name, lines] of rows) for (const l of lines) process.stdout.write(`${name.padEnd(8)} ${l}\n`);
  } finally {
    await src.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
