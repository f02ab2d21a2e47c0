/**
 * The flag tables of src/cli/options.ts as commander options (cmd/options.ts addOptions): the shared
 * groups read the same on every command that takes them, repeatable flags collect into a list of
 * their own per parse, a parser's Error is commander's invalid-argument error, an undescribed flag
 * is hidden, and a default shows as its text.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addOptions } from '../../../cmd/options.js';
import { CHART_VALUE_OPTIONS, GLOBAL_OPTIONS } from '../../../src/cli/options.js';
import { chartRefOptions } from '../../../src/cli/chart-refs.js';
import { referrerOptions } from '../../../src/cli/referrers.js';
import { buildProgram } from '../../../cmd/main.js';
import { makeIo } from '../../helpers/io.js';

function program(): Command {
  return addOptions(new Command('t').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }), GLOBAL_OPTIONS, CHART_VALUE_OPTIONS, chartRefOptions({ credentials: true }), referrerOptions());
}

describe('flag tables', () => {
  it('collect repeatable flags into a fresh list per parse, and keep defaults and negations', () => {
    const a = program().parse(['--set', 'a=1', '--set', 'b=2', '--no-referrers'], { from: 'user' }).opts();
    expect(a.set).toEqual(['a=1', 'b=2']);
    expect(a.referrers).toBe(false);
    expect(a.concurrency).toBe(8);
    expect(a.minRate).toBe(1024);
    const b = program().parse([], { from: 'user' }).opts();
    expect(b.set).toEqual([]);
    expect(b.set).not.toBe(a.set);
    expect(b.referrers).toBe(true);
    expect(b.fetchDeps).toBe(true);
    expect(b.passwordStdin).toBe(false);
  });

  it("turns a parser's Error into commander's invalid-argument error", () => {
    expect(() => program().parse(['--concurrency', '0'], { from: 'user' })).toThrow(/option '--concurrency <n>' argument '0' is invalid. expected a whole number from 1 to 1024/);
    expect(() => program().parse(['--min-rate', 'fast'], { from: 'user' })).toThrow(/argument 'fast' is invalid. expected bytes per second/);
  });

  it('hides a flag without a description and shows a default as its text', () => {
    const help = program().helpInformation();
    expect(help).not.toContain('--chart-version');
    expect(help).toContain('--version <version>');
    expect(help).toContain('(default: 1KiB)');
  });

  it('declare a shared flag the same on every command that takes it', async () => {
    const c = makeIo();
    const p = await buildProgram({ io: c.io, globals: () => { throw new Error('unused'); }, logger: () => { throw new Error('unused'); } });
    const describe = (cmd: string, flag: string) => p.commands.find((x) => x.name() === cmd)!.options.find((o) => o.long === flag)?.description;
    for (const flag of ['--values', '--set-file', '--no-fetch-deps', '--repo', '--version']) {
      expect(new Set(['images', 'save', 'sync', 'relocate'].map((cmd) => describe(cmd, flag))).size, flag).toBe(1);
    }
    for (const flag of ['--no-referrers', '--referrers-type']) {
      expect(new Set(['save', 'load', 'sync', 'copy'].map((cmd) => describe(cmd, flag))).size, flag).toBe(1);
    }
    expect(describe('save', '--platform')).toBe(describe('copy', '--platform'));
  });
});
