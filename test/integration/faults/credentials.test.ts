/**
 * Credentials: never in logs, errors, --json events, reports, the lock or
 * the bundle; never sent to another host across a redirect; a wrong
 * password is E_AUTH (exit 4) naming the registry. Runs against the
 * harness's TLS + basic auth registry and its token-auth registry.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRegistry } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useRegistry } from '../../harness/use-registry.js';
import { airlift, digestMismatches, repoTag, workspace, type Workspace } from '../../harness/workspace.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await workspace('faults-creds');
});
afterAll(async () => {
  await ws?.remove();
});

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

/** Every way the secret could show: as is, in a Basic header, base64 of user:password. */
function secretForms(reg: StartedRegistry): string[] {
  const basic = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
  return [reg.password!, basic, encodeURIComponent(reg.password!)];
}

/** Every file under dir, as text (bundles included: a tar holds its members as plain bytes). */
async function allFilesText(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    if (p.includes(`${path.sep}layout${path.sep}`)) continue;
    out.push([p, (await readFile(p)).toString('latin1')]);
  }
  return out;
}

function expectNoSecrets(texts: Array<[string, string]>, forms: string[]): void {
  for (const [where, text] of texts) {
    for (const s of forms) expect(text.includes(s), `${where} contains a secret`).toBe(false);
    expect(JWT.exec(text)?.[0], `${where} contains a bearer token`).toBeUndefined();
  }
}

describe.each(['tls-basic', 'token'] as const)('%s registry as source and destination', (mode) => {
  const reg = useRegistry(mode);
  const proxy = useFaultProxy(() => reg());

  beforeAll(async () => {
    await seedRegistry(path.join(ws.dir, 'layout'), reg(), ws.layout.images);
  });

  const tlsFlags = (): string[] => (reg().caFile ? ['--ca-file', reg().caFile!] : ['--plain-http', reg().host]);

  it('keeps the password and tokens out of every output and written file (--json and --verbose)', async () => {
    const r = reg();
    await ws.setAuth([{ host: r.host, username: r.username!, password: r.password! }]);
    const outDir = path.join(ws.dir, `out-${mode}`);
    await mkdir(outDir, { recursive: true });
    const images = ws.layout.images.flatMap((i) => ['--image', `${r.host}/${repoTag(i)}`]);
    const runs = [
      await airlift(ws, ['--json', '--verbose', ...tlsFlags(), 'sync', ...images, '--to', `${r.host}/mirror`, '--lock-out', path.join(outDir, 'sync.lock.json'), '-o', 'json']),
      await airlift(ws, ['--verbose', ...tlsFlags(), 'sync', ...images, '--to', `${r.host}/mirror`]),
      await airlift(ws, ['--json', '--verbose', ...tlsFlags(), 'save', ...images, '-o', path.join(outDir, 'bundle.tar')]),
      await airlift(ws, ['--json', '--verbose', ...tlsFlags(), 'load', path.join(outDir, 'bundle.tar'), '--to', `${r.host}/loaded`, '--lock-out', path.join(outDir, 'load.lock.json')]),
    ];
    for (const run of runs) expect(run.code, run.stderr.split('\n').slice(-4).join('\n')).toBe(0);
    expect(await digestMismatches(r, 'mirror', ws.layout.images)).toEqual([]);
    expect(await digestMismatches(r, 'loaded', ws.layout.images)).toEqual([]);
    const texts: Array<[string, string]> = runs.flatMap((run, i): Array<[string, string]> => [
      [`run ${i} stdout`, run.stdout],
      [`run ${i} stderr`, run.stderr],
    ]);
    // The runs did log something (so the check is not vacuous).
    expect(runs[0]!.stderr.split('\n').length).toBeGreaterThan(3);
    expectNoSecrets([...texts, ...(await allFilesText(outDir)).filter(([p]) => !p.endsWith('auth.json'))], secretForms(r));
  });

  it('a wrong password is E_AUTH (exit 4) naming the registry, without echoing the password', async () => {
    const r = reg();
    const wrong = 'wrong-password-7f3a9c';
    await ws.setAuth([{ host: r.host, username: r.username!, password: wrong }]);
    const one = ws.layout.images[0]!;
    for (const argv of [
      [...tlsFlags(), 'sync', '--image', `${r.host}/${repoTag(one)}`, '--to', `${r.host}/mirror-wrong`],
      ['--json', ...tlsFlags(), 'save', '--image', `${r.host}/${repoTag(one)}`, '-o', path.join(ws.dir, `wrong-${mode}.tar`)],
    ]) {
      const res = await airlift(ws, argv);
      expect(res.code, res.stderr).toBe(4);
      expect(res.stderr).toContain('E_AUTH');
      expect(res.stderr).toContain(r.host);
      expect(res.stderr).not.toContain(wrong);
      expect(res.stderr).not.toContain(Buffer.from(`${r.username}:${wrong}`).toString('base64'));
    }
  });

  it('never sends the registry credentials to the host a blob download redirects to', async () => {
    const r = reg();
    const p = proxy();
    await ws.setAuth([{ host: p.host, username: r.username!, password: r.password! }]);
    const rule = p.addRule({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, fault: { kind: 'redirect' } });
    const images = ws.layout.images.flatMap((i) => ['--image', `${p.host}/${repoTag(i)}`]);
    const res = await airlift(ws, ['--plain-http', p.host, 'save', ...images, '-o', path.join(ws.dir, `redirected-${mode}.tar`)]);
    expect(res.code, res.stderr).toBe(0);
    expect(rule.applied()).toBeGreaterThan(3);
    const seen = p.redirected();
    expect(seen.length).toBeGreaterThanOrEqual(rule.applied());
    expect(seen.filter((x) => x.authorization).map((x) => x.path)).toEqual([]);
    expect(seen.every((x) => x.status === 200 || x.status === 206)).toBe(true);
    // The registry itself did get credentials (so the test would notice a leak).
    expect(p.requests().some((x) => x.authorization)).toBe(true);
  });
});
