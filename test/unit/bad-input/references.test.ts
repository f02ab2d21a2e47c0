/**
 * Malformed image references in chart values: `airlift images --strict`
 * exits 3 (E_INPUT), naming each reference, its file and values path; the
 * malformed reference never reaches the image list. Without --strict the valid images still go to stdout.
 */
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

// An empty `image: ""` is an unset default, and URL-looking strings are skipped
// by the chart scanner on purpose; both are covered where a reference is given
// directly (sync --image, copy).
const IN_VALUES = MALFORMED_REFERENCES.filter(([ref]) => ref !== '' && !ref.includes('://'));

describe('malformed references in values (airlift images --strict)', () => {
  it.each(IN_VALUES)('%j (%s): exit 3 naming the reference, file and values path', async (ref) => {
    const c = await s.chart(`c${IN_VALUES.findIndex(([r]) => r === ref)}`, `image: ${JSON.stringify(ref)}\nother:\n  image: redis:7\n`);
    const r = await runCli(['images', '--strict', '-o', 'list', c]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('E_INPUT');
    expect(r.stderr).toContain(ref.slice(0, 40));
    expect(r.stderr).toContain(`${c}/values.yaml`);
    expect(r.stderr).toMatch(/at image\b/);
    expect(r.stdout.trim().split('\n')).toEqual(['docker.io/library/redis:7']);
  });

  it('without --strict, the malformed one is reported and the valid images are still listed', async () => {
    const c = await s.chart('mixed', 'image: "Nginx:1"\nother:\n  image: redis:7\n');
    const r = await runCli(['images', '-o', 'list', c]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('"Nginx:1"');
    expect(r.stdout).toContain('redis:7');
    expect(r.stdout).not.toContain('Nginx');
  });
});
