/**
 * `serve`: tags list pagination (`n`, `last`, Link) on a layout holding three
 * tags of one repository, written by `airlift copy` from a real registry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, seedRegistry, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { startServe } from '../../../src/serve/server.js';
import { startRegistry, type StartedRegistry } from '../../harness/registry.js';
import { runCli } from '../../helpers/io.js';

let src: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-serve-tags-'));
  src = await startRegistry({ mode: 'plain' });
  layout = await generateLayout(path.join(tmp, 'layout'), presetTiny());
  await seedRegistry(layout.dir, src, layout.images.filter((i) => i.name === 'fixtures/alpha'));
}, 120_000);
afterAll(async () => {
  await src?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('serve tags list', () => {
  it('pages tags with n and last and a Link to the next page', async () => {
    const dir = path.join(tmp, 'oci');
    for (const tag of ['1.0', '2.0', '3.0']) {
      const r = await runCli(['--plain-http', src.host, 'copy', `docker://${src.host}/fixtures/alpha:1.0`, `oci:${dir}:lib/app:${tag}`]);
      expect(r.code, r.stderr).toBe(0);
    }
    const server = await startServe({ bundle: dir, listen: '127.0.0.1:0' });
    try {
      const base = `http://${server.address}`;
      expect(await (await fetch(`${base}/v2/lib/app/tags/list`)).json()).toEqual({ name: 'lib/app', tags: ['1.0', '2.0', '3.0'] });
      const first = await fetch(`${base}/v2/lib/app/tags/list?n=2`);
      expect(await first.json()).toEqual({ name: 'lib/app', tags: ['1.0', '2.0'] });
      expect(first.headers.get('link')).toBe('</v2/lib/app/tags/list?n=2&last=2.0>; rel="next"');
      const last = await fetch(`${base}/v2/lib/app/tags/list?n=2&last=2.0`);
      expect(await last.json()).toEqual({ name: 'lib/app', tags: ['3.0'] });
      expect(last.headers.get('link')).toBeNull();
    } finally {
      await server.close();
    }
  });
});
