/**
 * Trap 3 of issue #17: a terminal that reports 0 columns (`script`, `docker run -t` at start) made
 * the spinner redraw for ever at 100% CPU (about 79 MB of escape codes a minute) and the copy never
 * started. The built CLI on a real pseudo-terminal (util-linux script) of 0 columns, and of 30.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { runInPty } from '../../harness/pty.js';

const BIN = path.resolve(import.meta.dirname, '../../../dist/cmd/airlift.js');
const REF = 'example.com/team/app:1.0';

describe('progress on a terminal', () => {
  let dir: string;
  let bundle: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'airlift-pty-'));
    bundle = path.join(dir, 'in.tar');
    await writeBundle(bundle, sampleBundle(REF, 4 * 1024 * 1024).entries);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('of 0 columns: the copy runs and ends, with whole lines and no escape codes', async () => {
    const run = runInPty([process.execPath, BIN, 'copy', `oci-archive:${bundle}:${REF}`, `oci:${path.join(dir, 'zero')}:x`], { cols: 0, timeoutMs: 20_000 });
    const code = await run.exit;
    const out = run.output();
    expect(code, out.slice(0, 2000)).toBe(0);
    expect(out.length).toBeLessThan(4096);
    expect(out).not.toContain('\x1b[');
    expect(out).toMatch(/1 image: 1 copied, 0 already there, 0 failed/);
  }, 30_000);

  it('of 0 columns: help and an image table are printed whole', async () => {
    const help = runInPty([process.execPath, BIN, 'save', '--help'], { cols: 0, timeoutMs: 20_000 });
    expect(await help.exit, help.output()).toBe(0);
    expect(help.output()).toMatch(/Examples:\r?\n {2}\$ airlift save /);
    const chart = path.resolve(import.meta.dirname, '../../../fixtures/charts/example-shop');
    const table = runInPty([process.execPath, BIN, 'images', chart], { cols: 0, timeoutMs: 20_000 });
    expect(await table.exit, table.output()).toBe(0);
    expect(table.output()).toMatch(/^IMAGE +SOURCE/m);
  }, 30_000);

  it('of 30 columns: the status line is redrawn in place within 29 columns', async () => {
    const run = runInPty([process.execPath, BIN, 'copy', `oci-archive:${bundle}:${REF}`, `oci:${path.join(dir, 'thirty')}:x`], { cols: 30, timeoutMs: 20_000 });
    expect(await run.exit, run.output()).toBe(0);
    const redraws = run.output().split('\r').filter((s) => s.endsWith('\x1b[K') && s.length > 3).map((s) => s.slice(0, -3));
    expect(redraws.length).toBeGreaterThan(0);
    for (const r of redraws) expect([...r].length, JSON.stringify(r)).toBeLessThanOrEqual(29);
    expect(run.output()).toMatch(/1 image: 1 copied/);
  }, 30_000);
});
