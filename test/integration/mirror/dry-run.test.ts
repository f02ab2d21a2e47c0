/**
 * `--dry-run` of save, load and sync (issue #18 item 2): the mirror plan is printed (what would
 * be copied, to where), nothing is written and no registry is asked for anything; the real run
 * afterwards lands exactly where the plan said. A plan that cannot be made (a mapping collision)
 * fails as the real run would, with its exit code. Against a real docker-registry.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRegistry } from '../../harness/use-registry.js';
import { catalog } from '../../harness/workspace.js';
import { sampleBundle, writeBundle } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/io.js';
import { scratch, type Scratch } from '../../unit/bad-input/fixtures.js';

const reg = useRegistry('plain');
let s: Scratch;
beforeAll(async () => {
  s = await scratch('airlift-dry-run-');
});
afterAll(async () => {
  await s?.remove();
});

/** A loopback port nothing listens on: any request to it would fail the run. */
const CLOSED = '127.0.0.1:9';

interface PlanRow {
  kind: string;
  source: string;
  destination: string;
}

describe('--dry-run prints the mirror plan and moves nothing', () => {
  it('load --dry-run names every push and pushes nothing; load then lands there', async () => {
    const b = sampleBundle('example.com/team/app:1.0');
    const bundle = path.join(s.dir, 'one.tar');
    await writeBundle(bundle, b.entries);
    const dry = await runCli(['--plain-http', reg().host, 'load', bundle, '--to', `${reg().host}/planned`, '--dry-run', '-o', 'json', '--lock-out', path.join(s.dir, 'dry.lock.json')]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout) as PlanRow[];
    expect(plan).toEqual([{ kind: 'image', source: 'example.com/team/app:1.0', destination: `${reg().host}/planned/team/app:1.0` }]);
    expect((await catalog(reg())).filter((n) => n.startsWith('planned/'))).toEqual([]);
    expect(await readdir(s.dir)).not.toContain('dry.lock.json');

    const real = await runCli(['--plain-http', reg().host, 'load', bundle, '--to', `${reg().host}/planned`, '-o', 'json']);
    expect(real.code, real.stderr).toBe(0);
    const rows = JSON.parse(real.stdout) as Array<PlanRow & { status: string; digest: string }>;
    expect(rows.map((r) => [r.source, r.destination, r.status, r.digest])).toEqual([[plan[0]!.source, plan[0]!.destination, 'copied', b.manifestDigest]]);
  });

  it('sync --dry-run asks neither the source nor the destination anything', async () => {
    const r = await runCli(['--plain-http', reg().host, 'sync', '--image', `${CLOSED}/team/app:1.0`, '--image', `${CLOSED}/team/web@sha256:${'a'.repeat(64)}`, '--to', `${reg().host}/synced`, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(r.stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/))).toEqual([
      ['KIND', 'SOURCE', 'DESTINATION'],
      ['image', `${CLOSED}/team/app:1.0`, `${reg().host}/synced/team/app:1.0`],
      ['image', `${CLOSED}/team/web@${digest}`, `${reg().host}/synced/team/web@${digest}`],
    ]);
    expect((await catalog(reg())).filter((n) => n.startsWith('synced/'))).toEqual([]);
  });

  it('sync --dry-run of a plan that cannot be made fails as the run would (a flatten collision, exit 10)', async () => {
    const r = await runCli(['sync', '--image', `${CLOSED}/x/app:1`, '--image', `${CLOSED}/y/app:1`, '--to', `${reg().host}/flat`, '--mapping', 'flatten', '--dry-run']);
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toContain('E_CONFLICT');
    expect(r.stdout).toBe('');
  });

  it('save --dry-run lists each image under its name in the bundle and writes nothing', async () => {
    const r = await runCli(['save', '--image', `${CLOSED}/team/app:1.0`, '-o', 'out.tar', '--dry-run'], { cwd: s.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`image  ${CLOSED}/team/app:1.0  oci-archive:out.tar:${CLOSED}/team/app:1.0`);
    expect((await readdir(s.dir)).filter((f) => f.startsWith('out.tar') || f.startsWith('.out.tar'))).toEqual([]);
  });
});
