/**
 * A bundle given as something that is not a regular file (`load <(ssh host cat bundle.tar)`, a
 * device): a bundle is read by offset, so it is refused before any work, naming it and saying to
 * write it to a file first.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/io.js';

describe('a bundle that is not a regular file', () => {
  it.each([
    ['inspect', ['inspect', '/dev/null']],
    ['verify', ['verify', '/dev/null']],
    ['load', ['load', '/dev/null', '--to', '127.0.0.1:1/x']],
  ])('%s: exit 6, named, with what to do', async (_name, argv) => {
    const r = await runCli(argv);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain('error [E_BUNDLE]: /dev/null is not a regular file');
    expect(r.stderr).toContain('hint: a bundle is read in place (by offset), not as a stream: write it to a file first (… > bundle.tar) and give that file');
  });
});
