/**
 * Bad bundles given to `verify` and `load` (a real registry as the target):
 * each gets the documented exit code and a message naming the bundle and
 * what is wrong; no manifest is pushed (blobs before manifests: some blobs
 * may have landed, never a manifest or tag), and
 * nothing is ever created outside the bundle's directory (the archive is
 * read in place, never extracted).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleBundle, tarBytes, replaceEntry, type BundleEntry } from '../../helpers/bundle.js';
import { runCli } from '../../helpers/io.js';
import { useRegistry } from '../../harness/use-registry.js';
import { scratch, type Scratch } from '../../unit/bad-input/fixtures.js';
import { catalog, manifestStatus } from '../../harness/workspace.js';
import { sha256Digest } from '../../helpers/digest.js';

let s: Scratch;
const outside = `/tmp/airlift-escape-${randomBytes(6).toString('hex')}`;
beforeAll(async () => {
  s = await scratch('airlift-bad-bundles-');
});
afterAll(async () => {
  await s?.remove();
});

const sample = sampleBundle();
const hexOf = (d: string): string => d.slice('sha256:'.length);
const MiB = 1024 * 1024;

/** A bundle whose only image's manifest is `manifest` (a valid digest of those bytes). */
function withManifest(manifest: Buffer): BundleEntry[] {
  const digest = sha256Digest(manifest);
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': sample.ref } }],
  };
  return [...replaceEntry(sample.entries, 'index.json', JSON.stringify(index)), { name: `blobs/sha256/${hexOf(digest)}`, body: manifest }];
}

function indexWithDigest(digest: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 100, annotations: { 'org.opencontainers.image.ref.name': sample.ref } }],
  });
}

interface Case {
  name: string;
  bytes: () => Promise<Buffer | null>;
  code: number;
  /** verify gathers the problems it finds in a bundle it could open into one E_BUNDLE (exit 6). */
  verifyCode?: number;
  says: RegExp;
}

const valid = (): Promise<Buffer> => tarBytes(sample.entries);

const CASES: Case[] = [
  { name: 'not a tar (text)', bytes: async () => Buffer.from('hello, this is not a bundle\n'.repeat(40)), code: 6, says: /not a tar/ },
  { name: 'a gzip-compressed bundle cut short', bytes: async () => { const gz = gzipSync(await valid()); return gz.subarray(0, gz.length >> 1); }, code: 6, says: /gzip/ },
  { name: 'an empty file', bytes: async () => Buffer.alloc(0), code: 6, says: /empty/ },
  { name: 'a path that does not exist', bytes: async () => null, code: 5, says: /does not exist/ },
  { name: 'truncated in the middle of a blob', bytes: async () => (await valid()).subarray(0, 4096 + 700), code: 6, says: /truncated/ },
  { name: 'a "../" entry', bytes: () => tarBytes([...sample.entries, { name: `../../../..${outside}`, body: 'x' }]), code: 6, says: /\.\./ },
  { name: 'an absolute path', bytes: () => tarBytes([...sample.entries, { name: outside, body: 'x' }]), code: 6, says: /absolute/ },
  { name: 'a symlink pointing outside', bytes: () => tarBytes([...sample.entries, { name: 'blobs/evil', type: 'symlink', linkname: outside }]), code: 6, says: /symbolic link/ },
  { name: 'a symlink with ../', bytes: () => tarBytes([...sample.entries, { name: 'evil', type: 'symlink', linkname: '../../../etc/passwd' }]), code: 6, says: /symbolic link/ },
  { name: 'a hard link', bytes: () => tarBytes([...sample.entries, { name: 'evil', type: 'link', linkname: 'oci-layout' }]), code: 6, says: /hard link/ },
  { name: 'a missing blob', bytes: () => tarBytes(replaceEntry(sample.entries, `blobs/sha256/${hexOf(sample.layerDigest)}`, null)), code: 6, says: new RegExp(sample.layerDigest) },
  { name: 'a missing manifest', bytes: () => tarBytes(replaceEntry(sample.entries, `blobs/sha256/${hexOf(sample.manifestDigest)}`, null)), code: 6, says: new RegExp(sample.manifestDigest) },
  { name: 'index.json that is not JSON', bytes: () => tarBytes(replaceEntry(sample.entries, 'index.json', '{"schemaVersion": 2, "manifests": [')), code: 6, says: /index\.json.*JSON/ },
  { name: 'index.json that is a list', bytes: () => tarBytes(replaceEntry(sample.entries, 'index.json', '[]')), code: 6, says: /index\.json/ },
  { name: 'no oci-layout file', bytes: () => tarBytes(replaceEntry(sample.entries, 'oci-layout', null)), code: 6, says: /oci-layout/ },
  { name: 'a manifest over 4 MiB', bytes: () => tarBytes(withManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(4 * MiB + 10) })))), code: 9, says: /4194304|4 MiB|limit/ },
  { name: 'an unsupported digest algorithm in index.json', bytes: () => tarBytes(replaceEntry(sample.entries, 'index.json', indexWithDigest(`md5:${'a'.repeat(32)}`))), code: 9, says: /md5/ },
  {
    name: 'an unsupported digest algorithm in a manifest',
    bytes: () => {
      const m = JSON.parse(sample.manifest.toString()) as { layers: Array<{ digest: string }> };
      m.layers[0]!.digest = `md5:${'b'.repeat(32)}`;
      return tarBytes(withManifest(Buffer.from(JSON.stringify(m))));
    },
    code: 9,
    verifyCode: 6,
    says: /md5/,
  },
];

describe('bad bundles', () => {
  const reg = useRegistry('plain');

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await s.tree();
    const bytes = await c.bytes();
    const file = bytes === null ? `${s.dir}/missing.tar` : await s.file(`case-${CASES.indexOf(c)}.tar`, bytes);
    const env = { HOME: s.dir };

    const v = await runCli(['verify', file], { env, cwd: s.dir });
    expect(v.code, v.stderr).toBe(c.verifyCode ?? c.code);
    expect(v.stderr).toContain(file);
    expect(v.stderr).toMatch(c.says);

    const prefix = `loaded${CASES.indexOf(c)}`;
    const l = await runCli(['--plain-http', reg().host, 'load', file, '--to', `${reg().host}/${prefix}`], { env, cwd: s.dir });
    expect(l.code, l.stderr).toBe(c.code);
    // load names the bundle, or the image of the bundle that failed.
    expect(l.stderr.includes(file) || l.stderr.includes(sample.ref), l.stderr).toBe(true);
    expect(l.stderr).toMatch(c.says);

    // Blobs may have been pushed before the failure; no manifest, no tag.
    expect(await manifestStatus(reg(), `${prefix}/team/app`, '1.0')).toBe(404);
    expect(existsSync(outside)).toBe(false);
    const added = bytes === null ? [] : [file.slice(s.dir.length + 1)];
    expect(await s.tree()).toEqual([...before, ...added].sort());
  });

  it('the unmodified bundle verifies and loads (the cases above differ from it only in what they break)', async () => {
    const file = await s.file('valid.tar', await valid());
    const v = await runCli(['verify', file], { env: { HOME: s.dir } });
    expect(v.code, v.stderr).toBe(0);
    const l = await runCli(['--plain-http', reg().host, 'load', file, '--to', `${reg().host}/ok`], { env: { HOME: s.dir } });
    expect(l.code, l.stderr).toBe(0);
    expect(await catalog(reg())).toContain('ok/team/app');
    expect(await manifestStatus(reg(), 'ok/team/app', '1.0')).toBe(200);
  });
});
