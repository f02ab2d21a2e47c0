/**
 * Cancellation in-process: a command run under an aborted signal stops with
 * E_INTERRUPTED (exit 130, 143 for SIGTERM), and error prefixes never change
 * a shared error in place. The signal-to-process path is tested against real
 * registries in test/integration/mirror/interrupt.test.ts.
 */
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../../cmd/main.js';
import { DigestMismatchError, InterruptedError, withPrefix } from '../../../src/errors.js';
import { makeIo } from '../../helpers/io.js';

async function runAborted(argv: string[], signal: 'SIGINT' | 'SIGTERM'): Promise<{ code: number; stderr: string; stdout: string }> {
  const c = makeIo();
  const controller = new AbortController();
  controller.abort(new InterruptedError(signal));
  const code = await run(argv, { ...c.io, signal: controller.signal });
  await new Promise<void>((r) => setImmediate(r));
  return { code, stderr: c.stderr(), stdout: c.stdout() };
}

const CHART = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/charts/example-shop');

/** Runs argv with a stdin that never ends, and SIGINT 100 ms in. */
async function runInterruptedWaitingOnStdin(argv: string[]): Promise<{ code: number; stderr: string; ms: number }> {
  const c = makeIo();
  const controller = new AbortController();
  const stdin = new PassThrough(); // no end: the command would wait for ever
  const started = Date.now();
  const timer = setTimeout(() => controller.abort(new InterruptedError('SIGINT')), 100);
  const code = await run(argv, { ...c.io, stdin, signal: controller.signal });
  clearTimeout(timer);
  await new Promise<void>((r) => setImmediate(r));
  return { code, stderr: c.stderr(), ms: Date.now() - started };
}

describe('interrupted runs', () => {
  for (const [what, argv] of [
    ['images - (rendered manifests)', ['images', '-']],
    ['login --password-stdin', ['login', '127.0.0.1:9', '-u', 'u', '--password-stdin']],
    ['relocate --password-stdin', ['relocate', CHART, '--to', '127.0.0.1:9/m', '--pull-secret', 'mirror', '--secret-out', '-', '-o', '/dev/null', '--username', 'u', '--password-stdin']],
  ] as const) {
    it(`${what}: SIGINT while it waits on stdin stops it at once (exit 130)`, async () => {
      const r = await runInterruptedWaitingOnStdin([...argv]);
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/^error \[E_INTERRUPTED\]: interrupted by SIGINT/m);
      expect(r.ms).toBeLessThan(5000);
    }, 10_000);
  }

  it('images and relocate under an aborted signal stop before scanning, with nothing on stdout', async () => {
    for (const argv of [['images', CHART], ['relocate', CHART, '--to', '127.0.0.1:9/m', '-o', '-']]) {
      const r = await runAborted(argv, 'SIGINT');
      expect(r.code, `${argv[0]}: ${r.stderr}`).toBe(130);
      expect(r.stdout).toBe('');
    }
  });

  it('sync under an aborted signal exits 130 with one clear line and no data on stdout', async () => {
    // port 9 (discard) on loopback: nothing may be contacted anyway
    const r = await runAborted(['--plain-http', '127.0.0.1:9', 'sync', '--image', '127.0.0.1:9/a/b:1', '--image', '127.0.0.1:9/a/c:1', '--to', '127.0.0.1:9/m'], 'SIGINT');
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/^error \[E_INTERRUPTED\]: interrupted by SIGINT: stopped before the work was done$/m);
    expect(r.stdout).toBe('');
  });

  it('SIGTERM gives 143, and --json reports it as one JSON error line', async () => {
    const r = await runAborted(['--json', '--plain-http', '127.0.0.1:9', 'sync', '--image', '127.0.0.1:9/a/b:1', '--to', '127.0.0.1:9/m'], 'SIGTERM');
    expect(r.code).toBe(143);
    const last = JSON.parse(r.stderr.trimEnd().split('\n').at(-1)!) as { type: string; code: string };
    expect(last).toMatchObject({ type: 'error', code: 'E_INTERRUPTED' });
  });

  it('withPrefix returns a prefixed copy of the same class and leaves the shared error alone', () => {
    const shared = new DigestMismatchError('blob sha256:aa', 'sha256:aa', 'sha256:bb');
    const a = withPrefix(shared, 'img-a');
    const b = withPrefix(shared, 'img-b');
    expect(a).toBeInstanceOf(DigestMismatchError);
    expect(a.code).toBe('E_DIGEST_MISMATCH');
    expect((a as DigestMismatchError).expected).toBe('sha256:aa');
    expect(a.message).toBe(`img-a: ${shared.message}`);
    expect(b.message).toBe(`img-b: ${shared.message}`);
    expect(shared.message).toBe('blob sha256:aa: expected sha256:aa, got sha256:bb');
    const stop = new InterruptedError('SIGINT');
    expect(withPrefix(stop, 'img')).toBe(stop);
  });
});
