/**
 * Where the benchmark's registries keep their storage.
 *
 * By default on a tmpfs (/dev/shm). On this project's 2-core VMs the
 * registries' ext4 work (an inode and a directory per upload, created and
 * removed, and the journal) cost the destination registry 5–10 CPU-s for the
 * same 600 uploads of sync many, changing from one run to the next, against
 * 2.6–3.0 on tmpfs. That is neither client's work, and it drowns the
 * difference between them; the issue's figures (skopeo sync many 13.3 s,
 * "about 1 s of registry requests") match registries on tmpfs here, not on
 * disk. `--storage disk` measures on the OS temp directory instead.
 */
import { statfsSync } from 'node:fs';
import os from 'node:os';

export type StorageAsked = 'auto' | 'tmpfs' | 'disk';

export interface Probe {
  dir: string;
  /** statfs f_type. */
  type: number;
  freeBytes: number;
}

export interface Storage {
  /** What the chosen directory is, read from the file system (not what was asked). */
  kind: 'tmpfs' | 'disk';
  dir: string;
  /** Why this directory, for the log and the JSON. */
  why: string;
}

const TMPFS_MAGIC = 0x01021994;
/** Sources of every data set (about 1.7 GiB) and one destination holding a 1 GiB layer. */
export const TMPFS_NEEDED_BYTES = 4 * 1024 ** 3;
const GiB = (n: number): string => `${(n / 1024 ** 3).toFixed(1)} GiB`;

/** Chooses from probed directories; pure, so that the choice can be tested. */
export function pickStorage(asked: StorageAsked, tmpfsCandidates: Array<Probe | undefined>, osTemp: Probe): Storage {
  const kindOf = (p: Probe): Storage['kind'] => (p.type === TMPFS_MAGIC ? 'tmpfs' : 'disk');
  if (asked === 'disk') return { kind: kindOf(osTemp), dir: osTemp.dir, why: '--storage disk: the OS temp directory' };
  const tmpfs = tmpfsCandidates.filter((p): p is Probe => p !== undefined && p.type === TMPFS_MAGIC);
  const roomy = tmpfs.find((p) => p.freeBytes >= TMPFS_NEEDED_BYTES);
  if (roomy) return { kind: 'tmpfs', dir: roomy.dir, why: `tmpfs with ${GiB(roomy.freeBytes)} free` };
  const found = tmpfs.length ? tmpfs.map((p) => `${p.dir} has ${GiB(p.freeBytes)} free`).join(', ') : `no tmpfs at ${tmpfsCandidates.map((p) => p?.dir).filter(Boolean).join(', ') || '/dev/shm'}`;
  if (asked === 'tmpfs') {
    throw new Error(`--storage tmpfs: ${found}; the registries need ${GiB(TMPFS_NEEDED_BYTES)}. Enlarge /dev/shm or use --storage disk`);
  }
  return { kind: kindOf(osTemp), dir: osTemp.dir, why: `${found} (${GiB(TMPFS_NEEDED_BYTES)} needed): the OS temp directory instead` };
}

function probe(dir: string): Probe | undefined {
  try {
    const s = statfsSync(dir);
    return { dir, type: s.type, freeBytes: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

export function chooseStorage(asked: StorageAsked): Storage {
  const temp = os.tmpdir();
  return pickStorage(asked, [probe('/dev/shm')], probe(temp) ?? { dir: temp, type: 0, freeBytes: 0 });
}
