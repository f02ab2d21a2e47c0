/**
 * Test harness: the real image loaders a bundle must satisfy, each with its own state under a
 * temporary directory and nothing shared with the host:
 *
 * - `startDockerd()`: Debian's dockerd 20.10 (/usr/sbin/dockerd, as root) with its own
 *   --data-root, --exec-root, --pidfile, --config-file and a unix socket; no bridge, no iptables,
 *   no IP forwarding or masquerading (so no network beyond loopback), storage driver `vfs` (no
 *   mounts to leave behind, whatever the host's overlay support). The client is /usr/bin/docker
 *   (Debian's, the daemon's version), never another `docker` on PATH.
 * - `startPodman()`: podman 4.3 without a daemon: --root/--runroot in the temporary directory,
 *   storage driver vfs, no events, cgroupfs, TMPDIR there too.
 * - `startContainerd()`: containerd 1.6 with its own config (root, state, sockets, the CRI plugin
 *   off) and `ctr -a SOCK` with the `native` snapshotter (no mounts).
 *
 * A daemon that does not start throws with the tail of its log (never a skip). stop() ends the
 * daemon (SIGTERM, then SIGKILL) and removes its directory; a process 'exit' handler does the same
 * for what a failed test left running.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { exited, installExitHook, live, startWatchdog, waitExit } from './process-cleanup.js';

export const DOCKERD = '/usr/sbin/dockerd';
export const DOCKER = '/usr/bin/docker';
export const PODMAN = '/usr/bin/podman';
export const CONTAINERD = '/usr/bin/containerd';
export const CTR = '/usr/bin/ctr';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** A loader's client: runs one command, rejects with its stderr when it exits non-zero. */
export type Client = (args: string[], opts?: { timeoutMs?: number }) => Promise<RunResult>;

export interface StartedLoader {
  /** The temporary directory holding the loader's state (removed by stop()). */
  dir: string;
  /** Runs the loader's client (docker, podman or ctr) against this instance. */
  run: Client;
  stop(): Promise<void>;
}

function need(bin: string, pkg: string): void {
  try {
    accessSync(bin, fsConstants.X_OK);
  } catch {
    throw new Error(`${bin} not found: run scripts/install-system-deps.sh (Debian package ${pkg})`);
  }
}

function client(bin: string, pre: string[], env: Record<string, string> = {}): Client {
  return (args, opts = {}) =>
    new Promise((resolve, reject) => {
      execFile(bin, [...pre, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      });
    });
}

// ---- processes and last-resort cleanup -------------------------------------

function track(child: ChildProcess, dir: string): { child: ChildProcess; dir: string } {
  const entry = { child, dir };
  live.add(entry);
  installExitHook();
  return entry;
}

/**
 * A watchdog (process-cleanup.ts) that stops the daemon with TERM, so dockerd stops its
 * containerd too, and KILL after 10 s, then removes its directory.
 */
function startDaemonWatchdog(child: ChildProcess, dir: string): ChildProcess {
  const stop = 'kill -TERM "$1" 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$1" 2>/dev/null || break; sleep 1; done; kill -KILL "$1" 2>/dev/null';
  return startWatchdog(child, dir, { name: 'airlift-loader-watchdog', stop });
}

function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Spawns a daemon with its output in `log`; resolves once `ready()` is true, throws with the log's tail if it exits or times out. */
async function startDaemon(what: string, bin: string, args: string[], dir: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<StartedLoader['stop']> {
  const log = path.join(dir, 'daemon.log');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: false });
  closeSync(fd);
  const entry = track(child, dir);
  const watchdog = startDaemonWatchdog(child, dir);
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  const stop = async (): Promise<void> => {
    watchdog.kill('SIGKILL');
    if (!exited(child)) {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 15_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
    }
    live.delete(entry);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      await stop();
      throw new Error(`${what} (${bin}) could not be started: ${spawnError.message}`);
    }
    if (exited(child)) {
      const tail = logTail(log);
      await stop();
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it was ready; its log ends:\n${tail}`);
    }
    if (await ready().catch(() => false)) return stop;
    if (Date.now() > deadline) {
      const tail = logTail(log);
      await stop();
      throw new Error(`${what} was not ready within ${timeoutMs / 1000} s; its log ends:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function pingDocker(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** A temporary directory for a loader; short, because unix socket paths are limited to 107 bytes. */
function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `al-${name}-`));
}

// ---- dockerd ------------------------------------------------------------------

export async function startDockerd(): Promise<StartedLoader & { socket: string }> {
  need(DOCKERD, 'docker.io');
  need(DOCKER, 'docker.io');
  const dir = await tempDir('dockerd');
  const socket = path.join(dir, 'docker.sock');
  await writeFile(path.join(dir, 'daemon.json'), '{}\n');
  const args = [
    '--data-root', path.join(dir, 'data'),
    '--exec-root', path.join(dir, 'exec'),
    '--pidfile', path.join(dir, 'docker.pid'),
    '--config-file', path.join(dir, 'daemon.json'),
    '-H', `unix://${socket}`,
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false',
    '--storage-driver', 'vfs',
    '--containerd-namespace', 'airlift-test',
    '--containerd-plugins-namespace', 'airlift-test-plugins',
  ];
  const stop = await startDaemon('dockerd', DOCKERD, args, dir, () => pingDocker(socket));
  return { dir, socket, run: client(DOCKER, ['-H', `unix://${socket}`], { DOCKER_CONFIG: path.join(dir, 'client') }), stop };
}

// ---- podman -------------------------------------------------------------------

export async function startPodman(): Promise<StartedLoader> {
  need(PODMAN, 'podman');
  const dir = await tempDir('podman');
  await mkdir(path.join(dir, 'tmp'));
  const pre = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--storage-driver', 'vfs', '--events-backend', 'none', '--cgroup-manager', 'cgroupfs', '--tmpdir', path.join(dir, 'libpod')];
  const run = client(PODMAN, pre, { TMPDIR: path.join(dir, 'tmp'), XDG_CONFIG_HOME: path.join(dir, 'config'), REGISTRY_AUTH_FILE: path.join(dir, 'auth.json') });
  await run(['info', '--format', '{{.Store.GraphDriverName}}']).catch(async (err: Error) => {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`podman cannot run here: ${err.message}`);
  });
  return { dir, run, stop: () => rm(dir, { recursive: true, force: true }) };
}

// ---- containerd ---------------------------------------------------------------

export async function startContainerd(): Promise<StartedLoader & { socket: string; namespace: string }> {
  need(CONTAINERD, 'containerd');
  need(CTR, 'containerd');
  const dir = await tempDir('ctrd');
  const socket = path.join(dir, 'c.sock');
  const config = path.join(dir, 'config.toml');
  await writeFile(
    config,
    [
      'version = 2',
      `root = ${JSON.stringify(path.join(dir, 'root'))}`,
      `state = ${JSON.stringify(path.join(dir, 'state'))}`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = ${JSON.stringify(socket)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
      '[debug]',
      `  address = ${JSON.stringify(path.join(dir, 'debug.sock'))}`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = ${JSON.stringify(path.join(dir, 'opt'))}`,
      '',
    ].join('\n'),
  );
  const namespace = 'airlift-test';
  const run = client(CTR, ['-a', socket, '-n', namespace], { CONTAINERD_SNAPSHOTTER: 'native' });
  const stop = await startDaemon('containerd', CONTAINERD, ['--config', config], dir, async () => {
    await run(['version'], { timeoutMs: 5000 });
    return true;
  });
  return { dir, socket, namespace, run, stop };
}
