/** Locks with what travels with images (issue #20): validated, written in canonical order, and diffed. */
import { describe, expect, it } from 'vitest';
import { diffLocks, formatDiffText, isEmptyDiff } from '../../../src/lock/diff.js';
import type { LockReferrer } from '../../../src/lock/types.js';
import { formatLock, validateLock } from '../../../src/lock/validate.js';
import { dg, img, lock } from './fixtures.js';

const subject = dg('a');
const sig = (seed: string): LockReferrer => ({ subject, tag: `sha256-${subject.slice(7)}.sig`, digest: dg(seed), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10 });
const sbom: LockReferrer = { subject, digest: dg('sbom'), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 20, artifactType: 'application/spdx+json' };

describe('lock referrers', () => {
  it('round-trip through validation in canonical order', () => {
    const l = lock([img('docker.io/a/a:1', 'a', { referrers: [sbom, sig('sig1')] })]);
    const text = formatLock(l);
    const back = validateLock(JSON.parse(text) as unknown, 'x.lock.json');
    // sorted by subject, then tag (a referrer has none: first), then digest
    expect(back.images[0]!.referrers!.map((r) => r.digest)).toEqual([dg('sbom'), dg('sig1')]);
    expect(back.images[0]!.referrers![0]).toEqual(sbom);
    expect(Object.keys(back.images[0]!.referrers![0]!)[0]).toBe('subject');
  });

  it('a malformed entry is refused, naming the field', () => {
    const bad = JSON.parse(formatLock(lock([img('docker.io/a/a:1', 'a', { referrers: [sbom] })]))) as { images: Array<{ referrers: Array<Record<string, unknown>> }> };
    bad.images[0]!.referrers[0]!.digest = 'sha256:nothex';
    expect(() => validateLock(bad, 'x.lock.json')).toThrow(/images\[0\]\.referrers\[0\]\.digest/);
  });

  it('diff: a new signature on an unchanged image is a change, with the attachments added and removed', () => {
    const before = lock([img('docker.io/a/a:1', 'a', { referrers: [sig('sig1'), sbom] })]);
    const after = lock([img('docker.io/a/a:1', 'a', { referrers: [sig('sig2'), sbom] })]);
    const d = diffLocks(before, after);
    expect(isEmptyDiff(d)).toBe(false);
    expect(d.changed[0]!.referrers).toEqual({ added: [`${sig('sig2').tag}@${dg('sig2')}`], removed: [`${sig('sig1').tag}@${dg('sig1')}`] });
    expect(formatDiffText(d)).toContain(`(attachments +${sig('sig2').tag}@${dg('sig2')} -${sig('sig1').tag}@${dg('sig1')})`);
    expect(isEmptyDiff(diffLocks(before, before))).toBe(true);
  });
});
