import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/cli/logger.js';
import { LARGE_BLOB, createProgress, fitWidth, formatBytes, statusLine } from '../../../src/progress/index.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function drive(mode: { json: boolean; quiet: boolean; isTTY: boolean; columns?: number }): Promise<string> {
  const err = capture();
  const base = createLogger(err.stream, { json: mode.json, quiet: mode.quiet, verbose: false });
  const p = createProgress(base, { stderr: err.stream, ...mode, columns: () => mode.columns ?? 80 });
  await p.start(2);
  p.logger.event('plan', { images: 2, charts: 0 });
  p.logger.event('image.start', { image: 'docker.io/a:1', kind: 'image' });
  p.logger.event('blob.start', { image: 'docker.io/a:1', digest: 'sha256:aa', size: 2048 });
  p.onBytes('docker.io/a:1', 2048, 'sha256:aa');
  p.logger.event('blob.done', { image: 'docker.io/a:1', digest: 'sha256:aa', size: 2048, outcome: 'uploaded' });
  p.logger.event('image.done', { image: 'docker.io/a:1', kind: 'image', status: 'copied', digest: `sha256:${'a'.repeat(64)}`, bytes: 2048, uploaded: 1, mounted: 0, existing: 0 });
  p.logger.event('image.start', { image: 'docker.io/b:1', kind: 'image' });
  p.logger.event('image.done', { image: 'docker.io/b:1', kind: 'image', status: 'skipped', digest: `sha256:${'b'.repeat(64)}`, bytes: 0, uploaded: 0, mounted: 0, existing: 0 });
  p.finish({ images: 2, copied: 1, skipped: 1, failed: 0, bytes: 2048 });
  return err.text();
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('progress', () => {
  it('plain lines when stderr is not a terminal', async () => {
    const out = await drive({ json: false, quiet: false, isTTY: false });
    expect(out).toContain('copied docker.io/a:1 sha256:aaaaaaaaaaaa 1 blobs copied (2.0 KiB)');
    expect(out).toContain('skipped docker.io/b:1 sha256:bbbbbbbbbbbb already at the destination');
    expect(out).toMatch(/2 images: 1 copied, 1 already there, 0 failed · 2\.0 KiB in /);
    expect(out).not.toContain('\x1b');
  });

  it('one JSON event per line with --json: the plan first, a typed summary last', async () => {
    const lines = (await drive({ json: true, quiet: false, isTTY: false })).trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['plan', 'image.start', 'blob.start', 'blob.done', 'image.done', 'image.start', 'image.done', 'summary']);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', images: 2, copied: 1, skipped: 1, bytes: 2048 });
  });

  it('nothing with --quiet', async () => {
    expect(await drive({ json: false, quiet: true, isTTY: false })).toBe('');
  });

  it('a status line on a terminal, redrawn in place and never wider than the terminal, then the summary', async () => {
    const out = await drive({ json: false, quiet: false, isTTY: true, columns: 40 });
    expect(out).toContain('docker.io/a:1');
    expect(out).toContain('2 images: 1 copied');
    // every in-place redraw fits in 39 columns (one left free so the terminal never wraps)
    const redraws = out.split('\r').filter((s) => s.endsWith('\x1b[K') && s.length > 3).map((s) => s.slice(0, -3));
    expect(redraws.length).toBeGreaterThan(0);
    for (const r of redraws) expect([...r].length, r).toBeLessThanOrEqual(39);
  });

  it('a debug line the logger drops (no --verbose) neither clears nor redraws the status line; with --verbose it is written', async () => {
    for (const verbose of [false, true]) {
      const err = capture();
      const base = createLogger(err.stream, { json: false, quiet: false, verbose });
      expect(base.debug).toBe(verbose);
      const p = createProgress(base, { stderr: err.stream, json: false, quiet: false, isTTY: true, columns: () => 80, intervalMs: 10 });
      expect(p.logger.debug).toBe(verbose);
      await p.start(1);
      p.logger.event('plan', { images: 1, charts: 0 });
      p.logger.log('info', 'drawn after this');
      await tick(30);
      const before = err.text().length;
      for (let i = 0; i < 100; i++) p.logger.log('debug', `GET /v2/x/blobs/${i} -> 200`);
      const written = err.text().slice(before);
      if (verbose) expect(written.split('GET /v2/x/blobs/').length - 1).toBe(100);
      else expect(written).toBe('');
      p.finish({ images: 1, copied: 1, skipped: 0, failed: 0, bytes: 0 });
    }
    expect(createLogger(capture().stream, { json: false, quiet: true, verbose: true }).debug).toBe(false);
  });

  it('a terminal reporting 0 columns gets no escape codes and no redraws, only whole lines', async () => {
    for (const columns of [0, Number.NaN, -1]) {
      const out = await drive({ json: false, quiet: false, isTTY: true, columns });
      expect(out).not.toContain('\x1b');
      expect(out).not.toContain('\r');
      expect(out).toContain('2 images: 1 copied');
    }
  });

  it('off a terminal the status comes as periodic lines with images, bytes done/total, rate and ETA', async () => {
    const err = capture();
    let t = 0;
    const p = createProgress(createLogger(err.stream, { json: false, quiet: false, verbose: false }), { stderr: err.stream, isTTY: false, json: false, quiet: false, verb: 'saving', intervalMs: 20, now: () => t });
    await p.start(3);
    p.logger.event('plan', { images: 3, charts: 1, blobs: 2, bytes: 4000 });
    p.logger.event('blob.start', { image: 'x', digest: 'sha256:1', size: 3000 });
    t = 2000;
    p.onBytes('x', 1000, 'sha256:1');
    await tick(60);
    p.finish({ images: 3, copied: 3, skipped: 0, failed: 0, charts: { total: 1, copied: 1, skipped: 0, failed: 0 }, bytes: 4000 });
    const text = err.text();
    expect(text).toContain('saving 0/3 images, 0/1 chart · 1000 B / 3.9 KiB · 500 B/s · ETA 6.0 s\n');
    // the same status is not repeated while nothing moves
    expect(text.split('saving 0/3').length).toBe(2);
    expect(text).toMatch(/3 images: 3 copied, 0 already there, 0 failed; 1 chart: 1 copied, 0 already there, 0 failed · /);
  });

  it('--json: periodic progress events with byte progress within large blobs, charts counted as charts', async () => {
    const err = capture();
    let t = 0;
    const p = createProgress(createLogger(err.stream, { json: true, quiet: false, verbose: false }), { stderr: err.stream, isTTY: false, json: true, quiet: false, intervalMs: 20, now: () => t });
    await p.start(2);
    p.logger.event('plan', { images: 1, charts: 1 });
    p.logger.event('image.start', { image: 'chart app:1.0.0', kind: 'chart' });
    p.logger.event('image.done', { image: 'chart app:1.0.0', kind: 'chart', status: 'copied', bytes: 10, uploaded: 1, mounted: 0, existing: 0 });
    p.logger.event('blob.start', { image: 'docker.io/big:1', digest: 'sha256:big', size: LARGE_BLOB * 2 });
    t = 1000;
    p.onBytes('docker.io/big:1', LARGE_BLOB, 'sha256:big');
    await tick(60);
    p.finish({ images: 1, copied: 1, skipped: 0, failed: 0, charts: { total: 1, copied: 1, skipped: 0, failed: 0 }, bytes: LARGE_BLOB * 2 });
    const events = err.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ type: 'plan', images: 1, charts: 1 });
    const progress = events.find((e) => e.type === 'progress')!;
    expect(progress).toMatchObject({
      images: { done: 0, total: 1 },
      charts: { done: 1, total: 1 },
      bytes: LARGE_BLOB,
      bytesTotal: LARGE_BLOB * 2,
      bytesPerSecond: LARGE_BLOB,
      etaSeconds: 1,
      blobs: [{ image: 'docker.io/big:1', digest: 'sha256:big', bytes: LARGE_BLOB, size: LARGE_BLOB * 2 }],
    });
    expect(events.at(-1)).toMatchObject({ type: 'summary', images: 1, charts: { total: 1, copied: 1 } });
    expect(events.filter((e) => e.type === 'log')).toEqual([]);
  });

  it('statusLine and fitWidth', () => {
    const s = statusLine({ verb: 'loading', images: { done: 1, total: 1 }, charts: { done: 0, total: 2 }, bytes: 0, bytesTotal: 0, elapsedMs: 0 });
    expect(s).toBe('loading 1/1 image, 0/2 charts · 0 B');
    expect(fitWidth('abcdef', 4)).toBe('abc…');
    expect(fitWidth('abc', 3)).toBe('abc');
    expect(fitWidth('abc', 0)).toBe('');
    expect(fitWidth('abc', Number.NaN)).toBe('');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});

describe('progress memory', () => {
  it('holds no size of a blob once it is done, with or without the plan bytes, and still counts what is not to move', async () => {
    for (const withBytes of [true, false]) {
      const err = capture();
      const base = createLogger(err.stream, { json: false, quiet: true, verbose: false });
      const p = createProgress(base, { stderr: err.stream, json: false, quiet: true, isTTY: false });
      await p.start(3000);
      p.logger.event('plan', { images: 3000, charts: 0, ...(withBytes ? { blobs: 3000, bytes: 3000 * 100 } : {}) });
      for (let i = 0; i < 3000; i++) {
        const digest = `sha256:${i}`;
        if (i % 3 === 0) {
          // already at the destination: never flows
          p.logger.event('blob.done', { image: 'x', digest, size: 100, outcome: 'existing' });
          continue;
        }
        p.logger.event('blob.start', { image: 'x', digest, size: 100 });
        p.onBytes('x', 100, digest);
        p.logger.event('blob.done', { image: 'x', digest, size: 100, outcome: 'uploaded' });
      }
      expect(p.held()).toBe(0);
      p.finish({ images: 3000, copied: 3000, skipped: 0, failed: 0, bytes: 2000 * 100 });
    }
  });
});
