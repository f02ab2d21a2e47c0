/**
 * copy: one image between `docker://REF`, `oci:DIR[:REF]` and `oci-archive:FILE[:REF]`, digests
 * kept. A destination given without a name takes the source's.
 */
import { stat } from 'node:fs/promises';
import { openEndpoint, parseEndpoint, type OpenedSource } from '../endpoint/index.js';
import { OciArchiveDestination } from '../endpoint/oci-archive.js';
import { LayoutSource } from '../endpoint/oci-dir.js';
import { InterruptedError, NotFoundError, UsageError, toAirliftError, withHint } from '../errors.js';
import { failureError } from '../copy/report.js';
import type { CopyJob, ReferrerOptions } from '../copy/types.js';
import { entryName } from '../layout/index-json.js';
import type { PlatformFilter } from '../oci/platform.js';
import { parseReference } from '../reference/index.js';
import type { MirrorDeps } from './deps.js';

export interface CopyInput {
  source: string;
  destination: string;
  platforms: PlatformFilter[];
  /** What travels with the image; absent: the image alone (--no-referrers). */
  referrers?: ReferrerOptions;
}

export interface CopyReport {
  /** The digest stored at the destination. */
  digest: string;
  /** Whether the destination was an archive on deps.stdout (`oci-archive:-`): stdout then carries it alone. */
  toStdout: boolean;
}

export async function copy(input: CopyInput, deps: MirrorDeps): Promise<CopyReport> {
  const { source: src, destination: dst } = input;
  const srcSpec = parseEndpoint(src);
  const dstSpec = parseEndpoint(dst);
  const { pool } = deps;
  // the destination first: a source on the same host is read through it (src/endpoint/pool.ts)
  if (dstSpec.kind === 'registry') pool.destination(parseReference(dstSpec.ref!).registry);
  const source = await openEndpoint(src, 'source', { registry: pool.factory });
  await checkLayoutSource(src, source).catch(async (err: unknown) => {
    await source.source.close();
    throw err;
  });
  const dest = await openEndpoint(dst, 'destination', { registry: pool.factory, ...(deps.stdout ? { stdout: deps.stdout } : {}), ...(deps.cwd ? { cwd: deps.cwd } : {}) });
  try {
    // A destination given without a name takes the source's: its full reference
    // (registry source) or its ref name (layout source).
    let repo = dest.repo;
    let tag = dest.tag;
    if (srcSpec.kind === 'registry') {
      const r = parseReference(srcSpec.ref!);
      if (dstSpec.kind === 'registry') tag ??= r.tag ?? r.digest;
      else if (dest.repo === '' && tag === undefined) {
        repo = `${r.registry}/${r.repository}`;
        tag = r.tag ?? r.digest;
      }
    } else if (tag === undefined && source.reference !== '') {
      if (dstSpec.kind !== 'registry' && dest.repo === '') repo = source.repo;
      tag = source.reference;
    }
    const job: CopyJob = {
      source: { store: source.source, repo: source.repo, reference: source.reference },
      dest: { store: dest.destination, repo, ...(tag !== undefined ? { tag } : {}) },
      name: src,
    };
    const results = await deps.copy([job], { verb: 'copying', platforms: input.platforms, ...(input.referrers ? { referrers: input.referrers } : {}) });
    const failure = failureError(results, 'copied');
    if (failure) throw failure;
    await dest.destination.commit();
    return { digest: results[0]!.digest!, toStdout: dstSpec.kind === 'oci-archive' && dstSpec.path === '-' };
  } catch (err) {
    throw await withStagingHint(err, dest.destination, deps.signal);
  } finally {
    await dest.destination.close();
    await source.source.close();
  }
}

/**
 * A layout or bundle source must name an image it holds (or hold exactly one): otherwise the
 * error lists the references it holds, so the next command can name one.
 */
async function checkLayoutSource(src: string, source: OpenedSource): Promise<void> {
  const store = source.source;
  if (!(store instanceof LayoutSource)) return;
  if (await store.resolveManifest(source.repo, source.reference)) return;
  const names = store.images().map(entryName);
  const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? `, … (${names.length} in all)` : '');
  if (source.reference === '') {
    if (names.length === 0) throw new NotFoundError(`${src} holds no named image`, { hint: 'check that it is the bundle or layout you meant' });
    throw new UsageError(`${src} holds ${names.length} images and the source names none of them`, {
      hint: `add the reference of one after the path: ${src}:${names[0]}; it holds: ${shown}`,
    });
  }
  throw store.reader.notFound(source.repo, source.reference);
}

/**
 * An archive destination that failed (or was stopped: Ctrl-C, stdout's reader gone) keeps what it
 * staged for a re-run, as save does: the error says where it is and how to remove it (for
 * `oci-archive:-` it is under the temporary directory, where nobody would look).
 */
async function withStagingHint(err: unknown, destination: unknown, signal: AbortSignal | undefined): Promise<unknown> {
  if (!(destination instanceof OciArchiveDestination)) return err;
  const staging = destination.stagingDir;
  const kept = await stat(staging).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!kept) return err;
  const hint = `what was copied stays in ${staging}: run the same copy again to resume, or remove it with rm -r ${staging}`;
  const stopped: unknown = err instanceof InterruptedError ? err : signal?.aborted ? signal.reason : undefined;
  if (stopped instanceof InterruptedError) return new InterruptedError(stopped.signal, { cause: err, hint });
  return withHint(toAirliftError(err), hint);
}
