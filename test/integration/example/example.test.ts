/**
 * The README's first line runs `npm run example`: the main job end to end on the bundled
 * example chart, offline, against real registries on loopback. This runs the same script
 * (against the dist/ build that `npm test` makes first) and checks that it completes with
 * every image relocated to the mirror.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');

test('npm run example completes: save, verify, login, load, verify --to, relocate, scan back', () => {
  if (!existsSync(path.join(root, 'dist/cmd/airlift.js'))) throw new Error('dist/ is missing: npm test builds it first');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/example.ts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toContain('example done: 4 images exported');
  expect(r.status).toBe(0);
  // The overrides printed on stdout point every layout at the mirror, pinned by digest.
  expect(r.stdout).toMatch(/imageRegistry: "?127\.0\.0\.1:\d+/);
  const mirrorRefs = r.stdout.split('\n').filter((l) => /^127\.0\.0\.1:\d+\/airgap\/fixtures\/\w+:[\w.]+@sha256:[0-9a-f]{64}$/.test(l));
  expect(mirrorRefs).toHaveLength(4);
}, 150_000);
