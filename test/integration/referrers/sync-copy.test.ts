/**
 * Issue #20: signatures, attestations and SBOMs travel with their images in `sync` and `copy`,
 * registry to registry. Real docker-registry 2.8 (no referrers API: the fallback tag schema is
 * what it exercises), real cosign (sign, attest, verify against the mirror) and oras (attach a
 * referrer, discover), crane for tag lists.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedLayout } from '../../../fixtures/images/generate.js';
import type { StartedRegistry } from '../../harness/registry.js';
import { makeSigner, type Signer } from '../../harness/signing.js';
import { useFaultProxy } from '../../harness/use-fault-proxy.js';
import { useSeededPair } from '../../harness/use-seeded-pair.js';
import { runCli } from '../../helpers/io.js';
import { startServe } from '../../../src/serve/server.js';

let src: StartedRegistry;
let dst: StartedRegistry;
let tmp: string;
let layout: GeneratedLayout;
let s: Signer;
/** alpha's SBOM referrer (oras attach) at the source, and the signature on it. */
let sbom: string;
let preexisting: string;
/** More referrers of alpha, pushed to the mirror's fallback index at once by the sync (merged one after another). */
let extra: string[];
/** The bundle `save` wrote (the serve tests read it). */
let bundle: string;

const pair = useSeededPair('referrers');
// two ways to the mirror whose fallback-index writes can be held (a loaded machine's slow writer)
const toMirrorA = useFaultProxy(() => ({ url: `http://${pair().dst.host}` }));
const toMirrorB = useFaultProxy(() => ({ url: `http://${pair().dst.host}` }));
const image = (n: string) => layout.images.find((i) => i.name === `fixtures/${n}`)!;
const hexTag = (d: string) => d.replace(':', '-');

beforeAll(async () => {
  ({ src, dst, tmp, layout } = pair());
  s = await makeSigner(path.join(tmp, 'signer'));
  const alpha = `${src.host}/fixtures/alpha@${image('alpha').digest}`;
  await s.sign(alpha);
  await s.attest(alpha);
  sbom = await s.attach(alpha, 'application/spdx+json', '{"spdxVersion":"SPDX-2.3","name":"alpha"}');
  extra = [];
  for (const n of [1, 2, 3]) extra.push(await s.attach(alpha, `application/vnd.example.report${n}+json`, `{"report":${n}}`));
  // a signature on the SBOM: an attachment of an attachment
  await s.sign(`${src.host}/fixtures/alpha@${sbom}`);
  // the multi-platform index and each of its platforms signed
  await s.sign(`${src.host}/fixtures/multi@${image('multi').digest}`, { recursive: true });
  // the mirror already holds alpha with a referrer of its own: the sync must keep it listed
  const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'copy', '--no-referrers', `docker://${src.host}/fixtures/alpha:1.0`, `docker://${dst.host}/m/fixtures/alpha:1.0`]);
  expect(r.code, r.stderr).toBe(0);
  preexisting = await s.attach(`${dst.host}/m/fixtures/alpha:1.0`, 'application/vnd.example.scan+json', '{"scan":"clean"}');
}, 240_000);

describe('sync carries signatures, attestations and referrers', () => {
  it('copies every attachment byte for byte, keeps the mirror fallback index entry it had, and cosign verifies at the mirror', async () => {
    const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--image', `${src.host}/fixtures/alpha:1.0`, '--image', `${src.host}/fixtures/multi:1.0`, '--to', `${dst.host}/m`, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const alpha = image('alpha').digest;
    const srcTags = (await s.tags(`${src.host}/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
    const dstTags = (await s.tags(`${dst.host}/m/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
    expect(dstTags).toEqual(srcTags);
    expect(dstTags).toEqual(expect.arrayContaining([`${hexTag(alpha)}.sig`, `${hexTag(alpha)}.att`, hexTag(alpha), `${hexTag(sbom)}.sig`]));
    // cosign tags: same digests at both sides
    for (const t of dstTags.filter((x) => x.includes('.'))) {
      expect(await s.resolve(`${dst.host}/m/fixtures/alpha:${t}`), t).toBe(await s.resolve(`${src.host}/fixtures/alpha:${t}`));
    }
    // the SBOM referrer by digest, byte for byte, and the mirror's fallback index lists it and the referrer it had
    expect((await s.manifest(`${dst.host}/m/fixtures/alpha@${sbom}`)).equals(await s.manifest(`${src.host}/fixtures/alpha@${sbom}`))).toBe(true);
    const listed = await s.discover(`${dst.host}/m/fixtures/alpha@${alpha}`);
    expect(listed.map((d) => d.digest).sort()).toEqual([preexisting, sbom, ...extra].sort());
    await s.verify(`${dst.host}/m/fixtures/alpha@${alpha}`);
    await s.verify(`${dst.host}/m/fixtures/alpha@${sbom}`);
    // the index and each platform
    await s.verify(`${dst.host}/m/fixtures/multi@${image('multi').digest}`);
    for (const m of image('multi').manifests) await s.verify(`${dst.host}/m/fixtures/multi@${m.descriptor.digest}`);
  }, 240_000);

  it('a resync with nothing new copies nothing; a new signature and a new SBOM on the unchanged image are noticed and copied', async () => {
    const args = ['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--image', `${src.host}/fixtures/alpha:1.0`, '--to', `${dst.host}/m`, '-o', 'json'];
    const again = await runCli(args);
    expect(again.code, again.stderr).toBe(0);
    const rows = JSON.parse(again.stdout) as Array<{ status: string; referrers?: Array<{ status: string; tag?: string; digest: string }> }>;
    expect(rows[0]!.status).toBe('skipped');
    expect(rows[0]!.referrers!.length).toBeGreaterThanOrEqual(4);
    expect(rows[0]!.referrers!.every((x) => x.status === 'skipped')).toBe(true);

    const alpha = image('alpha').digest;
    const sigTag = `${hexTag(alpha)}.sig`;
    const before = await s.resolve(`${src.host}/fixtures/alpha:${sigTag}`);
    // a second signature, by another key (cosign does not sign twice with one key): the .sig manifest changes
    const other = await makeSigner(path.join(tmp, 'signer2'));
    await other.sign(`${src.host}/fixtures/alpha@${alpha}`);
    const after = await s.resolve(`${src.host}/fixtures/alpha:${sigTag}`);
    expect(after).not.toBe(before);
    const sbom2 = await s.attach(`${src.host}/fixtures/alpha@${alpha}`, 'application/vnd.cyclonedx+json', '{"bomFormat":"CycloneDX"}');
    const third = await runCli(args);
    expect(third.code, third.stderr).toBe(0);
    const row = (JSON.parse(third.stdout) as typeof rows)[0]!;
    expect(row.status).toBe('skipped');
    expect(row.referrers!.filter((x) => x.status === 'copied').map((x) => x.tag ?? x.digest).sort()).toEqual([sigTag, sbom2].sort());
    expect(await s.resolve(`${dst.host}/m/fixtures/alpha:${sigTag}`)).toBe(after);
    const listed = (await s.discover(`${dst.host}/m/fixtures/alpha@${alpha}`)).map((d) => d.digest).sort();
    expect(listed).toEqual([preexisting, sbom, sbom2, ...extra].sort());
    await s.verify(`${dst.host}/m/fixtures/alpha@${alpha}`);
    await other.verify(`${dst.host}/m/fixtures/alpha@${alpha}`);
  }, 240_000);

  it('--referrers-type sig copies the cosign signatures alone; --no-referrers the image alone', async () => {
    const base = ['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--image', `${src.host}/fixtures/alpha:1.0`];
    const r = await runCli([...base, '--to', `${dst.host}/typed`, '--referrers-type', 'sig']);
    expect(r.code, r.stderr).toBe(0);
    const alpha = image('alpha').digest;
    expect((await s.tags(`${dst.host}/typed/fixtures/alpha`)).sort()).toEqual(['1.0', `${hexTag(alpha)}.sig`]);
    const none = await runCli([...base, '--to', `${dst.host}/bare`, '--no-referrers']);
    expect(none.code, none.stderr).toBe(0);
    expect(await s.tags(`${dst.host}/bare/fixtures/alpha`)).toEqual(['1.0']);
  }, 240_000);
});

describe('copy carries them too', () => {
  it('copy docker:// to docker:// brings the signatures, attestation and SBOM referrer; cosign verifies the copy', async () => {
    const alpha = image('alpha').digest;
    const r = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'copy', `docker://${src.host}/fixtures/alpha:1.0`, `docker://${dst.host}/copied/alpha:1.0`]);
    expect(r.code, r.stderr).toBe(0);
    const srcTags = (await s.tags(`${src.host}/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
    expect((await s.tags(`${dst.host}/copied/alpha`)).filter((t) => t.startsWith('sha256-')).sort()).toEqual(srcTags);
    for (const t of srcTags.filter((x) => x.includes('.'))) expect(await s.resolve(`${dst.host}/copied/alpha:${t}`), t).toBe(await s.resolve(`${src.host}/fixtures/alpha:${t}`));
    const listed = (await s.discover(`${dst.host}/copied/alpha@${alpha}`)).map((d) => d.digest).sort();
    expect(listed).toEqual((await s.discover(`${src.host}/fixtures/alpha@${alpha}`)).map((d) => d.digest).sort());
    await s.verify(`${dst.host}/copied/alpha@${alpha}`);
    await s.verify(`${dst.host}/copied/alpha@${sbom}`);
  }, 240_000);

  it('through an oci: layout directory and back out of it', async () => {
    const alpha = image('alpha').digest;
    const dir = path.join(tmp, 'oci-signed');
    const into = await runCli(['--plain-http', src.host, 'copy', `docker://${src.host}/fixtures/alpha:1.0`, `oci:${dir}:example.com/app:1.0`]);
    expect(into.code, into.stderr).toBe(0);
    const out = await runCli(['--plain-http', dst.host, 'copy', `oci:${dir}:example.com/app:1.0`, `docker://${dst.host}/fromdir/app:1.0`]);
    expect(out.code, out.stderr).toBe(0);
    const srcTags = (await s.tags(`${src.host}/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
    expect((await s.tags(`${dst.host}/fromdir/app`)).filter((t) => t.startsWith('sha256-')).sort()).toEqual(srcTags);
    expect((await s.discover(`${dst.host}/fromdir/app@${alpha}`)).map((d) => d.digest).sort()).toEqual((await s.discover(`${src.host}/fixtures/alpha@${alpha}`)).map((d) => d.digest).sort());
    await s.verify(`${dst.host}/fromdir/app@${alpha}`);
  }, 240_000);
});

describe('concurrent runs adding to one fallback index', () => {
  it('four copies at once, each carrying another referrer of the same image, leave all four listed at the mirror', async () => {
    const alpha = image('alpha').digest;
    const types = ['application/spdx+json', 'application/vnd.example.report1+json', 'application/vnd.example.report2+json', 'application/vnd.example.report3+json'];
    const runs = await Promise.all(
      types.map((t) => runCli(['--plain-http', src.host, '--plain-http', dst.host, 'copy', '--referrers-type', t, `docker://${src.host}/fixtures/alpha:1.0`, `docker://${dst.host}/race/alpha:1.0`])),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const listed = await s.discover(`${dst.host}/race/alpha@${alpha}`);
    expect(listed.map((d) => d.digest).sort()).toEqual([sbom, ...extra].sort());
  }, 240_000);

  it('a writer whose stale index lands 0.7 s after it read (the read-back used to come 0.1-0.2 s after a write) takes no other run\'s entry out: both exit 0, both listed', async () => {
    // No registry offers a conditional write: another run's index, read before ours landed, may land
    // after it. Under a load average of 28 that outran a 0.1-0.2 s read-back, and a run exited 0 with
    // its entry gone. Here run A's write is held 0.3 s and run B's 0.7 s (both read the index before
    // A's write lands), so B's stale index replaces A's; A reads back after the settle window
    // (src/registry/referrers.ts: at least 1 s), sees its entry gone and merges again. A writer slower
    // than that window can still win the race: not airtight without a conditional write.
    const alpha = image('alpha').digest;
    const held = (ms: number) => ({ method: 'PUT', path: new RegExp(`/manifests/${hexTag(alpha)}$`), fault: { kind: 'stall' as const, ms } });
    const a = toMirrorA().addRule(held(300));
    const b = toMirrorB().addRule(held(700));
    const run = (mirror: string, type: string) =>
      runCli(['--plain-http', src.host, '--plain-http', mirror, 'copy', '--referrers-type', type, `docker://${src.host}/fixtures/alpha:1.0`, `docker://${mirror}/slow/alpha:1.0`]);
    const runs = await Promise.all([run(toMirrorA().host, 'application/vnd.example.report1+json'), run(toMirrorB().host, 'application/vnd.example.report2+json')]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect([a.applied(), b.applied()]).toEqual([1, 1]);
    const listed = (await s.discover(`${dst.host}/slow/alpha@${alpha}`)).map((d) => d.digest);
    expect(listed.sort()).toEqual([extra[0]!, extra[1]!].sort());
  }, 240_000);

  // Another writer's stale index (read before this run's write) landing just after this run's
  // read-back: what the settle window cannot catch. The stale writer is the test itself, putting
  // the index it read before the run back onto the real registry the moment the run has read its
  // entry back, as a slower concurrent run's read-merge-write would.
  const staleWriter = async (repo: string, fromRun: string) => {
    const alpha = image('alpha').digest;
    const url = `http://${dst.host}/v2/${repo}/manifests/${hexTag(alpha)}`;
    const before = await fetch(url, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    expect(before.status).toBe(200);
    const stale = Buffer.from(await before.arrayBuffer());
    const proxy = toMirrorA();
    const tagPath = new RegExp(`/v2/${repo}/manifests/${hexTag(alpha)}$`);
    const put = await proxy.waitFor((q) => q.method === 'PUT' && tagPath.test(q.path) && q.status === 201, 120_000);
    await proxy.waitFor((q) => q.method === 'GET' && tagPath.test(q.path) && q.seq > put.seq, 120_000);
    const w = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: stale });
    expect(w.status, fromRun).toBe(201);
    return stale;
  };

  it('a stale index put back right after the run read its entry back: the end-of-run re-check finds the entry gone, merges it in again, exit 0 with both listed', async () => {
    const alpha = image('alpha').digest;
    const first = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'copy', '--referrers-type', 'application/vnd.example.report2+json', `docker://${src.host}/fixtures/alpha:1.0`, `docker://${dst.host}/stale/alpha:1.0`]);
    expect(first.code, first.stderr).toBe(0);
    const mirror = toMirrorA().host;
    const [r] = await Promise.all([
      runCli(['--plain-http', src.host, '--plain-http', mirror, 'copy', '--referrers-type', 'application/vnd.example.report1+json', `docker://${src.host}/fixtures/alpha:1.0`, `docker://${mirror}/stale/alpha:1.0`]),
      staleWriter('stale/alpha', 'the stale write'),
    ]);
    expect(r!.code, r!.stderr).toBe(0);
    const listed = (await s.discover(`${dst.host}/stale/alpha@${alpha}`)).map((d) => d.digest);
    expect(listed.sort()).toEqual([extra[0]!, extra[1]!].sort());
  }, 240_000);

  it('an entry that cannot be made to hold (every read of the index after the run\'s write lacks it) fails the run: non-zero exit naming the tag and what to do', async () => {
    const alpha = image('alpha').digest;
    const first = await runCli(['--plain-http', src.host, '--plain-http', dst.host, 'copy', '--referrers-type', 'application/vnd.example.report2+json', `docker://${src.host}/fixtures/alpha:1.0`, `docker://${dst.host}/lost/alpha:1.0`]);
    expect(first.code, first.stderr).toBe(0);
    const mirror = toMirrorA().host;
    const run = runCli(['--plain-http', src.host, '--plain-http', mirror, 'copy', '--referrers-type', 'application/vnd.example.report1+json', `docker://${src.host}/fixtures/alpha:1.0`, `docker://${mirror}/lost/alpha:1.0`]);
    // from the run's first read-back on, every read of the index answers the index without its entry
    const stale = await staleWriter('lost/alpha', 'the stale write');
    const rule = toMirrorA().addRule({
      method: 'GET',
      path: new RegExp(`/v2/lost/alpha/manifests/${hexTag(alpha)}$`),
      times: Infinity,
      fault: { kind: 'respond', status: 200, headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: stale },
    });
    const r = await run;
    expect(rule.applied()).toBeGreaterThan(1);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain(`lost/alpha:${hexTag(alpha)}`);
    expect(r.stderr).toMatch(/re-run/);
    expect(r.stderr).toContain(extra[0]!);
  }, 240_000);
});

describe('--platform on a signed index', () => {
  it('warns that the index signature cannot hold, copies the kept platform with its signature; --strict fails (exit 12)', async () => {
    const multi = image('multi');
    const amd64 = multi.manifests.find((m) => m.platform.architecture === 'amd64')!.descriptor.digest;
    const arm64 = multi.manifests.find((m) => m.platform.architecture === 'arm64')!.descriptor.digest;
    const args = ['--plain-http', src.host, '--plain-http', dst.host, 'sync', '--image', `${src.host}/fixtures/multi:1.0`, '--platform', 'linux/amd64'];
    const r = await runCli([...args, '--to', `${dst.host}/filtered`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the index ${multi.digest} has 1 attachment(s)`);
    expect(r.stderr).toContain('cannot hold at the mirror');
    await s.verify(`${dst.host}/filtered/fixtures/multi@${amd64}`);
    const tags = await s.tags(`${dst.host}/filtered/fixtures/multi`);
    expect(tags).toContain(`${hexTag(amd64)}.sig`);
    expect(tags).not.toContain(`${hexTag(arm64)}.sig`);
    expect(tags).not.toContain(`${hexTag(multi.digest)}.sig`);
    const strict = await runCli([...args, '--to', `${dst.host}/strict`, '--strict']);
    expect(strict.code, strict.stderr).toBe(12);
    expect(strict.stderr).toContain('cannot hold at the mirror');
  }, 240_000);
});

describe('save + load carry them through a bundle', () => {
  it('the bundle names cosign tags REPO:sha256-<hex>.sig and lists referrers by subject; the lock lists them per image; load pushes them and cosign verifies', async () => {
    const alpha = image('alpha').digest;
    bundle = path.join(tmp, 'signed.tar');
    const saved = await runCli(['--plain-http', src.host, 'save', '--image', `${src.host}/fixtures/alpha:1.0`, '--image', `${src.host}/fixtures/multi:1.0`, '-o', bundle]);
    expect(saved.code, saved.stderr).toBe(0);
    const index = JSON.parse(execFileSync('tar', ['-xOf', bundle, 'index.json'], { encoding: 'utf8' })) as { manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }> };
    const names = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter(Boolean);
    expect(names).toEqual(expect.arrayContaining([`${src.host}/fixtures/alpha:1.0`, `${src.host}/fixtures/alpha:${hexTag(alpha)}.sig`, `${src.host}/fixtures/alpha:${hexTag(alpha)}.att`, `${src.host}/fixtures/multi:${hexTag(image('multi').digest)}.sig`]));
    const srcReferrers = (await s.discover(`${src.host}/fixtures/alpha@${alpha}`)).map((d) => d.digest).sort();
    const inBundle = index.manifests.filter((m) => m.annotations?.['io.airlift.referrer.subject'] === alpha);
    expect(inBundle.map((m) => m.digest).sort()).toEqual(srcReferrers);
    expect(inBundle.find((m) => m.digest === sbom)?.artifactType).toBe('application/spdx+json');
    const lock = JSON.parse(execFileSync('tar', ['-xOf', bundle, 'airlift.lock.json'], { encoding: 'utf8' })) as { images: Array<{ source: string; referrers?: Array<{ subject: string; digest: string; tag?: string }> }> };
    const alphaLock = lock.images.find((i) => i.source.endsWith('fixtures/alpha:1.0'))!;
    expect(alphaLock.referrers!.filter((r) => r.subject === alpha && !r.tag).map((r) => r.digest).sort()).toEqual(srcReferrers);
    expect(alphaLock.referrers!.map((r) => r.tag).filter(Boolean)).toEqual(expect.arrayContaining([`${hexTag(alpha)}.sig`, `${hexTag(alpha)}.att`, `${hexTag(sbom)}.sig`]));
    expect(lock.images).toHaveLength(2); // attachments are not images of their own

    const loaded = await runCli(['--plain-http', dst.host, 'load', bundle, '--to', `${dst.host}/loaded`, '-o', 'json']);
    expect(loaded.code, loaded.stderr).toBe(0);
    expect((JSON.parse(loaded.stdout) as unknown[]).length).toBe(2);
    const repo = `${dst.host}/loaded/fixtures/alpha`;
    const srcTags = (await s.tags(`${src.host}/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
    expect((await s.tags(repo)).filter((t) => t.startsWith('sha256-')).sort()).toEqual(srcTags);
    for (const t of srcTags.filter((x) => x.includes('.'))) expect(await s.resolve(`${repo}:${t}`), t).toBe(await s.resolve(`${src.host}/fixtures/alpha:${t}`));
    expect((await s.discover(`${repo}@${alpha}`)).map((d) => d.digest).sort()).toEqual(srcReferrers);
    expect((await s.manifest(`${repo}@${sbom}`)).equals(await s.manifest(`${src.host}/fixtures/alpha@${sbom}`))).toBe(true);
    await s.verify(`${repo}@${alpha}`);
    await s.verify(`${repo}@${sbom}`);
    await s.verify(`${dst.host}/loaded/fixtures/multi@${image('multi').digest}`);

    // verify: the bundle in place, and the registry against it (attachments included)
    const inPlace = await runCli(['verify', bundle]);
    expect(inPlace.code, inPlace.stderr).toBe(0);
    const against = await runCli(['--plain-http', dst.host, 'verify', '--to', `${dst.host}/loaded`, bundle]);
    expect(against.code, against.stderr + against.stdout).toBe(0);
    const bare = await runCli(['--plain-http', dst.host, 'load', bundle, '--to', `${dst.host}/noref`, '--no-referrers']);
    expect(bare.code, bare.stderr).toBe(0);
    expect((await s.tags(`${dst.host}/noref/fixtures/alpha`)).sort()).toEqual(['1.0']);
    const lacking = await runCli(['--plain-http', dst.host, 'verify', '--to', `${dst.host}/noref`, bundle]);
    expect(lacking.code).toBe(5);
    expect(lacking.stderr).toContain(`noref/fixtures/alpha:${hexTag(alpha)}.sig is missing`);
    expect(lacking.stderr).toContain(`noref/fixtures/alpha@${sbom} (application/spdx+json of ${alpha}) is missing`);
  }, 240_000);
});

describe('serve answers the referrers API from the bundle, and is a source for copy and sync', () => {
  it('lists referrers (artifactType filter, OCI-Filters-Applied); oras discovers them; copy and sync from it carry everything and cosign verifies', async () => {
    const alpha = image('alpha').digest;
    const multi = image('multi').digest;
    const server = await startServe({ bundle, listen: '127.0.0.1:0' });
    try {
      const host = server.address;
      const srcReferrers = (await s.discover(`${src.host}/fixtures/alpha@${alpha}`)).map((d) => d.digest).sort();
      const all = await fetch(`http://${host}/v2/fixtures/alpha/referrers/${alpha}`);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json');
      expect(all.headers.get('oci-filters-applied')).toBeNull();
      const listed = (await all.json()) as { mediaType: string; manifests: Array<{ digest: string; artifactType?: string; annotations?: Record<string, string> }> };
      expect(listed.manifests.map((d) => d.digest).sort()).toEqual(srcReferrers);
      expect(listed.manifests.every((d) => d.artifactType && !Object.keys(d.annotations ?? {}).some((k) => k.startsWith('io.airlift.')))).toBe(true);
      const spdx = await fetch(`http://${host}/v2/fixtures/alpha/referrers/${alpha}?artifactType=${encodeURIComponent('application/spdx+json')}`);
      expect(spdx.headers.get('oci-filters-applied')).toBe('artifactType');
      expect(((await spdx.json()) as { manifests: Array<{ digest: string }> }).manifests.map((d) => d.digest)).toEqual([sbom]);
      expect((await s.discover(`${host}/fixtures/alpha@${alpha}`)).map((d) => d.digest).sort()).toEqual(srcReferrers);

      const copied = await runCli(['--plain-http', host, '--plain-http', dst.host, 'copy', `docker://${host}/fixtures/alpha:1.0`, `docker://${dst.host}/fromserve/alpha:1.0`]);
      expect(copied.code, copied.stderr).toBe(0);
      const srcTags = (await s.tags(`${src.host}/fixtures/alpha`)).filter((t) => t.startsWith('sha256-')).sort();
      expect((await s.tags(`${dst.host}/fromserve/alpha`)).filter((t) => t.startsWith('sha256-')).sort()).toEqual(srcTags);
      expect((await s.discover(`${dst.host}/fromserve/alpha@${alpha}`)).map((d) => d.digest).sort()).toEqual(srcReferrers);
      await s.verify(`${dst.host}/fromserve/alpha@${alpha}`);
      await s.verify(`${dst.host}/fromserve/alpha@${sbom}`);

      const synced = await runCli(['--plain-http', host, '--plain-http', dst.host, 'sync', '--image', `${host}/fixtures/multi:1.0`, '--to', `${dst.host}/fromserve`]);
      expect(synced.code, synced.stderr).toBe(0);
      await s.verify(`${dst.host}/fromserve/fixtures/multi@${multi}`);
      for (const m of image('multi').manifests) await s.verify(`${dst.host}/fromserve/fixtures/multi@${m.descriptor.digest}`);
    } finally {
      await server.close();
    }
  }, 240_000);
});
