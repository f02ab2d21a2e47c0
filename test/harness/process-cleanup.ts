/**
 * Last-resort cleanup of the registry processes the harness starts (registry.ts): a process
 * 'exit' handler, a watchdog shell for a test process killed without one, and stopping a child
 * (SIGTERM, then SIGKILL).
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
 * SIGTERM from a test runner), kills the registry and removes its directory.
 */
export function startWatchdog(child: ChildProcess, dir: string): ChildProcess {
  const w = spawn('sh', ['-c', 'read _ignored; kill -KILL "$1" 2>/dev/null; rm -rf "$2"', 'airlift-registry-watchdog', String(child.pid), dir], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  w.on('error', () => {});
  w.unref();
  (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return w;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
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
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitExit(child, 3000)) return;
  child.kill('SIGKILL');
  await waitExit(child, 3000);
}
