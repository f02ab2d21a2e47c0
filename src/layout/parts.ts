/**
 * Split bundles: `save --split-size 4GiB -o bundle.tar` writes `bundle.tar.000`, `.001`, … (each
 * at most that size) and `bundle.tar.parts`, a small JSON file naming each part with its size and
 * sha256, and the total. Reading joins the parts in place (PartsSource): a byte range may cross a
 * part boundary; a missing or short part is named when the bundle is opened, a damaged one (its
 * sha256) before any of its bytes are served.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BundleError, DigestMismatchError, NotFoundError, UsageError, toAirliftError } from '../errors.js';
import { rangeAt, readFully, type ByteSource } from './byte-source.js';
import { STREAM_CHUNK } from './files.js';

export const PARTS_SUFFIX = '.parts';
/** The smallest part `--split-size` takes: smaller would only make thousands of files. */
export const MIN_SPLIT_SIZE = 1024 * 1024;

export interface PartEntry {
  /** The part's file name, in the directory of the .parts file. */
  name: string;
  size: number;
  /** `sha256:<hex>` of the part's bytes. */
  sha256: string;
}

export interface PartsManifest {
  airliftParts: 1;
  /** The bundle's bytes, all parts together. */
  total: number;
  parts: PartEntry[];
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `4GiB`, `700MB`, `1048576`: bytes (KiB/MiB/GiB are 1024s, KB/MB/GB 1000s). Refuses sizes under 1 MiB. */
export function parseSplitSize(text: string, flag = '--split-size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const hint = 'give a size such as 4GiB, 700MiB or 650MB (KiB/MiB/GiB are 1024s, KB/MB/GB 1000s)';
  if (!m || unit === undefined) throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}`, { hint });
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`invalid ${flag} ${JSON.stringify(text)}: too large`, { hint });
  if (bytes < MIN_SPLIT_SIZE) throw new UsageError(`${flag} ${text} is under 1 MiB`, { hint: `parts that small would be thousands of files; ${hint}` });
  return bytes;
}

/** The name of part `i` of a bundle written at `output`. */
export function partName(output: string, i: number): string {
  return `${output}.${String(i).padStart(3, '0')}`;
}

/**
 * The .parts file a path names: `bundle.tar.parts` itself, `bundle.tar.000` (any part), or
 * `bundle.tar` when only its parts exist. Undefined when the path is not a split bundle.
 */
export async function partsManifestFor(file: string): Promise<string | undefined> {
  if (file.endsWith(PARTS_SUFFIX)) return file;
  const exists = (p: string): Promise<boolean> =>
    stat(p).then(
      (s) => s.isFile(),
      () => false,
    );
  const m = /^(.*)\.\d{3,}$/.exec(file);
  if (m && (await exists(`${m[1]}${PARTS_SUFFIX}`))) return `${m[1]}${PARTS_SUFFIX}`;
  if (!(await exists(file)) && (await exists(`${file}${PARTS_SUFFIX}`))) return `${file}${PARTS_SUFFIX}`;
  return undefined;
}

export function parsePartsManifest(where: string, text: string): PartsManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BundleError(`${where} is not valid JSON`, { cause: err, hint: 'copy the .parts file again; save writes it last' });
  }
  const d = doc as Partial<PartsManifest>;
  const bad = (why: string): BundleError => new BundleError(`${where} is not an airlift parts file: ${why}`, { hint: 'copy it again from where the bundle was saved' });
  if (!d || typeof d !== 'object' || d.airliftParts !== 1) throw bad('airliftParts is not 1');
  if (!Array.isArray(d.parts) || d.parts.length === 0) throw bad('it lists no parts');
  let total = 0;
  for (const p of d.parts) {
    if (!p || typeof p.name !== 'string' || !/^[^/\\]+$/.test(p.name) || p.name === '.' || p.name === '..') throw bad(`part name ${JSON.stringify(p?.name)} is not a file name`);
    if (!Number.isSafeInteger(p.size) || p.size < 0) throw bad(`part ${p.name} has no valid size`);
    if (typeof p.sha256 !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(p.sha256)) throw bad(`part ${p.name} has no valid sha256`);
    total += p.size;
  }
  if (d.total !== total) throw bad(`its total (${String(d.total)}) is not the sum of its parts (${total})`);
  return { airliftParts: 1, total, parts: d.parts };
}

interface OpenPart extends PartEntry {
  /** Where the part starts in the joined bytes. */
  start: number;
  fh: FileHandle;
  /** The sha256 check of the part, started once. */
  check?: Promise<void>;
}

/** The parts of a split bundle, joined. */
export class PartsSource implements ByteSource {
  private constructor(
    readonly description: string,
    readonly manifest: PartsManifest,
    private readonly parts: OpenPart[],
  ) {}

  get size(): number {
    return this.manifest.total;
  }

  /** Opens every part the .parts file names; a missing or short part is named (E_NOT_FOUND, E_BUNDLE). */
  static async open(manifestFile: string, description = manifestFile): Promise<PartsSource> {
    let text: string;
    try {
      text = await readFile(manifestFile, 'utf8');
    } catch (err) {
      const e = toAirliftError(err);
      if (e.code === 'E_NOT_FOUND') throw new NotFoundError(`${manifestFile} does not exist`, { hint: 'a split bundle is read through its .parts file: copy it with the parts' });
      throw e;
    }
    const manifest = parsePartsManifest(manifestFile, text);
    const dir = path.dirname(manifestFile);
    const parts: OpenPart[] = [];
    let start = 0;
    try {
      for (const p of manifest.parts) {
        const file = path.join(dir, p.name);
        let fh: FileHandle;
        try {
          fh = await open(file, 'r');
        } catch (err) {
          const e = toAirliftError(err);
          if (e.code === 'E_NOT_FOUND') {
            throw new NotFoundError(`part ${p.name} of ${manifestFile} is missing (${file})`, { hint: `copy ${p.name} (${p.size} bytes) next to ${path.basename(manifestFile)}` });
          }
          throw e;
        }
        parts.push({ ...p, start, fh });
        const size = (await fh.stat()).size;
        if (size !== p.size) {
          throw new BundleError(`part ${p.name} of ${manifestFile} is ${size} bytes, ${size < p.size ? 'short of' : 'over'} the ${p.size} its .parts file lists`, {
            hint: `copy ${p.name} again`,
          });
        }
        start += p.size;
      }
    } catch (err) {
      for (const p of parts) await p.fh.close().catch(() => undefined);
      throw err;
    }
    return new PartsSource(description, manifest, parts);
  }

  /** The index of the part holding byte `pos`. */
  private partAt(pos: number): number {
    return rangeAt(this.parts, pos);
  }

  async read(buf: Buffer, off: number, len: number, pos: number): Promise<number> {
    let done = 0;
    while (done < len && pos + done < this.size) {
      const p = this.parts[this.partAt(pos + done)]!;
      const inPart = pos + done - p.start;
      const n = Math.min(len - done, p.size - inPart);
      if (n <= 0) break;
      const got = await readFully(p.fh, buf, off + done, n, inPart);
      done += got;
      if (got < n) throw new BundleError(`part ${p.name} of ${this.description} ended early (it changed while it was read)`, { hint: `copy ${p.name} again` });
    }
    return done;
  }

  async checkRange(start: number, end: number): Promise<void> {
    for (let i = this.partAt(start); i < this.parts.length && this.parts[i]!.start <= end; i++) await this.checkPart(i);
  }

  /** Re-hashes part `i` (once); a DigestMismatchError names the part. */
  checkPart(i: number): Promise<void> {
    const p = this.parts[i]!;
    p.check ??= (async () => {
      const hash = createHash('sha256');
      const buf = Buffer.allocUnsafe(STREAM_CHUNK);
      for (let pos = 0; pos < p.size; ) {
        const got = await readFully(p.fh, buf, 0, Math.min(buf.length, p.size - pos), pos);
        if (got === 0) break;
        hash.update(buf.subarray(0, got));
        pos += got;
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== p.sha256) throw new DigestMismatchError(`part ${p.name} of ${this.description}`, p.sha256, actual, { hint: `part ${p.name} is damaged: copy it again` });
    })();
    return p.check;
  }

  /** Every part, checked in order: the first damaged one fails. */
  async checkAll(signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < this.parts.length; i++) {
      signal?.throwIfAborted();
      await this.checkPart(i);
    }
  }

  /** Each part's check result (verify lists them all). */
  async checkEach(signal?: AbortSignal): Promise<Array<{ name: string; error?: Error }>> {
    const out: Array<{ name: string; error?: Error }> = [];
    for (let i = 0; i < this.parts.length; i++) {
      signal?.throwIfAborted();
      try {
        await this.checkPart(i);
        out.push({ name: this.parts[i]!.name });
      } catch (err) {
        out.push({ name: this.parts[i]!.name, error: err as Error });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    for (const p of this.parts) await p.fh.close().catch(() => undefined);
  }
}
