/** verify stops when its signal is aborted (Ctrl-C) instead of re-hashing the rest of the bundle. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLayout, presetTiny, type GeneratedLayout } from '../../../fixtures/images/generate.js';
import { verifyLayout } from '../../../src/bundle/verify.js';
import { InterruptedError } from '../../../src/errors.js';
import { DirFiles } from '../../../src/layout/files.js';
import { LayoutReader } from '../../../src/layout/reader.js';
import { tempDir } from '../layout/helpers.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
let gen: GeneratedLayout;
beforeAll(async () => {
  tmp = await tempDir('airlift-verify-');
  gen = await generateLayout(path.join(tmp.dir, 'layout'), presetTiny());
});
afterAll(async () => tmp.cleanup());

describe('verifyLayout and cancellation', () => {
  it('checks the layout when not aborted', async () => {
    const check = await verifyLayout(await LayoutReader.open(new DirFiles(gen.dir)), 2);
    expect(check.images.every((i) => i.status === 'ok')).toBe(true);
    expect(check.blobsChecked).toBeGreaterThan(0);
  });

  it('rejects with the signal reason once aborted, hashing nothing more', async () => {
    const ac = new AbortController();
    ac.abort(new InterruptedError('SIGINT'));
    await expect(verifyLayout(await LayoutReader.open(new DirFiles(gen.dir)), 2, ac.signal)).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
  });
});
