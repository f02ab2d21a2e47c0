/**
 * Whether stdout's reader is still there, for a command that writes its output to stdout only once
 * its work is done (`save -o -`, `copy … oci-archive:-`: the archive is staged, then streamed). A
 * write to a pipe without a reader fails (EPIPE), but nothing is written before the end, and Node
 * offers no poll of a file descriptor: so a reader gone at the start was noticed only after the whole
 * save. GNU tail does poll its stdout (`tail -f` exits with SIGPIPE once its output pipe has no
 * reader: coreutils >= 8.28), so a `tail -f --pid=<airlift> /dev/null` sharing airlift's stdout
 * pipe tells when the reader went (within about 0.3 s); it writes nothing, is stopped when the
 * command is done (it holds the pipe's write end: the reader sees the end of the data only once it
 * is gone) and `--pid` ends it within a second of airlift if airlift dies first. Where stdout is not a pipe, or there is no
 * tail, nothing is watched and the write at the end finds the reader gone, as before.
 */
import { spawn } from 'node:child_process';
import { fstatSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** The names of a process's own stdout (Linux; /dev/stdout also elsewhere). */
const STDOUT_NAMES: ReadonlySet<string> = new Set(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

/**
 * Whether the output `name` is this process's stdout (`-o /dev/stdout`, `oci-archive:/dev/fd/1`),
 * to be written as `-` is: staged, then streamed, its reader watched, nothing else on stdout. Only
 * the three names above, only when `stdout` is fd 1 and the name opens the same file, and not a
 * terminal (where `-` is refused and these names stay written into as any device).
 */
export function namesStdout(name: string, stdout: Writable): boolean {
  if (!STDOUT_NAMES.has(name) || (stdout as { fd?: unknown }).fd !== 1) return false;
  try {
    const out = fstatSync(1);
    if (out.isCharacterDevice()) return false;
    const named = statSync(name);
    return named.dev === out.dev && named.ino === out.ino;
  } catch {
    return false;
  }
}

/** Watches stdout's reader until the returned function is called; `onGone` once if it goes first. */
export function watchStdoutReader(stdout: Writable, onGone: () => void): () => void {
  const none = (): void => undefined;
  if ((stdout as { fd?: unknown }).fd !== 1 || process.platform === 'win32') return none;
  try {
    if (!fstatSync(1).isFIFO()) return none;
  } catch {
    return none;
  }
  let stopped = false;
  const child = spawn('tail', ['-f', `--pid=${process.pid}`, '/dev/null'], { stdio: ['ignore', 'inherit', 'ignore'] });
  // no tail (ENOENT): nothing is watched
  child.on('error', () => undefined);
  child.on('exit', (code, signal) => {
    if (!stopped && (signal === 'SIGPIPE' || code === 141)) onGone();
  });
  child.unref();
  return () => {
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) child.kill();
  };
}

/** The stdout failure a gone reader is (what a write would have met): the run stops as on EPIPE (src/cli/std-streams.ts). */
export function readerGone(stdout: Writable): void {
  const e = Object.assign(new Error('write EPIPE (stdout has no reader)'), { code: 'EPIPE', errno: -32, syscall: 'write' });
  stdout.destroy(e);
}
