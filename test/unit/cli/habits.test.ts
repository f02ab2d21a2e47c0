/**
 * Trap 5 of issue #17, habits of the ecosystem: every command's help has examples and lists the
 * global options it honours; a LICENSE file holds the licence package.json declares. (login's
 * password prompt: test/integration/registry/login-prompt.test.ts; lock diff --exit-code:
 * test/unit/lock/cli.test.ts.)
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { buildProgram } from '../../../cmd/main.js';
import { makeIo, runCli } from '../../helpers/io.js';

const root = path.resolve(import.meta.dirname, '../../..');

async function commandNames(): Promise<string[]> {
  const c = makeIo();
  const program = await buildProgram({ io: c.io, globals: () => { throw new Error('unused'); }, logger: () => { throw new Error('unused'); } });
  const names: string[] = [];
  const walk = (cmd: Command, prefix: string[]): void => {
    for (const sub of cmd.commands) {
      names.push([...prefix, sub.name()].join(' '));
      walk(sub, [...prefix, sub.name()]);
    }
  };
  walk(program, []);
  return names;
}

const REGISTRY_COMMANDS = ['save', 'load', 'sync', 'copy', 'verify'];

describe('help', () => {
  it('every command (and lock merge/diff) shows examples of itself and the global options it honours', async () => {
    const names = await commandNames();
    expect(names).toEqual(expect.arrayContaining(['images', 'save', 'load', 'sync', 'copy', 'verify', 'serve', 'relocate', 'login', 'logout', 'lock', 'lock merge', 'lock diff']));
    const globalHelp = (await runCli(['--help'])).stdout;
    for (const name of names) {
      const r = await runCli([...name.split(' '), '--help']);
      expect(r.code, name).toBe(0);
      const examples = r.stdout.slice(r.stdout.indexOf('\nExamples:\n'));
      expect(r.stdout, name).toContain('\nExamples:\n');
      expect(examples, name).toContain(`  $ airlift ${name}`);
      expect(r.stdout, name).toContain('\nGlobal options it honours (before or after the command):\n');
      expect(r.stdout, name).toMatch(/^ {2}--json /m);
      // every global option a command lists is one the program has
      const listed = [...r.stdout.slice(r.stdout.indexOf('Global options it honours')).matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!);
      for (const g of listed) expect(globalHelp, `${name}: ${g}`).toContain(g);
    }
    for (const name of REGISTRY_COMMANDS) {
      const r = await runCli([name, '--help']);
      for (const g of ['--ca-file', '--plain-http', '--concurrency', '--json', '--insecure-skip-tls-verify', '--auth-from-secret']) expect(r.stdout, `${name} ${g}`).toMatch(new RegExp(`^ {2}${g} `, 'm'));
    }
  });
});

describe('LICENSE', () => {
  it('is the Apache License 2.0 text that package.json declares', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { license: string };
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(path.join(root, 'LICENSE'));
    expect(text.toString('utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004\s+http:\/\/www\.apache\.org\/licenses\//);
    // byte for byte the file at https://www.apache.org/licenses/LICENSE-2.0.txt
    expect(createHash('sha256').update(text).digest('hex')).toBe('cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30');
  });
});
