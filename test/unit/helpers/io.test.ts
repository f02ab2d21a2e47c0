import { describe, expect, it } from 'vitest';
import { makeIo, runCli } from '../../helpers/io.js';
import { VERSION, run } from '../../../cmd/main.js';

describe('test I/O helpers', () => {
  it('runCli captures stdout and the exit code', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.stderr).toBe('');
  });

  it('runCli captures stderr and a usage exit code for an unknown option', async () => {
    const r = await runCli(['--no-such-flag']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no-such-flag/);
    expect(r.stdout).toBe('');
  });

  it('makeIo exposes the given stdin, env and cwd', async () => {
    const c = makeIo({ stdin: 'hello', env: { A: '1' }, cwd: '/tmp' });
    let read = '';
    for await (const chunk of c.io.stdin) read += String(chunk);
    expect(read).toBe('hello');
    expect(c.io.env).toEqual({ A: '1' });
    expect(c.io.cwd).toBe('/tmp');
    expect(await run(['--help'], c.io)).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(c.stdout()).toMatch(/Usage: airlift/);
  });
});
