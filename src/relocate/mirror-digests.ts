/**
 * The I/O side of --digests without --lock: ask the mirror for the digest
 * of every image the charts need, at its mapped destination. Also reading a
 * password from stdin for --secret-out.
 */
import type { Readable } from 'node:stream';
import type { ImageFinding } from '../chart/types.js';
import { NotFoundError, UsageError, registerSecret } from '../errors.js';
import type { Logger } from '../log.js';
import { mapReferences, type MappingMode, type Target } from '../mapping/index.js';
import { formatReference, type Reference } from '../reference/index.js';
import type { RegistryClient } from '../registry/client.js';
import { relocatable } from './plan.js';

const MAX_PASSWORD = 64 * 1024;

/** Reads a password from stdin (one trailing newline dropped) and registers it for redaction. */
export async function readPassword(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stdin) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    size += b.length;
    if (size > MAX_PASSWORD) throw new UsageError('--password-stdin: more than 64 KiB on stdin', { hint: 'pipe only the password' });
    chunks.push(b);
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('--password-stdin: stdin is empty', { hint: 'pipe the mirror password into the command' });
  registerSecret(password);
  return password;
}

/** formatReference(source) → digest the mirror serves for its destination. */
export async function resolveMirrorDigests(
  client: RegistryClient,
  findings: readonly ImageFinding[],
  target: Target,
  mode: MappingMode,
  log: Logger,
): Promise<Map<string, string>> {
  const refs = new Map<string, Reference>();
  for (const f of findings) if (relocatable(f)) refs.set(formatReference(f.ref!), f.ref!);
  const mapped = mapReferences([...refs.values()], target, mode);
  const out = new Map<string, string>();
  await Promise.all(
    [...mapped].map(async ([source, dest]) => {
      const reference = dest.digest ?? dest.tag ?? 'latest';
      const head = await client.headManifest(dest.registry, dest.repository, reference);
      if (!head) {
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
