/**
 * What the cases share: the data sets (cached), one seeded source registry
 * per data set, fresh destination registries, a check that a destination
 * holds every image with its source digest, and the rows of the table.
 */
import { seedRegistry, type GeneratedImage } from '../../fixtures/images/generate.js';
import { startRegistry, type StartedRegistry } from '../harness/registry.js';
import { dataSet, setDefs, type DataSet, type SetDef } from './data.js';
import { measure, type Measured } from './proc.js';
import type { Tools } from './tools.js';

export type SetName = 'big' | 'many' | 'huge' | 'small';

export interface Side {
  seconds: number;
  peakRssMiB: number;
  /** CPU seconds of the measured process(es), when known. */
  cpuSeconds?: number;
}

export interface Row {
  case: string;
  work: string;
  airlift?: Side;
  /** What airlift is compared with: skopeo, or the raw floor. */
  other?: Side & { label: 'skopeo' | 'floor' };
  /** Higher is better for 'speedup' (other / airlift); lower for 'of-floor' (airlift / floor). */
  ratioKind?: 'speedup' | 'of-floor';
  ratio?: number;
  target: string;
  pass?: boolean;
  notes: string[];
  /** What judge() was asked to check (kept so that repeated runs can be judged again). */
  threshold?: number;
  rssLimitMiB?: number;
  /** Every measurement when the run was repeated. */
  runs?: { airlift: number[]; other: number[] };
}

export class Ctx {
  readonly rows: Row[] = [];
  private readonly sets = new Map<SetName, Promise<DataSet>>();
  private readonly sources = new Map<SetName, Promise<StartedRegistry>>();
  private readonly live = new Set<StartedRegistry>();
  private readonly defs: Record<SetName, SetDef>;

  constructor(
    readonly opts: { quick: boolean; dataRoot: string; sides: { airlift: boolean; other: boolean }; registryDir?: string },
    readonly tools: Tools,
    readonly log: (s: string) => void,
  ) {
    this.defs = setDefs(opts.quick);
  }

  data(name: SetName): Promise<DataSet> {
    let p = this.sets.get(name);
    if (!p) this.sets.set(name, (p = dataSet(this.opts.dataRoot, this.defs[name], this.log)));
    return p;
  }

  /** A registry holding the data set, seeded with skopeo (setup, not measured). */
  source(name: SetName): Promise<StartedRegistry> {
    let p = this.sources.get(name);
    if (!p) {
      p = (async () => {
        const set = await this.data(name);
        const reg = await this.fresh();
        const started = Date.now();
        await seedRegistry(set.dir, reg, set.images, { concurrency: 4 });
        this.log(`seeded source ${reg.host} with ${set.key} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return reg;
      })();
      this.sources.set(name, p);
    }
    return p;
  }

  async fresh(): Promise<StartedRegistry> {
    const reg = await startRegistry({ mode: 'plain', baseDir: this.opts.registryDir });
    this.live.add(reg);
    return reg;
  }

  async stop(reg: StartedRegistry): Promise<void> {
    this.live.delete(reg);
    await reg.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((r) => r.stop()));
    this.live.clear();
  }

  /** Throws unless `dest` serves every image under PREFIX/NAME:TAG with its generated digest. */
  async verify(dest: StartedRegistry, prefix: string, images: GeneratedImage[], who: string): Promise<void> {
    const bad: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < images.length) {
        const img = images[next++]!;
        const url = `${dest.url}/v2/${prefix}/${img.name}/manifests/${img.tag}`;
        const res = await fetch(url, { method: 'HEAD', headers: { accept: img.descriptor.mediaType } });
        const got = res.headers.get('docker-content-digest');
        if (!res.ok || got !== img.digest) bad.push(`${prefix}/${img.name}:${img.tag} → ${res.status} ${got ?? ''}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    if (bad.length) throw new Error(`${who}: ${bad.length} of ${images.length} images missing or with another digest at ${dest.host}: ${bad.slice(0, 3).join('; ')}`);
  }

  /** Runs one side of a measurement; a failure becomes a note on the row instead of ending the run. */
  async side(row: Row, who: string, fn: () => Promise<Measured | Side>): Promise<Side | undefined> {
    try {
      // What the previous side left unwritten (skopeo and tar do not fsync) is flushed first,
      // so that its writeback is not charged to this side.
      await measure('sync', []);
      const m = await fn();
      const cpu = 'cpuSeconds' in m && m.cpuSeconds !== undefined && Number.isFinite(m.cpuSeconds) ? m.cpuSeconds : undefined;
      this.log(`  ${who}: ${m.seconds.toFixed(2)} s, peak RSS ${m.peakRssMiB.toFixed(0)} MiB${cpu !== undefined ? `, CPU ${cpu.toFixed(2)} s` : ''}`);
      return { seconds: m.seconds, peakRssMiB: m.peakRssMiB, ...(cpu !== undefined ? { cpuSeconds: cpu } : {}) };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log(`  ${who} FAILED: ${msg.slice(0, 2000)}`);
      row.notes.push(`${who} failed: ${msg.split('\n').find((l) => l.trim()) ?? msg}`.slice(0, 300));
      return undefined;
    }
  }
}

/** Fills ratio and pass of a row from its two sides. */
export function judge(row: Row, kind: 'speedup' | 'of-floor', threshold: number, rssLimitMiB?: number): void {
  row.ratioKind = kind;
  row.threshold = threshold;
  if (rssLimitMiB !== undefined) row.rssLimitMiB = rssLimitMiB;
  const a = row.airlift;
  const o = row.other;
  if (a && o) {
    row.ratio = kind === 'speedup' ? o.seconds / a.seconds : a.seconds / o.seconds;
    row.pass = kind === 'speedup' ? row.ratio >= threshold : row.ratio <= threshold;
  }
  if (a && rssLimitMiB !== undefined && a.peakRssMiB >= rssLimitMiB) {
    row.pass = false;
    row.notes.push(`peak RSS ${a.peakRssMiB.toFixed(0)} MiB ≥ ${rssLimitMiB} MiB`);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One row per case from repeated runs: median times, largest peak RSS, judged again. */
export function mergeRuns(runs: Row[][]): Row[] {
  const first = runs[0] ?? [];
  return first.map((row, i) => {
    const same = runs.map((r) => r[i]).filter((r): r is Row => r !== undefined && r.case === row.case && r.work === row.work);
    if (same.length < 2) return withCpuNote(row, [row]);
    const merged: Row = { ...row, notes: [...new Set(same.flatMap((r) => r.notes))], runs: { airlift: [], other: [] } };
    const sides = (pick: (r: Row) => Side | undefined): Side | undefined => {
      const xs = same.map(pick).filter((x): x is Side => x !== undefined);
      if (!xs.length) return undefined;
      const cpuSeconds = xs.every((x) => x.cpuSeconds !== undefined) ? median(xs.map((x) => x.cpuSeconds!)) : undefined;
      return { seconds: median(xs.map((x) => x.seconds)), peakRssMiB: Math.max(...xs.map((x) => x.peakRssMiB)), cpuSeconds };
    };
    merged.runs!.airlift = same.flatMap((r) => (r.airlift ? [r.airlift.seconds] : []));
    merged.runs!.other = same.flatMap((r) => (r.other ? [r.other.seconds] : []));
    const a = sides((r) => r.airlift);
    const o = sides((r) => r.other);
    if (a) merged.airlift = a;
    else delete merged.airlift;
    if (o && row.other) merged.other = { ...o, label: row.other.label };
    if (a && o && row.ratioKind && row.threshold !== undefined) {
      merged.notes = merged.notes.filter((n) => !n.startsWith('peak RSS'));
      judge(merged, row.ratioKind, row.threshold, row.rssLimitMiB);
    } else if (a && o && row.ratioKind) {
      merged.ratio = row.ratioKind === 'speedup' ? o.seconds / a.seconds : a.seconds / o.seconds;
    }
    const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
    merged.notes.push(`median of ${same.length} runs: airlift ${list(merged.runs!.airlift)}${row.other ? `; ${row.other.label} ${list(merged.runs!.other)}` : ''}`);
    // Each run measures both sides back to back; its own ratio shows how far the machine drifted between runs.
    const paired = same.flatMap((r) => (r.airlift && r.other && row.ratioKind ? [row.ratioKind === 'speedup' ? r.other.seconds / r.airlift.seconds : r.airlift.seconds / r.other.seconds] : []));
    if (paired.length === same.length) merged.notes.push(`ratio of each run: ${paired.map((x) => `${x.toFixed(2)}×`).join(', ')}`);
    return withCpuNote(merged, same);
  });
}

/**
 * The CPU time of each side's own process(es) (user + system, GNU time), medians over the runs:
 * on a machine the registries saturate, the client's CPU is what a client can still change.
 */
function withCpuNote(row: Row, same: Row[]): Row {
  const cpus = (pick: (r: Row) => Side | undefined): number[] | undefined => {
    const xs = same.map((r) => pick(r)?.cpuSeconds);
    return xs.every((x): x is number => x !== undefined) ? xs : undefined;
  };
  const a = row.airlift ? cpus((r) => r.airlift) : undefined;
  const o = row.other && row.other.label === 'skopeo' ? cpus((r) => r.other) : undefined;
  // the floor row's airlift column is the sync-big run, whose row already says it
  if (!a || row.case === 'floor-big') return row;
  const s = (xs: number[]): string => `${median(xs).toFixed(2)} s`;
  return { ...row, notes: [...row.notes, `client CPU${same.length > 1 ? ' (median)' : ''}: airlift ${s(a)}${o ? `; skopeo ${s(o)}` : ''}`] };
}
