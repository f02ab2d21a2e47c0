/**
 * cmd/jit.ts in a fresh process, V8 as the judge (%GetOptimizationStatus): after deferOptimizer()
 * a hot function is not compiled by TurboFan until the process has used the CPU it was given, and is
 * once it has; a node given an optimizer flag is left alone.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bytesRead, DEFER_APPLIES, OPTIMIZE_AFTER_BYTES, OPTIMIZE_AFTER_CPU_MS } from '../../../cmd/jit.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Whether `hot` is TurboFan code after deferOptimizer(`after` ms of CPU from now; 'none': not called) and a busy stretch;
 * with `bytes`, deferOptimizer(a CPU never reached, `bytes`) and 8 MiB read from a file in place of the busy stretch.
 */
function turbofanned(after: number | 'none', nodeFlags: string[] = [], bytes?: number): { before: boolean; after: boolean } {
  const jit = pathToFileURL(path.join(REPO_ROOT, 'cmd', 'jit.ts')).href;
  const script = `
    import { setTimeout as sleep } from 'node:timers/promises';
    const { deferOptimizer } = await import(${JSON.stringify(jit)});
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    // V8's OptimizationStatus: bit 6 is TurboFan code
    const fast = (f) => (%GetOptimizationStatus(f) & (1 << 6)) !== 0;
    function hot(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * 3; return s; }
    const a = Array.from({ length: 100 }, (_, i) => i);
    const work = async () => { for (let r = 0; r < 50; r++) { for (let i = 0; i < 2000; i++) hot(a); await sleep(1); } };
    const bytes = ${JSON.stringify(bytes ?? null)};
    if (bytes !== null) deferOptimizer(1e9, bytes);
    else if (${JSON.stringify(after)} !== 'none') deferOptimizer(cpu() + ${after === 'none' ? 0 : after});
    await work();
    const before = fast(hot);
    if (bytes !== null) {
      const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
      const dir = mkdtempSync((await import('node:os')).tmpdir() + '/airlift-jit-');
      writeFileSync(dir + '/f', Buffer.alloc(8 * 1024 * 1024));
      readFileSync(dir + '/f');
      rmSync(dir, { recursive: true });
    } else {
      // busy until well past the CPU given
      const until = cpu() + ${after === 'none' ? 0 : after} + 100;
      while (cpu() < until) hot(a);
    }
    // a few of the timer's looks
    await sleep(200);
    await work();
    console.log(JSON.stringify({ before, after: fast(hot) }));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--no-concurrent-recompilation', ...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(out) as { before: boolean; after: boolean };
}

describe('deferOptimizer', () => {
  it('turns TurboFan on after a second of CPU or 32 MiB read', () => {
    expect(OPTIMIZE_AFTER_CPU_MS).toBe(1000);
    expect(OPTIMIZE_AFTER_BYTES).toBe(32 * 1024 * 1024);
  });

  it('without it, the hot function is TurboFan code (what the test looks for is there)', () => {
    expect(turbofanned('none')).toEqual({ before: true, after: true });
  });

  it('applies on V8 11 (Node 20) only', () => {
    expect(DEFER_APPLIES).toBe(Number(process.versions.v8.split('.')[0]) < 12);
  });

  // on V8 12 and later deferOptimizer leaves TurboFan alone: each case asserts that instead
  const OFF_THEN_ON = DEFER_APPLIES ? { before: false, after: true } : { before: true, after: true };

  it('keeps TurboFan off until the process has used the CPU given, then lets it compile', () => {
    expect(turbofanned(300)).toEqual(OFF_THEN_ON);
  });

  it('lets it compile once the process has read the bytes given, before the CPU given (Linux: /proc/self/io)', () => {
    expect(bytesRead()).toBeGreaterThan(0);
    expect(turbofanned('none', [], 4 * 1024 * 1024)).toEqual(OFF_THEN_ON);
    // not past them: still off
    expect(turbofanned('none', [], 64 * 1024 * 1024)).toEqual(DEFER_APPLIES ? { before: false, after: false } : { before: true, after: true });
  });

  for (const [flag, optimized] of [['--max-opt=4', true], ['--turbofan', true], ['--no-turbofan', false]] as const) {
    it(`leaves a node given ${flag} as it was given`, () => {
      expect(turbofanned(300, [flag])).toEqual({ before: optimized, after: optimized });
    });
  }
});
