/**
 * Last-resort cleanup of the processes the harness starts (registries, registry.ts; image loaders'
 * daemons, loaders.ts): a process 'exit' handler, a watchdog shell for a test process killed
 * without one, and stopping a child (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

export const live = new Set<{ child: ChildProcess; dir: string; watchdog?: ChildProcess }>();
let exitHookInstalled = false;

export function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const entry of live) {
      try {
        entry.watchdog?.kill('SIGKILL');
        entry.child.kill('SIGKILL');
      } catch {
        // already gone
      }
      try {
        rmSync(entry.dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
    live.clear();
  });
}

/**
 * A shell that waits on a pipe from this process and, when the pipe closes
 * because this process died without running its 'exit' handlers (SIGKILL,
 * SIGTERM from a test runner), stops the child (`stop`, a shell command with
 * its pid as $1: by default SIGKILL) and removes its directory.
 */
export function startWatchdog(child: ChildProcess, dir: string, opts: { name?: string; stop?: string } = {}): ChildProcess {
  const stop = opts.stop ?? 'kill -KILL "$1" 2>/dev/null';
  const w = spawn('sh', ['-c', `read _ignored; ${stop}; rm -rf "$2"`, opts.name ?? 'airlift-registry-watchdog', String(child.pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  w.on('error', () => {});
  w.unref();
  (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return w;
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true once `child` has exited, false after `ms` if it has not. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

export async function killChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  if (await waitExit(child, 3000)) return;
  child.kill('SIGKILL');
  await waitExit(child, 3000);
}
