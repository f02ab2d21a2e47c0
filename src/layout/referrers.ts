/**
 * What travels with images inside a layout (a bundle): cosign tags are ordinary named entries
 * (`REPO:sha256-<hex>.sig`); a referrer (a manifest with a `subject`, stored by digest) is an
 * index.json entry without a ref name, carrying its artifactType and two annotations naming its
 * repository and subject, so that `load` and `serve` find it again. Pure.
 */
import { ANNOTATION_REF_NAME, type Descriptor, type RawManifest } from '../oci/types.js';
import { digestOfAttachmentTag, referrerDescriptor, subjectOf } from '../oci/referrers.js';
import { splitRefName, type NamedEntry } from './index-json.js';

export const ANNOTATION_REFERRER_REPOSITORY = 'io.airlift.referrer.repository';
export const ANNOTATION_REFERRER_SUBJECT = 'io.airlift.referrer.subject';

/** The index.json entry for a referrer stored in `repo`, or undefined when the manifest names no subject. */
export function referrerEntry(repo: string, manifest: RawManifest): Descriptor | undefined {
  const subject = subjectOf(manifest);
  if (!subject) return undefined;
  const d = referrerDescriptor(manifest);
  return { ...d, annotations: { ...d.annotations, [ANNOTATION_REFERRER_REPOSITORY]: repo, [ANNOTATION_REFERRER_SUBJECT]: subject.digest } };
}

/** Whether an index entry is an attachment (a cosign tag or a referrer) rather than an image to push. */
export function isAttachmentEntry(e: NamedEntry): boolean {
  if (e.descriptor.annotations?.[ANNOTATION_REFERRER_SUBJECT] !== undefined) return true;
  const name = e.refName ?? e.containerdName;
  return name !== undefined && digestOfAttachmentTag(splitRefName(name).reference) !== undefined;
}

/** The tags the layout names in `repo` (its ref names `repo:tag`). */
export function layoutTags(entries: readonly NamedEntry[], repo: string): string[] {
  const tags = new Set<string>();
  for (const e of entries) {
    const name = e.refName ?? e.containerdName;
    if (name === undefined || name.includes('@')) continue;
    const r = splitRefName(name);
    if (r.repo === repo) tags.add(r.reference);
  }
  return [...tags];
}

/** The referrers of `digest` in `repo`: descriptors as the referrers API gives them (airlift's annotations left out). */
export function layoutReferrers(entries: readonly NamedEntry[], repo: string, digest: string): Descriptor[] {
  const out: Descriptor[] = [];
  for (const { descriptor: d } of entries) {
    const a = d.annotations;
    if (a?.[ANNOTATION_REFERRER_SUBJECT] !== digest || a[ANNOTATION_REFERRER_REPOSITORY] !== repo) continue;
    const { [ANNOTATION_REFERRER_REPOSITORY]: _r, [ANNOTATION_REFERRER_SUBJECT]: _s, [ANNOTATION_REF_NAME]: _n, ...rest } = a;
    const { annotations: _a, ...base } = d;
    out.push({ ...base, ...(Object.keys(rest).length ? { annotations: rest } : {}) });
  }
  return out;
}
