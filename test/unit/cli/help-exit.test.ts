/**
 * Help and exit codes (issue #22's small items): every registered command, nested ones too, has a
 * description that `--help` of its parent lists; `COMMAND --help` and `help COMMAND` print the help on
 * stdout and exit 0; help printed instead of a run (no command, `lock` without merge/diff, `help` of
 * an unknown command) goes to stderr and exits 2, as nothing that was asked was done.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cmd/main.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { makeIo, runCli } from '../../helpers/io.js';

async function registered(): Promise<Array<{ path: string[]; description: string; parent: string[] }>> {
  const c = makeIo();
  const program = await buildProgram({ io: c.io, globals: () => { throw new Error('unused'); }, logger: () => { throw new Error('unused'); } });
  const out: Array<{ path: string[]; description: string; parent: string[] }> = [];
  const walk = (cmd: Command, prefix: string[]): void => {
    for (const sub of cmd.commands) {
      const p = [...prefix, sub.name()];
      out.push({ path: p, description: sub.description(), parent: prefix });
      walk(sub, p);
    }
  };
  walk(program, []);
  return out;
}

describe('help of every command', () => {
  it('each registered command has a description, its parent lists it, and its --help and help COMMAND exit 0', async () => {
    const commands = await registered();
    expect(commands.length).toBeGreaterThanOrEqual(14);
    const root = await runCli(['--help']);
    expect([root.code, root.stderr]).toEqual([0, '']);
    expect(root.stdout).toMatch(/^Usage: airlift /);
    for (const c of commands) {
      const name = c.path.join(' ');
      expect(c.description.trim().length, `${name} has no description`).toBeGreaterThan(10);
      const parentHelp = c.parent.length ? (await runCli([...c.parent, '--help'])).stdout : root.stdout;
      // commander wraps long descriptions: the first words are on the command's own line
      const first = c.description.split(/\s+/).slice(0, 3).join(' ');
      expect(parentHelp, `${name} is not listed by ${c.parent.join(' ') || 'airlift'} --help`).toMatch(new RegExp(`^ {2}${c.path.at(-1)}\\b.* ${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
      const help = await runCli([...c.path, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stderr, name).toBe('');
      expect(help.stdout, name).toMatch(new RegExp(`^Usage: airlift ${name} `));
      const viaHelp = await runCli([...c.parent, 'help', c.path.at(-1)!]);
      expect(viaHelp.code, `help ${name}`).toBe(0);
      expect(viaHelp.stdout, `help ${name}`).toBe(help.stdout);
    }
  });

  it('help shown instead of a run goes to stderr and exits 2 (E_USAGE); with --json, one JSON error line', async () => {
    for (const argv of [[], ['lock'], ['help', 'nosuch'], ['--concurrency', '2']]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(exitCodeFor('E_USAGE'));
      expect(r.stdout, argv.join(' ')).toBe('');
      expect(r.stderr, argv.join(' ')).toContain('Usage: airlift ');
    }
    const j = await runCli(['--json']);
    expect(j.code).toBe(2);
    expect(j.stdout).toBe('');
    const lines = j.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'error', code: 'E_USAGE' });
  });
});
