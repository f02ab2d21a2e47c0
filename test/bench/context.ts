/**
 * What the cases share: the data sets (cached), one seeded source registry
 * per data set, fresh destination registries, a check that a destination
 * holds every image with its source digest, and the rows of the table.
 */
import { seedRegistry, type GeneratedImage } from '../../fixtures/images/generate.js';
import { startRegistry, type StartedRegistry } from '../harness/registry.js';
import { dataSet, scaleDef, setDefs, type DataSet, type SetDef } from './data.js';
import { measure, registryCpu, type Measured } from './proc.js';
import { pushLayout } from './push.js';
import type { Peer, PeerOp } from './peers.js';
import type { Tools } from './tools.js';

export type SetName = 'big' | 'many' | 'huge' | 'small' | `scale-${number}`;

export interface Side {
  seconds: number;
  peakRssMiB: number;
  /** CPU seconds of the measured process(es), when known. */
  cpuSeconds?: number;
  /** CPU seconds the registries the side talked to spent meanwhile (/proc/PID/stat), when asked for. */
  registryCpuSeconds?: number;
}

export interface Floor extends Side {
  /** What the floor did, e.g. "curl GET | curl PUT ×8". */
  what: string;
}

export interface Row {
  case: string;
  work: string;
  airlift?: Side;
  /** The floor of the same work (a minimal client), when the case has one. */
  floor?: Floor;
  /** Peers that ran this case, by name. */
  peers: Record<string, Side>;
  /** Peers that did not run this case (or failed), with the reason. */
  absent: Record<string, string>;
  target: string;
  pass?: boolean;
  notes: string[];
  /** airlift / floor must be at most this (kept so that repeated runs can be judged again). */
  floorLimit?: number;
  rssLimitMiB?: number;
  /** airlift's time must be under this many seconds. */
  secondsLimit?: number;
  /** airlift must be faster than every peer that ran. */
  beatPeers?: boolean;
  /** Every measurement of every side when the run was repeated. */
  runs?: Record<string, number[]>;
}

export const newRow = (c: string, work: string, target: string): Row => ({ case: c, work, target, peers: {}, absent: {}, notes: [] });

/** Every manifest type, so that a peer that converted Docker to OCI is seen with another digest, not as missing. */
const ANY_MANIFEST = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export class Ctx {
  readonly rows: Row[] = [];
  /** The peers of this run (--peers), loaded by run.ts. */
  peers: Peer[] = [];
  private readonly sets = new Map<SetName, Promise<DataSet>>();
  private readonly sources = new Map<SetName, Promise<StartedRegistry>>();
  private readonly live = new Set<StartedRegistry>();
  private readonly defs: Record<string, SetDef>;

  constructor(
    readonly opts: { quick: boolean; dataRoot: string; sides: { airlift: boolean; other: boolean }; registryDir?: string },
    readonly tools: Tools,
    readonly log: (s: string) => void,
  ) {
    this.defs = setDefs(opts.quick);
  }

  data(name: SetName): Promise<DataSet> {
    let p = this.sets.get(name);
    if (!p) this.sets.set(name, (p = dataSet(this.opts.dataRoot, this.defs[name] ?? scaleDef(name), this.log)));
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
        // skopeo (one process per image) for the small sets; the minimal pusher for the scale sets
        if (name.startsWith('scale-')) await pushLayout(set.dir, reg.host, set.images, 8);
        else await seedRegistry(set.dir, reg, set.images, { concurrency: 4 });
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
    const bad = await this.mismatches(dest, prefix, images);
    if (bad.length) throw new Error(`${who}: ${bad.length} of ${images.length} images missing or with another digest at ${dest.host}: ${bad.slice(0, 3).join('; ')}`);
  }

  /** The images `dest` does not serve under PREFIX/NAME:TAG with their generated digest. */
  async mismatches(dest: StartedRegistry, prefix: string, images: GeneratedImage[]): Promise<string[]> {
    const bad: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < images.length) {
        const img = images[next++]!;
        const url = `${dest.url}/v2/${prefix}/${img.name}/manifests/${img.tag}`;
        const res = await fetch(url, { method: 'HEAD', headers: { accept: `${img.descriptor.mediaType}, ${ANY_MANIFEST}` } });
        const got = res.headers.get('docker-content-digest');
        if (!res.ok || got !== img.digest) bad.push(`${prefix}/${img.name}:${img.tag} → ${res.status} ${got ?? ''}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return bad;
  }

  /**
   * Runs one peer's side: its time goes to row.peers, or its failure to row.absent. `check`
   * (not timed) may return a note, e.g. that the peer changed digests.
   */
  async peerSide(row: Row, name: string, fn: () => Promise<Measured>, check?: () => Promise<string | undefined>, registries: StartedRegistry[] = []): Promise<Side | undefined> {
    const scratch = newRow('scratch', '', '');
    const s = await this.side(scratch, name, fn, registries);
    if (!s) {
      row.absent[name] = scratch.notes.join('; ').slice(0, 300);
      return undefined;
    }
    row.peers[name] = s;
    const note = check ? await check().catch((e: unknown) => `check failed: ${e instanceof Error ? e.message : String(e)}`) : undefined;
    if (note) row.notes.push(`${name}: ${note}`);
    return s;
  }

  /** A side's result once `check` (not timed) passed; its failure becomes a note and the side is dropped. */
  async checked(row: Row, who: string, side: Side, check: () => Promise<void>): Promise<Side | undefined> {
    try {
      await check();
      return side;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log(`  ${who} FAILED its check: ${msg.slice(0, 2000)}`);
      row.notes.push(`${who} failed: ${msg.split('\n').find((l) => l.trim()) ?? msg}`.slice(0, 300));
      return undefined;
    }
  }

  /** Peers able to do `op`; the others are named in the row with the reason. */
  peersFor(row: Row, op: PeerOp): Peer[] {
    if (!this.opts.sides.other) return [];
    const out: Peer[] = [];
    for (const p of this.peers) {
      if (!p.available) row.absent[p.name] = p.version;
      else if (!p[op]) row.absent[p.name] = p.cannot[op] ?? `no ${op}`;
      else out.push(p);
    }
    return out;
  }

  /**
   * Runs one side of a measurement; a failure becomes a note on the row instead of ending the run.
   * `registries`: the ones the side talks to, whose CPU meanwhile is kept (registryCpuSeconds).
   */
  async side(row: Row, who: string, fn: () => Promise<Measured | Side>, registries: StartedRegistry[] = []): Promise<Side | undefined> {
    try {
      // What the previous side left unwritten (skopeo and tar do not fsync) is flushed first,
      // so that its writeback is not charged to this side.
      await measure('sync', []);
      const regCpu = (): number => registries.reduce((sum, r) => sum + registryCpu(r.storageDir), 0);
      const reg0 = regCpu();
      const m = await fn();
      const reg = registries.length ? regCpu() - reg0 : NaN;
      const cpu = 'cpuSeconds' in m && m.cpuSeconds !== undefined && Number.isFinite(m.cpuSeconds) ? m.cpuSeconds : undefined;
      this.log(`  ${who}: ${m.seconds.toFixed(2)} s, peak RSS ${m.peakRssMiB.toFixed(0)} MiB${cpu !== undefined ? `, CPU ${cpu.toFixed(2)} s` : ''}${Number.isFinite(reg) ? `, registries' CPU ${reg.toFixed(2)} s` : ''}`);
      return { seconds: m.seconds, peakRssMiB: m.peakRssMiB, ...(cpu !== undefined ? { cpuSeconds: cpu } : {}), ...(Number.isFinite(reg) ? { registryCpuSeconds: reg } : {}) };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log(`  ${who} FAILED: ${msg.slice(0, 2000)}`);
      row.notes.push(`${who} failed: ${msg.split('\n').find((l) => l.trim()) ?? msg}`.slice(0, 300));
      return undefined;
    }
  }
}

/** airlift's time over the floor's, when both ran. */
export const floorRatio = (r: Row): number | undefined => (r.airlift && r.floor ? r.airlift.seconds / r.floor.seconds : undefined);

/** Fills `pass` of a row: faster than every peer that ran, within the floor limit, under the RSS limit. */
export function judge(row: Row, want: { beatPeers?: boolean; floorLimit?: number; rssLimitMiB?: number; secondsLimit?: number }): void {
  if (want.beatPeers !== undefined) row.beatPeers = want.beatPeers;
  if (want.floorLimit !== undefined) row.floorLimit = want.floorLimit;
  if (want.rssLimitMiB !== undefined) row.rssLimitMiB = want.rssLimitMiB;
  if (want.secondsLimit !== undefined) row.secondsLimit = want.secondsLimit;
  const a = row.airlift;
  if (!a) {
    delete row.pass;
    return;
  }
  const fails: string[] = [];
  if (row.beatPeers) {
    for (const [name, p] of Object.entries(row.peers)) if (p.seconds <= a.seconds) fails.push(`${name} faster (${p.seconds.toFixed(2)} s ≤ ${a.seconds.toFixed(2)} s)`);
  }
  const fr = floorRatio(row);
  if (row.floorLimit !== undefined && fr !== undefined && fr > row.floorLimit) fails.push(`${fr.toFixed(2)}× the floor > ${row.floorLimit}×`);
  if (row.rssLimitMiB !== undefined && a.peakRssMiB > row.rssLimitMiB) fails.push(`peak RSS ${a.peakRssMiB.toFixed(0)} MiB > ${row.rssLimitMiB} MiB`);
  if (row.secondsLimit !== undefined && a.seconds >= row.secondsLimit) fails.push(`${a.seconds.toFixed(2)} s ≥ ${row.secondsLimit} s`);
  row.notes = row.notes.filter((n) => !n.startsWith('missed: '));
  if (fails.length) row.notes.push(`missed: ${fails.join('; ')}`);
  row.pass = fails.length === 0;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function mergeSides(xs: Side[]): Side | undefined {
  if (!xs.length) return undefined;
  const cpuSeconds = xs.every((x) => x.cpuSeconds !== undefined) ? median(xs.map((x) => x.cpuSeconds!)) : undefined;
  const registryCpuSeconds = xs.every((x) => x.registryCpuSeconds !== undefined) ? median(xs.map((x) => x.registryCpuSeconds!)) : undefined;
  return {
    seconds: median(xs.map((x) => x.seconds)),
    peakRssMiB: Math.max(...xs.map((x) => x.peakRssMiB)),
    ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    ...(registryCpuSeconds !== undefined ? { registryCpuSeconds } : {}),
  };
}

/** One row per case from repeated runs: median times, largest peak RSS, judged again. */
export function mergeRuns(runs: Row[][]): Row[] {
  const first = runs[0] ?? [];
  return first.map((row, i) => {
    const same = runs.map((r) => r[i]).filter((r): r is Row => r !== undefined && r.case === row.case && r.work === row.work);
    if (same.length < 2) return withCpuNote(row, [row]);
    const merged: Row = { ...row, peers: {}, absent: Object.assign({}, ...same.map((r) => r.absent)) as Record<string, string>, notes: [...new Set(same.flatMap((r) => r.notes.filter((n) => !n.startsWith('missed: '))))], runs: {} };
    const a = mergeSides(same.flatMap((r) => (r.airlift ? [r.airlift] : [])));
    if (a) merged.airlift = a;
    else delete merged.airlift;
    merged.runs!.airlift = same.flatMap((r) => (r.airlift ? [r.airlift.seconds] : []));
    const f = mergeSides(same.flatMap((r) => (r.floor ? [r.floor] : [])));
    if (f && row.floor) merged.floor = { ...f, what: row.floor.what };
    merged.runs!.floor = same.flatMap((r) => (r.floor ? [r.floor.seconds] : []));
    const names = new Set(same.flatMap((r) => Object.keys(r.peers)));
    for (const n of names) {
      const p = mergeSides(same.flatMap((r) => (r.peers[n] ? [r.peers[n]!] : [])));
      if (p) merged.peers[n] = p;
      merged.runs![n] = same.flatMap((r) => (r.peers[n] ? [r.peers[n]!.seconds] : []));
    }
    judge(merged, {});
    // A row judged by its case alone (no limit kept on the row) keeps the runs' verdict: a miss in
    // any run is a miss, and a row with no target stays without one.
    if (merged.beatPeers === undefined && merged.floorLimit === undefined && merged.rssLimitMiB === undefined && merged.secondsLimit === undefined) {
      if (same.some((r) => r.pass === false)) merged.pass = false;
      else if (same.every((r) => r.pass === true)) merged.pass = true;
      else delete merged.pass;
    }
    const list = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
    merged.notes.push(`median of ${same.length} runs: ${Object.entries(merged.runs!).filter(([, xs]) => xs.length).map(([k, xs]) => `${k} ${list(xs)}`).join('; ')}`);
    return withCpuNote(merged, same);
  });
}

/**
 * The CPU time of each side's own process(es) (user + system, GNU time), medians over the runs:
 * on a machine the registries saturate, the client's CPU is what a client can still change.
 * Where the side kept it, the registries' CPU meanwhile follows in brackets (the same requests
 * cost the registries the same: a difference there is a difference in requests or connections).
 */
function withCpuNote(row: Row, same: Row[]): Row {
  const cpu = (pick: (r: Row) => Side | undefined): string | undefined => {
    const xs = same.map((r) => pick(r)?.cpuSeconds);
    if (!(xs.every((x): x is number => x !== undefined && Number.isFinite(x)) && xs.length)) return undefined;
    const regs = same.map((r) => pick(r)?.registryCpuSeconds);
    const reg = regs.every((x): x is number => x !== undefined && Number.isFinite(x)) ? ` (registries ${median(regs).toFixed(2)} s)` : '';
    return `${median(xs).toFixed(2)} s${reg}`;
  };
  const a = cpu((r) => r.airlift);
  if (!a) return row;
  const peers = Object.keys(row.peers).flatMap((n) => {
    const c = cpu((r) => r.peers[n]);
    return c ? [`${n} ${c}`] : [];
  });
  const f = row.floor ? cpu((r) => r.floor) : undefined;
  return { ...row, notes: [...row.notes, `client CPU${same.length > 1 ? ' (median)' : ''}: airlift ${a}${f ? `; floor ${f}` : ''}${peers.length ? `; ${peers.join('; ')}` : ''}`] };
}
