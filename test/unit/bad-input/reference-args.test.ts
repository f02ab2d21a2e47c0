/**
 * Malformed references given directly on the command line (`sync --image`,
 * `save --image`, `copy`): exit 3 (E_REFERENCE) naming the reference, before
 * any network traffic (the target is a closed port: reaching it would be
 * E_NETWORK), and no output file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';
import { MALFORMED_REFERENCES, scratch, type Scratch } from './fixtures.js';

let s: Scratch;
beforeAll(async () => {
  s = await scratch();
});
afterAll(async () => {
  await s?.remove();
});

const CLOSED = '127.0.0.1:9';
const env = (): Record<string, string> => ({ HOME: s.dir, REGISTRY_AUTH_FILE: path.join(s.dir, 'none.json') });
const REFS = MALFORMED_REFERENCES;

function expectNamed(stderr: string, ref: string): void {
  expect(stderr).toMatch(/E_REFERENCE|E_INPUT|E_USAGE/);
  // Long references are shortened in messages: the start must be there.
  expect(stderr).toContain(ref.slice(0, 30));
}

describe('malformed references on the command line', () => {
  it.each(REFS)('sync --image %j (%s): exit 3, nothing contacted', async (ref) => {
    const r = await runCli(['sync', '--image', ref, '--to', `${CLOSED}/mirror`], { env: env(), cwd: s.dir });
    expect(r.code, r.stderr).toBe(3);
    expectNamed(r.stderr, ref);
  });

  it.each(REFS)('save --image %j (%s): exit 3, no bundle', async (ref) => {
    const out = path.join(s.dir, 'out.tar');
    const r = await runCli(['save', '--image', ref, '-o', out], { env: env(), cwd: s.dir });
    expect(r.code, r.stderr).toBe(3);
    expectNamed(r.stderr, ref);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.airlift-staging`)).toBe(false);
  });

  it.each(REFS)('copy docker://%j (%s): exit 3 (2 when empty)', async (ref) => {
    const r = await runCli(['copy', `docker://${ref}`, `docker://${CLOSED}/mirror/x:1`], { env: env(), cwd: s.dir });
    // A bare "docker://" is a usage error (the argument names no image at all).
    expect(r.code, r.stderr).toBe(ref === '' ? 2 : 3);
    expectNamed(r.stderr, ref);
  });

  it('copy with a transport airlift does not know: exit 2 naming it', async () => {
    const r = await runCli(['copy', 'ftp://example/x', `docker://${CLOSED}/mirror/x:1`], { env: env(), cwd: s.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ftp://example/x');
  });

  it('a closed port is E_NETWORK (7): the exit 3 above really is decided before any traffic', async () => {
    const r = await runCli(['copy', `docker://${CLOSED}/a:1`, `docker://${CLOSED}/b:1`], { env: env(), cwd: s.dir });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(CLOSED);
  });

  it('--to that is not a registry host: exit 2 naming it', async () => {
    const r = await runCli(['sync', '--image', 'nginx:1.25', '--to', 'not a host/x'], { env: env(), cwd: s.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a host');
  });
});
