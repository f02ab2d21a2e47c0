/**
 * The pull Secret `airlift relocate --secret-out` writes is accepted by the
 * registry client as credentials (`--auth-from-secret`) against a real
 * htpasswd + TLS registry (the harness's tls-basic mode): relocate resolves
 * the mirror's digests with it (`--digests` without a lock), and `copy`
 * pulls the image with it. Without it, the same pull is refused (E_AUTH).
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateLayout, seedRegistry } from '../../../fixtures/images/generate.js';
import type { GeneratedImage } from '../../../fixtures/images/spec.js';
import { useRegistry } from '../../harness/use-registry.js';
import { runCli } from '../../helpers/io.js';

const reg = useRegistry('tls-basic');
let work = '';
let chart = '';
let image: GeneratedImage;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'airlift-relocate-secret-'));
  const layout = await generateLayout(path.join(work, 'layout'), [
    { name: 'fixtures/relocated', tag: '1.0', format: 'oci', layers: [{ size: 8 * 1024 }] },
  ]);
  image = layout.images[0]!;
  // The mirror holds the image where relocate maps it: HOST/airgap/fixtures/relocated:1.0.
  await seedRegistry(path.join(work, 'layout'), reg(), [image], { repositoryPrefix: 'airgap' });
  chart = path.join(work, 'chart');
  await mkdir(chart);
  await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: app\nversion: 0.1.0\nappVersion: "1.0"\n');
  await writeFile(
    path.join(chart, 'values.yaml'),
    ['image:', '  registry: registry.example.com', `  repository: ${image.name}`, `  tag: "${image.tag}"`, 'imagePullSecrets: []', ''].join('\n'),
  );
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('relocate --secret-out against an htpasswd + TLS registry', () => {
  it('writes a Secret the registry client accepts with --auth-from-secret', async () => {
    const r = reg();
    if (!r.caFile || !r.username || !r.password) throw new Error('tls-basic registry without CA or credentials');
    const target = `${r.host}/airgap`;
    const secret = path.join(work, 'mirror-pull.yaml');
    const overrides = path.join(work, 'overrides.yaml');
    const tls = ['--ca-file', r.caFile];

    const wrote = await runCli(
      [...tls, 'relocate', chart, '--to', target, '--pull-secret', 'mirror-pull', '--secret-out', secret, '--username', r.username, '--password-stdin', '-o', overrides],
      { stdin: `${r.password}\n` },
    );
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(wrote.stdout + wrote.stderr).not.toContain(r.password);
    expect((await stat(secret)).mode & 0o777).toBe(0o600);
    const doc = parse(await readFile(secret, 'utf8')) as { data: Record<string, string> };
    expect(Buffer.from(doc.data['ca.crt']!, 'base64').toString()).toBe(await readFile(r.caFile, 'utf8'));
    expect((parse(await readFile(overrides, 'utf8')) as { imagePullSecrets: unknown }).imagePullSecrets).toEqual([{ name: 'mirror-pull' }]);

    // Without credentials the mirror refuses: the digests cannot be resolved.
    const refused = await runCli([...tls, 'relocate', chart, '--to', target, '--digests', '-o', path.join(work, 'refused.yaml')]);
    expect(refused.code, refused.stderr).toBe(4);

    // With the Secret, relocate resolves the digest from the mirror and pins it.
    const pinned = path.join(work, 'pinned.yaml');
    const withSecret = await runCli([...tls, '--auth-from-secret', secret, 'relocate', chart, '--to', target, '--digests', '-o', pinned]);
    expect(withSecret.code, withSecret.stderr).toBe(0);
    const values = parse(await readFile(pinned, 'utf8')) as { image: { registry: string; tag: string } };
    expect(values.image).toEqual({ registry: target, tag: `${image.tag}@${image.digest}` });

    // And a pull of the whole image (manifest and blobs) with the Secret succeeds.
    const copied = await runCli([...tls, '--auth-from-secret', secret, 'copy', `docker://${target}/${image.name}:${image.tag}`, `oci:${path.join(work, 'pulled')}`]);
    expect(copied.code, copied.stderr).toBe(0);
    const index = JSON.parse(await readFile(path.join(work, 'pulled', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toContain(image.digest);
  });
});
