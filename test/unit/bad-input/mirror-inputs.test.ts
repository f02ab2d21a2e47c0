/**
 * Bad inputs to the mirroring commands that fail before any registry is
 * contacted (the target is a closed port: reaching it would be E_NETWORK,
 * exit 7): missing charts, broken config files and images files, nothing to
 * copy. Each has its exit code, names the input, and writes no bundle.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';
import { aliasBomb, scratch, type Scratch } from './fixtures.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s?.remove();
});

const CLOSED = '127.0.0.1:9';

interface Case {
  name: string;
  /** Files to create first (relative path → content). */
  files?: Record<string, string>;
  /** Arguments after the subcommand name; `OUT` is the bundle path (save) or dropped (sync). */
  args: string[];
  code: number;
  says: RegExp;
}

const CASES: Case[] = [
  { name: 'a chart path that does not exist', args: ['no-such-chart'], code: 5, says: /no-such-chart/ },
  { name: 'a values file that does not exist', files: { 'c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n', 'c/values.yaml': 'image: nginx:1\n' }, args: ['c', '-f', 'nope.yaml'], code: 5, says: /nope\.yaml/ },
  { name: 'a values file that is a list', files: { 'c/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n', 'c/values.yaml': 'image: nginx:1\n', 'list.yaml': '- a\n' }, args: ['c', '-f', 'list.yaml'], code: 3, says: /list\.yaml/ },
  { name: 'a config file that does not exist', args: ['--config', 'nope-airlift.yaml'], code: 5, says: /nope-airlift\.yaml/ },
  { name: 'a config file with invalid YAML', files: { 'bad-config.yaml': 'images: [nginx\n' }, args: ['--config', 'bad-config.yaml'], code: 3, says: /bad-config\.yaml/ },
  { name: 'a config file that is a YAML alias bomb', files: { 'bomb-config.yaml': aliasBomb() }, args: ['--config', 'bomb-config.yaml'], code: 9, says: /bomb-config\.yaml/ },
  { name: 'a config file that is a list', files: { 'list-config.yaml': '- nginx:1\n' }, args: ['--config', 'list-config.yaml'], code: 3, says: /list-config\.yaml/ },
  { name: 'a config file with a malformed image', files: { 'ref-config.yaml': 'images:\n  - "Nginx:1"\n' }, args: ['--config', 'ref-config.yaml'], code: 3, says: /Nginx:1/ },
  { name: 'an images file that does not exist', args: ['--images-file', 'nope.txt'], code: 5, says: /nope\.txt/ },
  { name: 'an images file with a malformed line', files: { 'images.txt': 'nginx:1.25\nNot A Ref\n' }, args: ['--images-file', 'images.txt'], code: 3, says: /Not A Ref/ },
  { name: 'an unknown --platform', args: ['--image', 'nginx:1', '--platform', 'linux/'], code: 2, says: /linux\// },
];

describe.each(['save', 'sync'] as const)('%s with bad inputs', (cmd) => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    for (const [rel, text] of Object.entries(c.files ?? {})) await s.file(rel, text);
    const out = path.join(s.dir, `${cmd}-${CASES.indexOf(c)}.tar`);
    const tail = cmd === 'save' ? ['-o', out] : ['--to', `${CLOSED}/mirror`];
    const r = await runCli([cmd, ...c.args, ...tail], { cwd: s.dir, env: { HOME: s.dir } });
    expect(r.code, r.stderr).toBe(c.code);
    expect(r.stderr).toMatch(c.says);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.airlift-staging`)).toBe(false);
  });
});
