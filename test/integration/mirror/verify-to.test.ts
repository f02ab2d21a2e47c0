/**
 * `verify --to` output when the registry lacks an image or holds another
 * digest at its tag: a readable table, an error naming both digests, and a
 * hint that fits (the bundle is not what is wrong). Real docker-registry.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { runCli } from '../../helpers/io.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;

const pair = useSeededPair('verify-to');
beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
}, 120_000);

describe('verify --to', () => {
  it('names both digests when a tag holds other content, and says to load again (not that the bundle is damaged)', async () => {
    const plain = ['--plain-http', src.host, '--plain-http', dst.host];
    const multi = `${src.host}/fixtures/multi:1.0`;
    const alpha = `${src.host}/fixtures/alpha:1.0`;
    const filtered = path.join(tmp, 'arm.tar');
    const full = path.join(tmp, 'full.tar');
    expect((await runCli([...plain, 'save', '--image', multi, '--image', alpha, '--platform', 'linux/arm64', '-o', filtered])).code).toBe(0);
    expect((await runCli([...plain, 'save', '--image', multi, '--image', alpha, '-o', full])).code).toBe(0);
    expect((await runCli([...plain, 'load', filtered, '--to', `${dst.host}/m`])).code).toBe(0);

    const fullDigest = layout.images.find((i) => i.name === 'fixtures/multi')!.digest;
    const r = await runCli([...plain, 'verify', full, '--to', `${dst.host}/m`]);
    expect(r.code, r.stderr).toBe(6);
    const lines = r.stdout.trimEnd().split('\n');
    // every row starts with its status followed by at least one space
    for (const l of lines.slice(1).filter((x) => !x.startsWith(' '))) expect(l).toMatch(/^(ok|different|missing) +\S/);
    expect(lines.find((l) => l.startsWith('different'))).toContain(multi);
    expect(lines.find((l) => l.startsWith('ok'))).toContain(alpha);
    expect(r.stderr).toMatch(new RegExp(`${dst.host}/m/fixtures/multi:1.0 holds sha256:[a-f0-9]{64}, the bundle has ${fullDigest}`));
    expect(r.stderr).not.toContain('the bundle is damaged');
    expect(r.stderr).toContain(`hint: a tag at ${dst.host}/m holds other content than the bundle`);
  });

  it('says what to load when images are missing', async () => {
    const plain = ['--plain-http', src.host, '--plain-http', dst.host];
    const r = await runCli([...plain, 'verify', path.join(tmp, 'full.tar'), '--to', `${dst.host}/elsewhere`, '--mapping', 'preserve-registry']);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('missing'))).toHaveLength(2);
    expect(r.stderr).toContain(`hint: load the bundle: airlift load ${path.join(tmp, 'full.tar')} --to ${dst.host}/elsewhere --mapping preserve-registry`);
  });
});
