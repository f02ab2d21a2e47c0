/**
 * The `verify` use cases: a bundle checked in place (every blob re-hashed, every
 * image's tree present, the charts and other files its lock lists), or a
 * registry checked for every image of a bundle. Each returns rows to print and,
 * when something is wrong, the error that ends the run; the error code comes from
 * typed problems, never from the words of a message (an image may be named
 * `expected` or `damaged`).
 */
import type { EndpointPool } from '../endpoint/pool.js';
import { destinationTag } from '../copy/inputs.js';
import { sha256 } from '../digest/index.js';
import { AirliftError } from '../errors.js';
import { mapReferences, parseMappingMode, parseTarget } from '../mapping/index.js';
import { formatReference } from '../reference/index.js';
import { OciArchiveSource } from '../endpoint/oci-archive.js';
import { archiveForm } from '../layout/source-tar.js';
import { bundleFiles, bundleImages, bundleLock, openBundle } from './images.js';
import { checkBundleFiles } from './self.js';
import { checkBundleDockerManifest, checkError, verifyLayout } from './verify.js';
import { appendAll } from '../output/table.js';

export interface VerifyRow {
  image: string;
  digest: string;
  status: string;
  destination?: string;
  problems?: string[];
}

export interface VerifyReport {
  rows: VerifyRow[];
  /** One line for stderr: what was checked. */
  summary?: string;
  /** Set when anything is wrong: the caller prints the rows, then fails with it. */
  error?: AirliftError;
}

export interface VerifyBundleInput {
  /** The bundle's absolute path. */
  bundle: string;
  /** The bundle as the user named it (messages). */
  where: string;
  concurrency: number;
}

/** `airlift verify BUNDLE`. */
export async function verifyBundle(input: VerifyBundleInput, deps: { signal?: AbortSignal } = {}): Promise<VerifyReport> {
  const source = await openBundle(input.bundle);
  try {
    // a split bundle: each part's sha256 against its .parts file, named when it differs
    const parts = source instanceof OciArchiveSource ? archiveForm(source.tar).parts : undefined;
    const partProblems = parts ? (await parts.checkEach(deps.signal)).filter((p) => p.error).map((p) => p.error!.message) : [];
    // a differential bundle (save --since) leaves out layers its base held: not damage
    const lock = await bundleLock(source, input.where);
    const leftOut = lock?.base ? new Set(lock.base.omitted) : undefined;
    const check = await verifyLayout(source.reader, input.concurrency, deps.signal, leftOut ? { leftOut } : {});
    const rows: VerifyRow[] = check.images.map((i) => ({ image: i.image, digest: i.digest, status: i.status, ...(i.problems.length ? { problems: i.problems } : {}) }));
    const problems = [...partProblems, ...check.images.flatMap((i) => i.problems.map((p) => `${i.image}: ${p}`))];
    // damaged blobs no image refers to are still damage
    for (const [d, msg] of check.damaged) if (!problems.some((p) => p.includes(d))) problems.push(`blob ${d}: ${msg}`);
    let mismatch = partProblems.length > 0 || check.damaged.size > 0 || check.images.some((i) => i.digestMismatch);
    appendAll(problems, await checkBundleDockerManifest(source.reader));
    // every attachment the lock lists is in the bundle (its tree was walked above as an index entry)
    for (const img of lock?.images ?? []) {
      for (const a of img.referrers ?? []) {
        if ((await source.reader.blobSize(a.digest)) === undefined) problems.push(`${img.source}: attachment ${a.tag ?? a.digest} (of ${a.subject}) is listed in the lock and missing from the bundle`);
      }
    }
    const files = bundleFiles(source);
    if (lock && files) {
      for (const ch of lock.charts) {
        if (!ch.file || !ch.digest) continue;
        const got = sha256(await files.readFile(ch.file, 256 * 1024 * 1024).catch(() => Buffer.alloc(0)));
        if (got !== ch.digest) {
          problems.push(`chart ${ch.file}: expected ${ch.digest}, got ${got}`);
          mismatch = true;
        }
        // the provenance file a fetched chart brought along
        if (ch.prov) {
          const prov = sha256(await files.readFile(ch.prov.file, 1024 * 1024).catch(() => Buffer.alloc(0)));
          if (prov !== ch.prov.digest) {
            problems.push(`chart provenance ${ch.prov.file}: expected ${ch.prov.digest}, got ${prov}`);
            mismatch = true;
          }
        }
      }
      // The other files the lock lists (airlift itself, from save --include-self), re-hashed.
      if (lock.files?.length) {
        for (const p of await checkBundleFiles(lock.files, await files.extraFiles(), (f) => files.openFile(f), deps.signal)) {
          problems.push(p.message);
          if (p.mismatch) mismatch = true;
        }
      }
    }
    const tooLarge = check.images.some((i) => i.tooLarge);
    const error = checkError(`${input.where} failed verification`, problems, mismatch ? 'E_DIGEST_MISMATCH' : tooLarge ? 'E_TOO_LARGE' : 'E_BUNDLE');
    const notes: string[] = [];
    if (lock?.base) notes.push(`a differential bundle against ${lock.base.file}${lock.base.sha256 ? ` (${lock.base.sha256})` : ''}: ${check.leftOut} layers left out, held by the base (load the base first)`);
    if (lock?.missing?.length) notes.push(`saved with --keep-going without ${lock.missing.length} image(s): ${lock.missing.map((m) => `${m.source} (${m.code})`).join(', ')}`);
    return {
      rows,
      summary: `${input.where}: ${parts ? `${parts.manifest.parts.length} parts checked, ` : ''}${check.blobsChecked} blobs re-hashed, ${check.images.length} images checked${lock?.files?.length ? `, ${lock.files.length} other files` : ''}${notes.map((n) => `; ${n}`).join('')}`,
      ...(error ? { error } : {}),
    };
  } finally {
    await source.close();
  }
}

export interface VerifyRegistryInput extends VerifyBundleInput {
  /** `--to HOST[:PORT][/PREFIX]` as given. */
  to: string;
  /** `--mapping` as given. */
  mapping: string;
}

/** `airlift verify --to HOST BUNDLE`: does the registry hold every image of the bundle, by digest? */
export async function verifyRegistry(input: VerifyRegistryInput, deps: { pool: EndpointPool }): Promise<VerifyReport> {
  const source = await openBundle(input.bundle);
  try {
    const target = parseTarget(input.to);
    const images = bundleImages(source, input.where);
    const mapped = mapReferences(images.map((i) => i.ref), target, parseMappingMode(input.mapping));
    const reg = deps.pool.source(target.host);
    const rows: VerifyRow[] = [];
    // what travels with each image (the lock lists it): cosign tags by name, referrers by digest
    const attached = new Map((await bundleLock(source, input.where))?.images.map((i) => [i.source, i.referrers ?? []]) ?? []);
    for (const img of images) {
      const d = mapped.get(img.formatted)!;
      const there = await reg.resolveManifest(d.repository, destinationTag(d));
      let status = !there ? 'missing' : there.digest === img.descriptor.digest ? 'ok' : 'different';
      const problems = status === 'ok' ? [] : [status === 'missing' ? `${formatReference(d)} is missing` : `${formatReference(d)} holds ${there!.digest}, the bundle has ${img.descriptor.digest}`];
      if (status === 'ok') {
        for (const a of attached.get(img.formatted) ?? []) {
          const at = await reg.resolveManifest(d.repository, a.tag ?? a.digest);
          if (at?.digest === a.digest) continue;
          const what = a.tag ? `${d.repository}:${a.tag}` : `${d.repository}@${a.digest} (${a.artifactType ?? 'a referrer'} of ${a.subject})`;
          problems.push(!at ? `${what} is missing` : `${what} holds ${at.digest}, the bundle has ${a.digest}`);
          status = at && status === 'ok' ? 'different' : 'missing';
        }
      }
      rows.push({ image: img.formatted, digest: img.descriptor.digest, status, destination: formatReference(d), ...(problems.length ? { problems } : {}) });
    }
    const problems = rows.flatMap((r) => (r.problems ?? []).map((p) => `${r.image}: ${p}`));
    if (problems.length === 0) return { rows };
    // The registry is what differs here, not the bundle: say so, and how to fix it.
    const different = rows.some((r) => r.status === 'different');
    const shown = problems.slice(0, 10).map((p) => `  ${p}`);
    if (problems.length > 10) shown.push(`  … and ${problems.length - 10} more`);
    const error = new AirliftError(different ? 'E_DIGEST_MISMATCH' : 'E_NOT_FOUND', `${target.host} does not hold every image of ${input.where}: ${problems.length} problem(s):\n${shown.join('\n')}`, {
      hint: different
        ? `a tag at ${input.to} holds other content than the bundle (pushed from elsewhere, or loaded from a bundle saved with other --platform choices); run airlift load ${input.where} --to ${input.to} again to put the bundle's digests back, then verify again`
        : `load the bundle: airlift load ${input.where} --to ${input.to}${input.mapping !== 'default' ? ` --mapping ${input.mapping}` : ''} (and check that --to and --mapping match the load)`,
    });
    return { rows, error };
  } finally {
    await source.close();
  }
}
