/** The `lock merge` use case: lock files read and merged into one, written atomically to a file. */
import { resolveOutput } from '../output/file.js';
import { readLock, writeLock } from './io.js';
import { mergeLocks } from './merge.js';
import type { Lock } from './types.js';

/** Merges the locks of `files`; with `output` (checked before any lock is read) writes the merged lock there (`-o` in errors). */
export async function mergeLockFiles(files: readonly string[], output?: string): Promise<Lock> {
  if (output !== undefined) await resolveOutput(output, { label: '-o' });
  const inputs = [];
  for (const file of files) inputs.push({ file, lock: await readLock(file) });
  const merged = mergeLocks(inputs);
  if (output !== undefined) await writeLock(output, merged, '-o');
  return merged;
}
