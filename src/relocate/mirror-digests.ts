/**
 * The I/O side of --digests without --lock: ask the mirror for the digest
 * of every image the charts need, at its mapped destination.
 */
import type { ImageFinding } from '../chart/types.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import { mapReferences, type MappingMode, type Target } from '../mapping/index.js';
import { formatReference, type Reference } from '../reference/index.js';
import type { RegistryClient } from '../registry/client.js';
import { relocatable } from './plan.js';

/** formatReference(source) → digest the mirror serves for its destination. */
export async function resolveMirrorDigests(
  client: RegistryClient,
  findings: readonly ImageFinding[],
  target: Target,
  mode: MappingMode,
  log: Logger,
): Promise<Map<string, string>> {
  const refs = new Map<string, Reference>();
  // Images the templates do not use with these values (a disabled part) need not be in the mirror: pinned when they are.
  const required = new Set<string>();
  for (const f of findings) {
    if (!relocatable(f)) continue;
    const k = formatReference(f.ref!);
    if (!f.notRendered) required.add(k);
    refs.set(k, f.ref!);
  }
  const mapped = mapReferences([...refs.values()], target, mode);
  const out = new Map<string, string>();
  await Promise.all(
    [...mapped].map(async ([source, dest]) => {
      const reference = dest.digest ?? dest.tag ?? 'latest';
      const head = await client.headManifest(dest.registry, dest.repository, reference);
      if (!head) {
        if (!required.has(source)) {
          log.log('debug', `${formatReference(dest)} is not in the mirror; ${source} is not rendered with these values, so it is left unpinned`);
          return;
        }
        throw new NotFoundError(`${formatReference(dest)} (for ${source}) is not in the mirror`, {
          hint: 'load or sync the images first (with the same --to and --mapping), or give the lock they wrote with --lock',
        });
      }
      log.log('debug', `mirror digest ${head.digest} for ${source}`);
      out.set(source, head.digest);
    }),
  );
  return out;
}
