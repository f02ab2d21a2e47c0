/**
 * Runs a command on a real pseudo-terminal, through util-linux `script`, with the terminal size
 * set by `stty` first (`cols: 0` is what `script` and `docker run -t` report at start). The test
 * reads what the terminal shows and may type into it (`type`), as a person at the keyboard. A
 * missing `script` fails loudly: no test skips.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface PtyRun {
  /** Everything the terminal received so far (the command's stdout and stderr, and any echo). */
  output(): string;
  /** Types text at the terminal. */
  type(text: string): void;
  /** Resolves when `pattern` has been shown (rejects after `ms`). */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  /** Resolves with the command's exit code (killed after the timeout: code null). */
  exit: Promise<number | null>;
  kill(): void;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

let checked = false;
function requireScript(): void {
  if (checked) return;
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error("util-linux `script` is needed for the terminal tests: apt-get install bsdutils (Debian installs it by default)");
  checked = true;
}

export function runInPty(argv: string[], opts: { cols: number; rows?: number; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): PtyRun {
  requireScript();
  const command = `stty cols ${opts.cols} rows ${opts.rows ?? 24} && exec ${argv.map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  let text = '';
  const waiters: Array<() => void> = [];
  const onData = (c: Buffer): void => {
    text += c.toString('utf8');
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  const exit = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w();
      resolve(code);
    });
  });
  return {
    output: () => text,
    type: (s) => void child.stdin.write(s),
    kill: () => void child.kill('SIGKILL'),
    exit,
    waitFor(pattern, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error(`not shown within ${ms} ms: ${pattern}; the terminal showed:\n${text.slice(-2000)}`)), ms);
        const check = (): void => {
          if (pattern.test(text)) {
            clearTimeout(deadline);
            resolve();
          } else if (child.exitCode !== null) {
            clearTimeout(deadline);
            reject(new Error(`exited before ${pattern} was shown; the terminal showed:\n${text.slice(-2000)}`));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}
