/**
 * The CLI frame (cmd/main.ts): help and version, global options parsed once
 * and accepted after the subcommand, errors as JSON with --json (usage errors
 * too), one file per subcommand, and README's exit-code table equal to the
 * code's.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { VERSION, buildProgram } from '../../../cmd/main.js';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { createLogger } from '../../../src/cli/logger.js';
import type { CommandContext, GlobalOptions } from '../../../cmd/context.js';
import { makeIo, runCli } from '../../helpers/io.js';

const root = path.resolve(import.meta.dirname, '../../..');
const chart = path.join(root, 'fixtures/charts/example-shop');

function jsonLines(s: string): Array<Record<string, unknown>> {
  return s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('airlift CLI frame', () => {
  it('--help lists every subcommand and exits 0; --version prints package.json\'s version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['images', 'save', 'load', 'sync', 'copy', 'verify', 'serve', 'login', 'logout']) expect(help.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    const v = await runCli(['--version']);
    expect([v.code, v.stdout.trim()]).toEqual([0, pkg.version]);
    expect(VERSION).toBe(pkg.version);
  });

  it('every subcommand lives in its own file cmd/commands/<name>.ts', async () => {
    const ctx: CommandContext = {
      io: makeIo().io,
      globals: () => ({}) as GlobalOptions,
      logger: () => createLogger(new PassThrough(), { json: false, quiet: false, verbose: false }),
    };
    const program = await buildProgram(ctx);
    const names = program.commands.map((c) => c.name());
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const n of names) expect(existsSync(path.join(root, 'cmd/commands', `${n}.ts`)), n).toBe(true);
  });

  it('global options are accepted after the subcommand (airlift images CHART --json)', async () => {
    const after = await runCli(['images', path.join(root, 'no-such-chart'), '--json']);
    expect(after.code).toBe(5);
    const [e] = jsonLines(after.stderr);
    expect(e).toMatchObject({ type: 'error', code: 'E_NOT_FOUND' });
    expect(String(e!.message)).toContain('no-such-chart');
    const before = await runCli(['--concurrency', '3', 'images', chart, '-o', 'list']);
    const late = await runCli(['images', chart, '-o', 'list', '--concurrency', '3', '--quiet']);
    expect(before.code).toBe(0);
    expect(late.code).toBe(0);
    expect(late.stdout).toBe(before.stdout);
    expect(late.stdout).toMatch(/fixtures\/alpha:1\.0/);
  });

  it('with --json, usage errors are one JSON line too (unknown option, missing argument, bad option value)', async () => {
    for (const argv of [['--json', 'images', chart, '--bogus'], ['images', '--json'], ['--json', '--concurrency', '0', 'images', chart], ['--json', 'no-such-command']]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      const lines = jsonLines(r.stderr);
      expect(lines, argv.join(' ')).toHaveLength(1);
      expect(lines[0]).toMatchObject({ type: 'error', code: 'E_USAGE' });
      expect(r.stdout).toBe('');
    }
    // without --json they stay text; "--json" after "--" is an operand, not the option
    const text = await runCli(['images', chart, '--bogus']);
    expect(text.stderr).toMatch(/^error: unknown option '--bogus'/);
    const operand = await runCli(['images', '--', '--json']);
    expect(operand.stderr).toMatch(/^error \[E_NOT_FOUND\]/);
  });

  it("README's exit-code table is the code's table", () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'));
    const documented: Record<string, number> = {};
    for (const m of section.matchAll(/^\| (\d+) \|[^|]*\|([^|\n]*)\|$/gm)) {
      for (const code of m[2]!.matchAll(/`(E_[A-Z_]+)`/g)) documented[code[1]!] = Number(m[1]);
    }
    expect(documented).toEqual(EXIT_CODES);
  });

  it('--quiet drops info and debug logs but keeps warnings and errors', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const log = createLogger(out, { json: false, quiet: true, verbose: true });
    log.log('info', 'progress line');
    log.log('debug', 'debug line');
    log.log('warn', 'a warning');
    log.log('error', 'an error');
    expect(text).toBe('warn: a warning\nerror: an error\n');
  });
});

describe('commands are loaded on demand', () => {
  it('finds the subcommand past global options and their values', async () => {
    const { commandNameOf } = await import('../../../cmd/commands/index.js');
    expect(commandNameOf(['sync', '--image', 'x'])).toBe('sync');
    expect(commandNameOf(['--concurrency', '4', '--ca-file', 'ca.pem', '--json', 'load', 'b.tar'])).toBe('load');
    expect(commandNameOf(['--plain-http', 'reg:5000', '--auth-from-secret', 's.yaml', 'images', '.'])).toBe('images');
    expect(commandNameOf(['--concurrency=4', 'copy'])).toBe('copy');
    expect(commandNameOf(['--help'])).toBeUndefined();
    expect(commandNameOf([])).toBeUndefined();
  });

  it('a run registers only its command; help and unknown commands see them all', async () => {
    const ctx: CommandContext = {
      io: makeIo().io,
      globals: () => ({}) as GlobalOptions,
      logger: () => createLogger(new PassThrough(), { json: false, quiet: false, verbose: false }),
    };
    expect((await buildProgram(ctx, { only: 'sync' })).commands.map((c) => c.name())).toEqual(['sync']);
    expect((await buildProgram(ctx, { only: 'nope' })).commands.length).toBeGreaterThanOrEqual(11);
    const help = await runCli(['--help']);
    for (const n of ['images', 'save', 'load', 'sync', 'copy', 'verify', 'serve', 'relocate', 'login', 'logout', 'lock']) expect(help.stdout).toContain(`  ${n}`);
    const syncHelp = await runCli(['--json', 'sync', '--help']);
    expect([syncHelp.code, syncHelp.stdout]).toEqual([0, expect.stringContaining('--images-file')]);
    const unknown = await runCli(['synk']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('sync');
  });
});
