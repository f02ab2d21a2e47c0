import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { StallWatch, TransferStalledError } from '../../../src/copy/stall.js';
import type { Logger } from '../../../src/log.js';

function setup(o: ConstructorParameters<typeof StallWatch>[1]) {
  let now = 0;
  const logs: string[] = [];
  const logger: Logger = { log: (level, message) => void logs.push(`${level}: ${message}`), event: () => undefined };
  const watch = new StallWatch(logger, { tickMs: 1_000_000, ...o }, () => now);
  const t = watch.track({ image: 'reg/app:1', digest: 'sha256:aa', size: 10_000, from: 'src', to: 'dst' });
  const advance = (ms: number, bytesPerSecond = 0): void => {
    for (let i = 0; i < ms / 1000; i++) {
      now += 1000;
      t.add(bytesPerSecond);
      watch.tick();
    }
  };
  return { watch, t, logs, advance };
}

describe('stall watch', () => {
  it('reports a transfer that moved too little for 20 s, with image, blob and bytes so far, then again a minute later', () => {
    const { t, logs, advance, watch } = setup({ minRate: 1024, windowMs: 300_000 });
    t.add(500);
    advance(19_000, 2);
    expect(logs.filter((l) => l.startsWith('warn'))).toEqual([]);
    advance(1_000, 2);
    const warns = logs.filter((l) => l.startsWith('warn'));
    expect(warns).toHaveLength(1);
    expect(warns[0]).toContain('stalled: blob sha256:aa of reg/app:1');
    expect(warns[0]).toContain('540 B of 9.8 KiB so far');
    advance(59_000, 2);
    expect(logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    advance(1_000, 2);
    expect(logs.filter((l) => l.includes('still stalled'))).toHaveLength(1);
    expect(t.signal.aborted).toBe(false);
    watch.close();
  });

  it('fails the transfer when under the minimum rate over the whole window', () => {
    const { t, advance } = setup({ minRate: 1024, windowMs: 30_000 });
    advance(29_000, 1000);
    expect(t.signal.aborted).toBe(false);
    advance(1_000, 1000);
    expect(t.signal.aborted).toBe(true);
    expect(t.failure).toBeInstanceOf(TransferStalledError);
    expect(t.failure!.code).toBe('E_NETWORK');
    expect(t.failure!.message).toMatch(/transfer stalled: blob sha256:aa of reg\/app:1 moved 29\.3 KiB in the last 30\.0 s, below the minimum rate of 1\.0 KiB\/s/);
  });

  it('neither warns nor fails a transfer above the rate; with the check off, warns only when nothing moves', () => {
    const ok = setup({ minRate: 1024, windowMs: 30_000 });
    ok.advance(120_000, 2048);
    expect(ok.logs.filter((l) => !l.startsWith('debug'))).toEqual([]);
    expect(ok.t.signal.aborted).toBe(false);
    const off = setup({ minRate: 0, windowMs: 30_000 });
    off.advance(60_000, 1);
    expect(off.logs).toEqual([]);
    off.advance(20_000, 0);
    expect(off.logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    expect(off.t.signal.aborted).toBe(false);
    off.watch.close();
  });

  it("passes the run's abort to a live transfer, and keeps nothing on the run's signal per finished transfer", () => {
    const logger: Logger = { log: () => undefined, event: () => undefined };
    const watch = new StallWatch(logger, { tickMs: 1_000_000 });
    const run = new AbortController();
    const held = (): number =>
      Object.getOwnPropertySymbols(run.signal)
        .map((k) => (run.signal as unknown as Record<symbol, unknown>)[k])
        .map((v) => (v !== null && typeof v === 'object' && typeof (v as { size?: unknown }).size === 'number' ? (v as { size: number }).size : 0))
        .reduce((n, size) => n + size, 0);
    const finished = [];
    let afterOne = 0;
    for (let i = 0; i < 1000; i++) {
      const t = watch.track({ image: 'reg/app:1', digest: `sha256:${i}`, size: 1, from: 'src', to: 'dst' }, run.signal);
      t.add(1);
      t.done();
      finished.push(t);
      if (i === 0) afterOne = held();
    }
    // one listener for the run's signal, however many transfers ran on it
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    // nothing collected per transfer under the signal's own keys either (AbortSignal.any leaves a
    // WeakRef per call in the run signal's dependants on Node 20): what one transfer left, 1,000 leave
    expect(held()).toBe(afterOne);
    expect(afterOne).toBeLessThanOrEqual(1);
    const live = watch.track({ image: 'reg/app:1', digest: 'sha256:live', size: 1, from: 'src', to: 'dst' }, run.signal);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    run.abort(new Error('interrupted'));
    expect(live.signal.aborted).toBe(true);
    expect((live.signal.reason as Error).message).toBe('interrupted');
    // the finished transfers were let go: the run's abort does not reach them
    expect(finished.filter((t) => t.signal.aborted)).toHaveLength(0);
    live.done();
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    const late = watch.track({ image: 'reg/app:1', digest: 'sha256:late', size: 1, from: 'src', to: 'dst' }, run.signal);
    expect(late.signal.aborted).toBe(true);
    late.done();
    watch.close();
  });
});
