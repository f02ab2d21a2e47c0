/**
 * A password typed at a terminal, as `docker login`, `helm registry login` and `skopeo login` ask
 * for it: a prompt on stderr, the terminal in raw mode so nothing typed is echoed, the line ended
 * by Enter. Backspace and Ctrl-U edit; Ctrl-C stops the run (raw mode delivers it as a byte, not a
 * signal); Ctrl-D on an empty line gives up.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable, Writable } from 'node:stream';
import { InterruptedError, registerSecret, UsageError } from '../errors.js';
import { readPassword } from '../stdin.js';

interface TerminalInput extends Readable {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** Whether `stdin` is a terminal a password can be typed at without echo. */
export function isTerminal(stdin: Readable): boolean {
  const t = stdin as TerminalInput;
  return t.isTTY === true && typeof t.setRawMode === 'function';
}

export async function promptHidden(stdin: Readable, out: Writable, prompt: string, opts: { signal?: AbortSignal; hint: string }): Promise<string> {
  const tty = stdin as TerminalInput;
  opts.signal?.throwIfAborted();
  const wasRaw = tty.isRaw === true;
  // no echo from before the prompt shows: what is typed once it is visible is never displayed
  tty.setRawMode!(true);
  out.write(prompt);
  const decoder = new StringDecoder('utf8');
  const value = await new Promise<string>((resolve, reject) => {
    let typed: string[] = [];
    const finish = (err: Error | undefined): void => {
      tty.off('data', onData);
      opts.signal?.removeEventListener('abort', onAbort);
      tty.setRawMode!(wasRaw);
      tty.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(typed.join(''));
    };
    const onAbort = (): void => finish(opts.signal!.reason as Error);
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : decoder.write(chunk)) {
        if (ch === '\r' || ch === '\n') return finish(undefined);
        if (ch === '\u0003') return finish(new InterruptedError('SIGINT'));
        if (ch === '\u0004') {
          if (typed.length === 0) return finish(new UsageError('no password typed', { hint: opts.hint }));
          return finish(undefined);
        }
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else if (ch === '\u0015') typed = [];
        else if (ch >= ' ') typed.push(ch);
      }
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    tty.on('data', onData);
    tty.resume();
  });
  if (value !== '') registerSecret(value);
  return value;
}

/** `login`'s password: from stdin (--password-stdin), from -p (with a warning), else asked for on a terminal without echo. */
export async function loginPassword(
  o: { host: string; username: string; password?: string; passwordStdin: boolean },
  io: { stdin: Readable; stderr: Writable; signal?: AbortSignal; warn: (message: string) => void },
): Promise<string> {
  if (o.password !== undefined && o.passwordStdin) throw new UsageError('--password and --password-stdin are mutually exclusive', { hint: 'use --password-stdin' });
  let password: string;
  const pipeHint = `pipe it in: echo "$PASSWORD" | airlift login ${o.host} -u ${o.username} --password-stdin`;
  if (o.passwordStdin) password = await readPassword(io.stdin, { signal: io.signal, hint: pipeHint });
  else if (o.password !== undefined) {
    io.warn('using --password on the command line is insecure: it shows in the process list and shell history; use --password-stdin');
    password = o.password;
  } else if (isTerminal(io.stdin)) {
    // as docker, helm and skopeo: asked for on the terminal, never echoed
    password = await promptHidden(io.stdin, io.stderr, `Password for ${o.username}@${o.host}: `, { signal: io.signal, hint: pipeHint });
  } else throw new UsageError('no password given', { hint: `${pipeHint} (on a terminal, airlift asks for it)` });
  if (password === '') throw new UsageError('the password is empty', { hint: 'pass a non-empty password on stdin' });
  return password;
}
