/**
 * Runs one measured child process: wall time from spawn to exit, and peak
 * RSS (the kernel's high-water mark). Peak RSS comes from GNU time
 * (`/usr/bin/time -f %M`, Debian package `time`) when present, otherwise
 * from polling /proc/PID/status (VmHWM) every 20 ms.
 */
import { spawn } from 'node:child_process';
import { accessSync, readFileSync, readdirSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Measured {
  seconds: number;
  /** Peak resident set size in MiB (the largest of the processes measured). */
  peakRssMiB: number;
  /** User + system CPU seconds of the process (GNU time only; NaN otherwise). */
  cpuSeconds: number;
  /** The user and system parts of cpuSeconds (GNU time only; NaN otherwise). */
  userSeconds?: number;
  systemSeconds?: number;
  stdout: string;
  stderr: string;
}

export interface RunOpts {
  cwd?: string;
  env?: Record<string, string>;
  /** Kill after this long (default 15 min). */
  timeoutMs?: number;
  /** Keep this many characters of stdout/stderr (default 64 KiB). */
  keep?: number;
}

const GNU_TIME = '/usr/bin/time';
let hasGnuTime: boolean | undefined;
function gnuTime(): boolean {
  if (hasGnuTime === undefined) {
    try {
      accessSync(GNU_TIME, fsConstants.X_OK);
      hasGnuTime = true;
    } catch {
      hasGnuTime = false;
    }
  }
  return hasGnuTime;
}

export function rssMethod(): string {
  return gnuTime() ? 'GNU time %M (maxrss)' : '/proc/PID/status VmHWM polled every 20 ms';
}

async function readHwm(pid: number): Promise<number | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(s);
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `cmd args` and measures it; rejects (with its stderr) when it exits non-zero. */
export async function measure(cmd: string, args: string[], opts: RunOpts = {}): Promise<Measured> {
  const keep = opts.keep ?? 64 * 1024;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-bench-time-'));
  const timeFile = path.join(tmp, 'rss');
  const useTime = gnuTime();
  const [bin, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, cmd, ...args]] : [cmd, args];
  try {
    const started = process.hrtime.bigint();
    const child = spawn(bin, argv, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout = (stdout + c.toString('utf8')).slice(-keep)));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-keep)));
    let hwmKiB = 0;
    let cpuSeconds = NaN;
    let userSeconds = NaN;
    let systemSeconds = NaN;
    let poll: NodeJS.Timeout | undefined;
    if (!useTime && child.pid !== undefined) {
      const pid = child.pid;
      poll = setInterval(() => {
        void readHwm(pid).then((v) => {
          if (v !== undefined && v > hwmKiB) hwmKiB = v;
        });
      }, 20);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15 * 60_000);
    const code = await new Promise<number | string>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, sig) => resolve(c ?? sig ?? 'unknown'));
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearTimeout(timer);
    if (poll) clearInterval(poll);
    if (useTime) {
      const text = await readFile(timeFile, 'utf8').catch(() => '');
      const lines = text.trim().split('\n');
      const [rss, user, sys] = (lines[lines.length - 1] ?? '').split(' ').map(Number);
      if (rss !== undefined && Number.isFinite(rss)) hwmKiB = rss;
      cpuSeconds = (user ?? NaN) + (sys ?? NaN);
      userSeconds = user ?? NaN;
      systemSeconds = sys ?? NaN;
    }
    if (code !== 0) {
      throw new Error(`${cmd} ${args.slice(0, 8).join(' ')}${args.length > 8 ? ' …' : ''} exited ${code}:\n${stderr.slice(-4000)}`);
    }
    return { seconds, peakRssMiB: hwmKiB / 1024, cpuSeconds, userSeconds, systemSeconds, stdout, stderr };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Several measured steps run one after another, as one measurement (sum of times, max of RSS). */
export async function measureSteps(steps: Array<() => Promise<Measured>>): Promise<Measured> {
  const started = process.hrtime.bigint();
  let peak = 0;
  let cpu = 0;
  let stdout = '';
  let stderr = '';
  for (const step of steps) {
    const m = await step();
    peak = Math.max(peak, m.peakRssMiB);
    cpu += m.cpuSeconds;
    stdout += m.stdout;
    stderr += m.stderr;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMiB: peak, cpuSeconds: cpu, stdout, stderr };
}

/** Runs a function and times it (for work done in this process, e.g. the floor's pool of curl pipes). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

/** CPU seconds (user + system) used so far by the docker-registry process serving `storageDir` (NaN: not found). */
export function registryCpu(storageDir: string): number {
  const dir = path.dirname(storageDir);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('docker-registry') || !cmd.includes(dir)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // gone
    }
  }
  return NaN;
}
