import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../cmd/logger.js';
import { createProgress, formatBytes } from '../../../src/progress/index.js';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function drive(mode: { json: boolean; quiet: boolean; isTTY: boolean }): Promise<string> {
  const err = capture();
  const base = createLogger(err.stream, { json: mode.json, quiet: mode.quiet, verbose: false });
  const p = createProgress(base, { stderr: err.stream, ...mode });
  await p.start(2);
  p.logger.event('image.start', { image: 'docker.io/a:1' });
  p.onBytes('docker.io/a:1', 2048);
  p.logger.event('blob.done', { image: 'docker.io/a:1', digest: 'sha256:aa', size: 2048, outcome: 'uploaded' });
  p.logger.event('image.done', { image: 'docker.io/a:1', status: 'copied', digest: `sha256:${'a'.repeat(64)}`, bytes: 2048, uploaded: 1, mounted: 0, existing: 0 });
  p.logger.event('image.start', { image: 'docker.io/b:1' });
  p.logger.event('image.done', { image: 'docker.io/b:1', status: 'skipped', digest: `sha256:${'b'.repeat(64)}`, bytes: 0, uploaded: 0, mounted: 0, existing: 0 });
  p.finish({ images: 2, copied: 1, skipped: 1, failed: 0, bytes: 2048 });
  return err.text();
}

describe('progress', () => {
  it('plain lines when stderr is not a terminal', async () => {
    const out = await drive({ json: false, quiet: false, isTTY: false });
    expect(out).toContain('copied docker.io/a:1 sha256:aaaaaaaaaaaa 1 blobs copied (2.0 KiB)');
    expect(out).toContain('skipped docker.io/b:1 sha256:bbbbbbbbbbbb already at the destination');
    expect(out).toMatch(/2 images: 1 copied, 1 already there, 0 failed · 2\.0 KiB in /);
  });

  it('one JSON event per line with --json, ending with a summary', async () => {
    const lines = (await drive({ json: true, quiet: false, isTTY: false })).trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['image.start', 'blob.done', 'image.done', 'image.start', 'image.done', 'summary']);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', images: 2, copied: 1, skipped: 1, bytes: 2048 });
  });

  it('nothing with --quiet', async () => {
    expect(await drive({ json: false, quiet: true, isTTY: false })).toBe('');
  });

  it('a spinner on a terminal, finishing with the summary', async () => {
    const out = await drive({ json: false, quiet: false, isTTY: true });
    expect(out).toContain('docker.io/a:1');
    expect(out).toContain('2 images: 1 copied');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
