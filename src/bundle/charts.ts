/**
 * Charts inside a bundle: a chart directory packaged into a `.tgz`
 * deterministically (sorted entries, fixed owner, mode and time, so the same
 * chart always gives the same bytes; what `.helmignore` names is left out),
 * and the Chart.yaml of a packaged chart.
 */
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { readTgz } from '../chart/archive.js';
import { parseYamlMap } from '../chart/yaml.js';
import { InputError, TooLargeError } from '../errors.js';
import { NO_HELMIGNORE, parseHelmIgnore, type HelmIgnore } from './helmignore.js';

/** Largest chart airlift packages or pushes. */
export const MAX_CHART_BYTES = 64 * 1024 * 1024;

/** Helm's rule for chart names in archives: the file is charts/<name>-<version>.tgz. */
export function chartFileName(name: string, version: string): string {
  return `charts/${name}-${version}.tgz`;
}

async function walk(root: string, rel: string, out: string[], ignore: HelmIgnore): Promise<void> {
  const dir = rel === '' ? root : path.join(root, rel);
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.name === '.git' || e.name === '.svn' || e.name === '.hg') continue;
    if (ignore.ignores(r, e.isDirectory())) continue;
    if (e.isDirectory()) await walk(root, r, out, ignore);
    else if (e.isFile()) out.push(r);
    // symbolic links and special files are left out, as helm package does for links outside the chart
  }
}

/** The chart's `.helmignore`, or only helm's default rule when there is none. */
async function readHelmIgnore(dir: string): Promise<HelmIgnore> {
  const file = path.join(dir, '.helmignore');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return NO_HELMIGNORE;
    throw new InputError(`cannot read ${file}: ${(err as Error).message}`, { cause: err, hint: 'check the file permissions' });
  }
  return parseHelmIgnore(text, file);
}

/** A file added to a packaged chart (a dependency under `charts/`): its path inside the chart and its bytes. */
export interface ExtraChartFile {
  path: string;
  data: Buffer;
}

/** `<name>/<path>` entries in a gzip-compressed tar, in the order given: the same entries give the same bytes. */
async function tarGz(entries: Array<{ name: string; data: Buffer; mode: number }>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    await new Promise<void>((resolve, reject) =>
      p.entry({ name: e.name, size: e.data.length, mode: e.mode, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '', type: 'file' }, e.data, (err) => (err ? reject(err) : resolve())),
    );
  }
  p.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

/**
 * Packages a chart directory (leaving out what its `.helmignore` names) as `<name>/...` in a
 * gzip-compressed tar; the same files give the same bytes. `extra` files (dependencies fetched
 * into `charts/`) are added, replacing a file of the same path.
 */
export async function packageChartDir(dir: string, name: string, extra: ExtraChartFile[] = []): Promise<Buffer> {
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new InputError(`${dir} is not a chart directory`);
  const files: string[] = [];
  await walk(dir, '', files, await readHelmIgnore(dir));
  const added = new Set(extra.map((e) => e.path));
  const entries: Array<{ rel: string; data: Buffer; mode: number }> = [];
  let total = extra.reduce((n, e) => n + e.data.length, 0);
  for (const f of files) {
    if (added.has(f)) continue;
    const data = await readFile(path.join(dir, ...f.split('/')));
    total += data.length;
    if (total > MAX_CHART_BYTES) throw new TooLargeError(`chart ${dir} is over ${MAX_CHART_BYTES} bytes`, { hint: 'check .helmignore and remove large files from the chart' });
    const mode = ((await lstat(path.join(dir, ...f.split('/')))).mode & 0o111) !== 0 ? 0o755 : 0o644;
    entries.push({ rel: f, data, mode });
  }
  for (const e of extra) entries.push({ rel: e.path, data: e.data, mode: 0o644 });
  entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  return tarGz(entries.map((e) => ({ name: `${name}/${e.rel}`, data: e.data, mode: e.mode })));
}

/**
 * A packaged chart with `extra` files added under its top directory (dependencies into
 * `charts/`), repackaged deterministically (sorted entries, fixed owner and time; files keep
 * no mode but 0644, as helm reads none).
 */
export async function addToPackagedChart(tgz: Buffer, label: string, extra: ExtraChartFile[]): Promise<Buffer> {
  const files = await readTgz(tgz, label);
  const roots = [...files.keys()].filter((n) => /^[^/]+\/Chart\.yaml$/.test(n)).map((n) => n.split('/')[0]!);
  if (roots.length !== 1) throw new InputError(`${label}: expected one <chart>/Chart.yaml at the top of the archive, found ${roots.length}`, { hint: 'package the chart with helm package' });
  const root = roots[0]!;
  const entries = new Map<string, Buffer>(files);
  for (const e of extra) entries.set(`${root}/${e.path}`, e.data);
  const total = [...entries.values()].reduce((n, b) => n + b.length, 0);
  if (total > MAX_CHART_BYTES) throw new TooLargeError(`${label} with its dependencies is over ${MAX_CHART_BYTES} bytes`);
  const names = [...entries.keys()].sort();
  return tarGz(names.map((n) => ({ name: n, data: entries.get(n)!, mode: 0o644 })));
}

/** The Chart.yaml of a packaged chart, as a plain object (the Helm OCI config). */
export async function chartMetadata(tgz: Buffer, label: string): Promise<Record<string, unknown>> {
  const files = await readTgz(tgz, label);
  const names = [...files.keys()].filter((n) => /^[^/]+\/Chart\.yaml$/.test(n)).sort();
  const first = names[0];
  if (!first) throw new InputError(`${label} has no <chart>/Chart.yaml`, { hint: 'a packaged chart holds its files under one top directory named after the chart' });
  const meta = parseYamlMap(files.get(first)!.toString('utf8'), `${label}: ${first}`, 'Chart.yaml');
  if (typeof meta.name !== 'string' || typeof meta.version !== 'string') {
    throw new InputError(`${label}: ${first} needs a name and a version`);
  }
  return meta;
}
