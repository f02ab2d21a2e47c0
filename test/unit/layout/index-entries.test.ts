import { describe, expect, it } from 'vitest';
import { IndexEntries, emptyLayoutIndex, findEntry, namedDescriptor, setIndexEntry } from '../../../src/layout/index-json.js';
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, type Descriptor } from '../../../src/oci/types.js';

const digest = (i: number): string => `sha256:${i.toString(16).padStart(64, '0')}`;

/** A small deterministic generator (the same sequence every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('IndexEntries', () => {
  it('answers as setIndexEntry and findEntry over the array do, for named, containerd-only, unnamed and replaced entries', () => {
    const rand = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const repos = ['', 'reg/a', 'reg/b', 'c'];
    const refs = ['1.0', '2.0', 'latest', digest(1), digest(2), digest(3)];
    const array = emptyLayoutIndex();
    const entries = new IndexEntries();
    let finds = 0;
    for (let step = 0; step < 2000; step++) {
      const d = digest(1 + Math.floor(rand() * 4));
      const kind = rand();
      let desc: Descriptor;
      if (kind < 0.5) desc = namedDescriptor(pick(repos), { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, bytes: new Uint8Array(10) }, pick(refs.slice(0, 3)));
      else if (kind < 0.65) desc = { mediaType: 'm', digest: d, size: 1, annotations: { [ANNOTATION_CONTAINERD_NAME]: `${pick(repos.slice(1))}:${pick(refs.slice(0, 3))}` } };
      else if (kind < 0.8) desc = { mediaType: 'm', digest: d, size: 2, annotations: { [ANNOTATION_REF_NAME]: pick(refs.slice(0, 3)), [ANNOTATION_CONTAINERD_NAME]: `reg/a:${pick(refs.slice(0, 3))}` } };
      else desc = { mediaType: 'm', digest: d, size: 3 + step, annotations: { 'x.subject': d } };
      setIndexEntry(array, desc);
      entries.set(desc);
      expect(entries.index().manifests).toEqual(array.manifests);
      for (const repo of repos) {
        for (const ref of [...refs, '']) {
          expect(entries.find(repo, ref)).toBe(findEntry(array, repo, ref));
          finds++;
        }
      }
    }
    expect(finds).toBe(2000 * 4 * 7);
  });

  it('holds 20,000 images, each looked up before it is set, as a save asks', () => {
    const entries = new IndexEntries();
    for (let i = 0; i < 20000; i++) {
      const repo = `reg/app-${i}`;
      expect(entries.find(repo, '1.0')).toBeUndefined();
      entries.set(namedDescriptor(repo, { mediaType: 'm', digest: digest(i), bytes: new Uint8Array(1) }, '1.0'));
    }
    expect(entries.find('reg/app-19999', '1.0')?.digest).toBe(digest(19999));
    expect(entries.find('x', digest(5))?.digest).toBe(digest(5));
    expect(entries.index().manifests).toHaveLength(20000);
  });
});
