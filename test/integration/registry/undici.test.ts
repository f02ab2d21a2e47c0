/**
 * How the transport loads undici (src/registry/undici.ts): the pinned version's own modules, with
 * nothing patched onto undici's prototypes, or the package index for any other version. Both ways
 * talk to a real registry.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PINNED_UNDICI, loadUndici } from '../../../src/registry/undici.js';
import { useRegistry } from '../../harness/use-registry.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('undici, as the transport loads it', () => {
  const reg = useRegistry('plain');

  it('the pinned version is the one package.json pins and the one installed (a bump must re-check the quick way)', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules/undici/package.json'), 'utf8')) as { version: string };
    expect(pkg.dependencies.undici).toBe(PINNED_UNDICI);
    expect(installed.version).toBe(PINNED_UNDICI);
  });

  for (const [via, version] of [['modules', PINNED_UNDICI], ['index', '7.0.0-another']] as const) {
    it(`version ${version}: the ${via}; a Pool and an Agent answer GET /v2/ of a real registry`, async () => {
      const u = await loadUndici(version);
      expect(u.via).toBe(via);
      const pool = new u.Pool(reg().url);
      const agent = new u.Agent();
      try {
        const viaPool = await u.request(pool, { method: 'GET', path: '/v2/' });
        expect(viaPool.statusCode).toBe(200);
        expect(viaPool.headers['docker-distribution-api-version']).toBe('registry/2.0');
        await viaPool.body.dump();
        const viaAgent = await u.request(agent, { origin: reg().url, method: 'GET', path: '/v2/_catalog' });
        expect(viaAgent.statusCode).toBe(200);
        expect(await viaAgent.body.json()).toEqual({ repositories: [] });
      } finally {
        await pool.close();
        await agent.close();
      }
    });
  }

  it('the quick way loads neither the package index nor the request API onto the Dispatcher prototype', () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const { undici } = await import('./dist/src/registry/undici.js');
      const u = await undici();
      const files = Object.keys(require.cache).filter((k) => k.includes('/node_modules/undici/')).map((k) => k.split('/node_modules/undici/')[1]);
      const Dispatcher = require('undici/lib/dispatcher/dispatcher.js');
      console.log(JSON.stringify({ via: u.via, index: files.includes('index.js'), patched: 'request' in Dispatcher.prototype }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ via: 'modules', index: false, patched: false });
  });
});
