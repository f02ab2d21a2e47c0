/**
 * Trap 1 of issue #17: `--version` after a subcommand is helm's chart version, never airlift's.
 * `airlift save CHART --version 1.2.3 -o b.tar` printed airlift's version and exited 0 with no bundle.
 * Since issue #19 it selects the version of a chart reference; on a local chart it is refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CHART = path.join(root, 'fixtures/charts/example-shop');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-version-flag-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--version', () => {
  it('before any subcommand (or -V) prints airlift\'s version and exits 0', async () => {
    for (const argv of [['--version'], ['-V'], ['--json', '--version']]) {
      const r = await runCli(argv);
      expect([r.code, r.stdout.trim()], argv.join(' ')).toEqual([0, pkg.version]);
    }
  });

  it('after save on a local chart: exit 2, nothing on stdout, no bundle written, and it says why', async () => {
    const out = path.join(dir, 'b.tar');
    const r = await runCli(['save', CHART, '--version', '1.2.3', '-o', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
    expect(r.stderr).toMatch(/^error \[E_USAGE\]: --version 1\.2\.3 applies to a chart from a repository, and .*example-shop" is a local chart/m);
    expect(r.stderr).toMatch(/hint: .*oci:\/\/HOST\/PATH\/CHART, REPO\/CHART or --repo URL CHART/);
  });

  it('after every chart command, in either spelling, reaches the command as the chart version', async () => {
    for (const argv of [
      ['images', CHART, '--version=2.0.0'],
      ['relocate', CHART, '--to', '127.0.0.1:9/m', '--version', '1'],
      ['sync', '--version', '1', CHART, '--to', '127.0.0.1:9/m'],
      ['--concurrency', '2', 'images', '--version', '3', CHART],
    ]) {
      const r = await runCli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--version \d[.0-9]* applies to a chart from a repository/);
    }
  });

  it('-V after a chart command is refused: airlift\'s own version goes before the command', async () => {
    const r = await runCli(['images', CHART, '-V']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain(pkg.version);
    expect(r.stderr).toMatch(/-V after "images" is airlift's own version flag/);
  });

  it('after a command that reads no chart is an error too, never airlift\'s version with exit 0', async () => {
    for (const argv of [['load', 'b.tar', '--version'], ['verify', '-V', 'b.tar'], ['lock', 'diff', 'a', 'b', '--version']]) {
      const r = await runCli(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).not.toContain(pkg.version);
      expect(r.stderr).toMatch(/takes no version option[\s\S]*airlift --version/);
    }
  });

  it('with --json the refusal is one JSON error line', async () => {
    const r = await runCli(['--json', 'save', CHART, '--version', '1.2.3', '-o', path.join(dir, 'c.tar')]);
    expect(r.code).toBe(2);
    const line = JSON.parse(r.stderr.trim()) as { type: string; code: string };
    expect([line.type, line.code]).toEqual(['error', 'E_USAGE']);
  });

  it('after "--" is an argument, not a flag', async () => {
    const r = await runCli(['images', CHART, '--', '--version']);
    expect(r.stderr).not.toMatch(/chart version/);
  });
});
