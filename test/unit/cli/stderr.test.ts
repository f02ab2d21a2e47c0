import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BatchedLines } from '../../../src/cli/batched-lines.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function target(): { writes: string[]; write(b: Buffer): boolean } {
  const writes: string[] = [];
  return { writes, write: (b: Buffer) => writes.push(b.toString('utf8')) > 0 };
}

describe('BatchedLines (stderr off a terminal)', () => {
  it('gathers lines into one write when the delay passes, in order', async () => {
    const t = target();
    const s = new BatchedLines(t, 30);
    s.write('one\n');
    s.write('two\n');
    s.write(Buffer.from('three\n'));
    expect(t.writes).toEqual([]);
    await new Promise((r) => setTimeout(r, 80));
    expect(t.writes).toEqual(['one\ntwo\nthree\n']);
    s.write('four\n');
    await new Promise((r) => setTimeout(r, 80));
    expect(t.writes).toEqual(['one\ntwo\nthree\n', 'four\n']);
  });

  it('writes at once when the pending bytes reach the limit', () => {
    const t = target();
    const s = new BatchedLines(t, 60_000, 10);
    s.write('12345\n');
    expect(t.writes).toEqual([]);
    s.write('67890\n');
    expect(t.writes).toEqual(['12345\n67890\n']);
    s.flush();
    expect(t.writes).toHaveLength(1);
  });

  it('flush() and end() write what is pending; nothing is written twice', async () => {
    const t = target();
    const s = new BatchedLines(t, 60_000);
    s.write('a\n');
    s.flush();
    s.flush();
    expect(t.writes).toEqual(['a\n']);
    s.write('b\n');
    await new Promise<void>((r) => s.end(r));
    expect(t.writes).toEqual(['a\n', 'b\n']);
  });

  it('the binary, stopped by SIGINT, still writes every line through the pipe', async () => {
    // `images -` waits on stdin; SIGINT stops it. The signal's notice and the final error both
    // go through the batch and must reach the pipe although the run ends well inside its delay.
    const bin = path.join(REPO_ROOT, 'dist', 'cmd', 'airlift.js');
    const child = spawn(process.execPath, [bin, 'images', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // a SIGINT before the handler is installed kills the process silently, and a fixed wait (1.5 s)
    // was not always enough at a load average of 24: wait until the run reads stdin (Node itself
    // catches SIGINT from its first milliseconds, so /proc/PID/status SigCgt tells nothing)
    await readingStdin(child.pid!);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(stderr).toContain('airlift: SIGINT received: stopping and cleaning up');
    expect(stderr).toMatch(/^error \[E_INTERRUPTED\]: interrupted by SIGINT/m);
    expect(code).toBe(130);
  });
});

/**
 * Resolves once process `pid` waits to read its stdin: fd 0 is in one of its epoll sets (Linux:
 * a `tfd: 0` line in /proc/PID/fdinfo/N), which libuv does when the run starts reading it, after
 * cmd/airlift.ts installed its signal handlers. Fails after 60 s, or at once if the process ended.
 */
async function readingStdin(pid: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    // readdir throws (ENOENT) once the process is gone
    for (const fd of await readdir(`/proc/${pid}/fdinfo`)) {
      const info = await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8').catch(() => '');
      if (/^tfd:\s+0\s/m.test(info)) return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} did not start reading its stdin within 60 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
