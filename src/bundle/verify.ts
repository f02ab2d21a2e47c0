/**
 * Verifying a bundle (or layout) in place: every blob is re-hashed, and every
 * image's manifests, children, config and layers are checked present with the
 * size their descriptors give. Problems name the blob and the image.
 */
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { inOrder } from '../copy/in-order.js';
import { VerifyingStream } from '../digest/index.js';
import { AirliftError, DigestMismatchError, toAirliftError } from '../errors.js';
import type { LayoutFiles } from '../layout/files.js';
import { SourceTarFiles, archiveForm } from '../layout/source-tar.js';
import { TarFiles } from '../layout/tar-index.js';
import { checkDockerManifest } from '../layout/docker-manifest.js';
import { entryName } from '../layout/index-json.js';
import { readMetadata } from '../layout/limits.js';
import { DOCKER_MANIFEST_FILE, digestOfBlobPath } from '../layout/paths.js';
import type { LayoutReader } from '../layout/reader.js';
import type { Descriptor } from '../oci/types.js';
import { isForeignLayer, parseManifest } from '../oci/manifest.js';

export interface ImageCheck {
  image: string;
  digest: string;
  status: 'ok' | 'bad';
  problems: string[];
  /** A manifest over the 4 MiB limit was among the problems (E_TOO_LARGE, as load reports it). */
  tooLarge?: boolean;
  /** Some bytes did not match their digest (a damaged blob, a manifest that hashes to another digest): E_DIGEST_MISMATCH. */
  digestMismatch?: boolean;
}

export interface LayoutCheck {
  images: ImageCheck[];
  /** Blobs whose bytes do not match their name (digest → problem). */
  damaged: Map<string, string>;
  blobsChecked: number;
  bytesChecked: number;
  /** Blobs the images name that the layout leaves out on purpose (a differential bundle's base holds them). */
  leftOut: number;
}

const sink = (): Writable =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

/** Re-hashes every file under blobs/ (files whose name is not a digest are reported too). */
async function hashBlobs(files: LayoutFiles, concurrency: number, signal?: AbortSignal): Promise<{ damaged: Map<string, string>; count: number; bytes: number }> {
  const damaged = new Map<string, string>();
  const names = (await files.list()).filter((n) => n.startsWith('blobs/'));
  // in archive order: a compressed or split bundle is then read forwards (a foreign .tar.gz in one pass)
  const at = (n: string): number => (files instanceof TarFiles || files instanceof SourceTarFiles ? (files.entry(n)?.offset ?? 0) : 0);
  names.sort((a, b) => at(a) - at(b));
  const form = archiveForm(files);
  const width = form.compression && !form.compression.seekable ? 1 : Math.max(1, concurrency);
  let bytes = 0;
  const check = async (name: string): Promise<void> => {
    const digest = digestOfBlobPath(name);
    if (!digest) {
      damaged.set(name, `${name} is not named after a digest`);
      return;
    }
    signal?.throwIfAborted();
    try {
      const v = new VerifyingStream(`blob ${digest}`, digest);
      await pipeline(await files.stream(name), v, sink(), signal ? { signal } : {});
      bytes += v.bytesSeen;
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      const e = toAirliftError(err);
      damaged.set(digest, e instanceof DigestMismatchError ? `its bytes ${e.message.includes(': size') ? `are ${e.actual} long` : `hash to ${e.actual}`}` : e.message);
    }
  };
  // `width` at a time, in archive order, nothing queued per blob beforehand
  await inOrder(names, width, check);
  return { damaged, count: names.length, bytes };
}

/** Checks a layout: blob hashes, then every named image's tree. Stops with the signal's reason when it is aborted. */
export async function verifyLayout(reader: LayoutReader, concurrency = 4, signal?: AbortSignal, opts: { leftOut?: ReadonlySet<string> } = {}): Promise<LayoutCheck> {
  const { damaged, count, bytes } = await hashBlobs(reader.files, concurrency, signal);
  const images: ImageCheck[] = [];
  const absentOnPurpose = new Set<string>();
  for (const entry of reader.entries()) {
    const image = entryName(entry);
    const problems: string[] = [];
    let tooLarge = false;
    let digestMismatch = false;
    const seen = new Set<string>();
    const checkBlob = async (d: Descriptor, from: string): Promise<boolean> => {
      const size = await reader.blobSize(d.digest);
      if (size === undefined && opts.leftOut?.has(d.digest)) {
        absentOnPurpose.add(d.digest);
        return false;
      }
      if (size === undefined) {
        problems.push(`blob ${d.digest} (${from}) is missing`);
        return false;
      }
      if (size !== d.size) {
        problems.push(`blob ${d.digest} (${from}) has ${size} bytes, its descriptor says ${d.size}`);
        return false;
      }
      const bad = damaged.get(d.digest);
      if (bad) {
        digestMismatch = true;
        problems.push(`blob ${d.digest} (${from}) is damaged: ${bad}`);
        return false;
      }
      return true;
    };
    const walk = async (d: Descriptor, from: string): Promise<void> => {
      if (seen.has(d.digest)) return;
      seen.add(d.digest);
      if (!(await checkBlob(d, from))) return;
      try {
        const raw = await reader.readManifest(d);
        const m = parseManifest(`manifest ${d.digest}`, raw);
        if (m.kind === 'index') for (const c of m.children) await walk(c, `child of ${d.digest}`);
        else {
          await checkBlob(m.config, `config of ${d.digest}`);
          for (const l of m.layers) {
            if (seen.has(l.digest)) continue;
            seen.add(l.digest);
            if (isForeignLayer(l) && (await reader.blobSize(l.digest)) === undefined) continue;
            await checkBlob(l, `layer of ${d.digest}`);
          }
        }
      } catch (err) {
        const e = toAirliftError(err);
        if (e.code === 'E_TOO_LARGE') tooLarge = true;
        if (e.code === 'E_DIGEST_MISMATCH') digestMismatch = true;
        problems.push(e.message);
      }
    };
    await walk(entry.descriptor, 'top-level manifest');
    images.push({ image, digest: entry.descriptor.digest, status: problems.length ? 'bad' : 'ok', problems, ...(tooLarge ? { tooLarge } : {}), ...(digestMismatch ? { digestMismatch } : {}) });
  }
  return { images, damaged, blobsChecked: count, bytesChecked: bytes, leftOut: absentOnPurpose.size };
}

/**
 * Problems of the bundle's Docker manifest.json (docker load reads it) against its layout: every
 * loadable image has its entry, with its config, layers and names, and no entry names other blobs.
 * A layout without one (an older bundle, skopeo's) has none to check.
 */
export async function checkBundleDockerManifest(reader: LayoutReader): Promise<string[]> {
  if ((await reader.files.size(DOCKER_MANIFEST_FILE)) === undefined) return [];
  const bytes = await readMetadata((max) => reader.files.read(DOCKER_MANIFEST_FILE, max));
  return checkDockerManifest(
    bytes,
    reader.index,
    (d) => reader.readManifest(d).catch(() => undefined),
    async (d) => (await reader.blobSize(d.digest)) === d.size,
  );
}

/** One error for a failed check: the first problem, and how many there are. */
export function checkError(what: string, problems: string[], code: 'E_DIGEST_MISMATCH' | 'E_BUNDLE' | 'E_NOT_FOUND' | 'E_TOO_LARGE'): AirliftError | undefined {
  if (problems.length === 0) return undefined;
  const shown = problems.slice(0, 10).map((p) => `  ${p}`);
  if (problems.length > 10) shown.push(`  … and ${problems.length - 10} more`);
  return new AirliftError(code, `${what}: ${problems.length} problem(s):\n${shown.join('\n')}`, {
    hint: code === 'E_NOT_FOUND' ? 'load the bundle again (airlift load)' : 'the bundle is damaged; copy it again or recreate it with airlift save',
  });
}
