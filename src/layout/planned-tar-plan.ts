/**
 * The plan of a planned tar (planned-tar.ts) and the staging directory's files beside it: where
 * each blob goes (`layOut`: oci-layout first, then the blobs by size, then name), the slot that
 * records it, and the plan and journal a stopped run left (`readPrevious`).
 */
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BundleError } from '../errors.js';
import { OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, blobPath } from './paths.js';
import { entryHeader, planEntriesLazy, type PlannedEntry } from './tar-writer.js';

export const PARTIAL = 'bundle.tar.partial';
export const PLAN = 'plan.json';
export const DONE = 'done.log';

export interface Slot {
  size: number;
  dataOffset: number;
  /** Where the tar header block(s) before the data go, until they are written (with the data). */
  offset?: number;
  /**
   * Those blocks when they are more than the blob's own plain header (the first blob carries the
   * `blobs/` directory entries); a plain header is built when the data is written (leadOf), not
   * kept from the plan (512 bytes a blob: 15 MiB at 10,000 images).
   */
  header?: Buffer;
}

/** The header blocks a slot's data still needs written before it, or undefined once they are. */
export function leadOf(digest: string, s: Slot): Buffer | undefined {
  if (s.offset === undefined) return undefined;
  return s.header ?? entryHeader(blobPath(digest), s.size, '0');
}

/** What plan.json holds: enough to tell whether a staged file can be reused as it is. */
export interface PlanFile {
  version: 1;
  /** [digest, size, dataOffset] of every blob, in archive order. */
  blobs: Array<[string, number, number]>;
  /** Where the blobs end (index.json and the extra files go from here). */
  end: number;
}

/** The layout of a planned tar: `files` and `entries` in archive order (oci-layout first), a slot per blob. */
export interface Layout {
  files: Array<{ name: string; size: number; digest: string }>;
  entries: Array<Omit<PlannedEntry, 'header'> & { header?: Buffer }>;
  /** Where the blobs end. */
  end: number;
  /** Directory entries the blobs' headers hold. */
  dirs: Set<string>;
  slots: Map<string, Slot>;
  plan: PlanFile;
}

/** Lays out `blobs` (duplicates ignored; one named with two sizes is refused) after oci-layout. */
export function layOut(blobs: ReadonlyArray<{ digest: string; size: number }>): Layout {
  const distinct = new Map<string, number>();
  for (const b of blobs) {
    const had = distinct.get(b.digest);
    if (had !== undefined && had !== b.size) throw new BundleError(`blob ${b.digest} is named with two sizes (${had} and ${b.size})`);
    distinct.set(b.digest, b.size);
  }
  const files = [{ name: OCI_LAYOUT_FILE, size: Buffer.byteLength(OCI_LAYOUT_CONTENT), digest: '' }];
  for (const [digest, size] of distinct) files.push({ name: blobPath(digest), size, digest });
  files.sort((a, b) => (a.name === OCI_LAYOUT_FILE ? -1 : b.name === OCI_LAYOUT_FILE ? 1 : a.size !== b.size ? a.size - b.size : a.name < b.name ? -1 : 1));
  const dirs = new Set<string>();
  const { entries, end } = planEntriesLazy(files, 0, dirs);
  const slots = new Map<string, Slot>();
  const plan: PlanFile = { version: 1, blobs: [], end };
  for (const [i, e] of entries.entries()) {
    const digest = files[i]!.digest;
    if (!digest) continue;
    slots.set(digest, { size: e.size, dataOffset: e.dataOffset, offset: e.offset, ...(e.header ? { header: e.header } : {}) });
    plan.blobs.push([digest, e.size, e.dataOffset]);
  }
  return { files, entries, end, dirs, slots, plan };
}

/** The plan and journal a stopped run left, when both are readable and its file exists. */
export async function readPrevious(dir: string): Promise<{ plan: PlanFile; slots: Map<string, Slot>; done: string[] } | undefined> {
  try {
    const plan = JSON.parse(await readFile(path.join(dir, PLAN), 'utf8')) as PlanFile;
    if (plan.version !== 1 || !Array.isArray(plan.blobs)) return undefined;
    const slots = new Map<string, Slot>(plan.blobs.map(([d, size, dataOffset]) => [d, { size, dataOffset }]));
    const journal = await readFile(path.join(dir, DONE), 'utf8').catch(() => '');
    const done = [...new Set(journal.split('\n').filter((d) => slots.has(d)))];
    await access(path.join(dir, PARTIAL));
    return { plan, slots, done };
  } catch {
    return undefined;
  }
}
