/** The referrer flags of save, load, sync and copy: what travels with the images. */
import type { ReferrerOptions } from '../copy/types.js';
import { UsageError } from '../errors.js';
import type { OptionSpec } from './options.js';

/** --no-referrers, --referrers-type TYPE (repeatable), and --strict unless the command has none. */
export const referrerOptions = (strict = true): OptionSpec[] => [
  { flags: '--no-referrers', description: 'copy the images alone, without their signatures, attestations, SBOMs and other referrers' },
  { flags: '--referrers-type <type>', description: 'copy only attachments of this artifact type (repeatable; cosign tags: sig, att, sbom)', repeatable: true },
  ...(strict ? [{ flags: '--strict', description: 'fail an image whose signed index --platform rewrites (its signature cannot hold at the mirror) instead of warning' }] : []),
];

export interface ReferrersFlags {
  referrers: boolean;
  referrersType: string[];
  strict?: boolean;
}

/** The engine's ReferrerOptions from the flags of referrerOptions; undefined with --no-referrers. */
export function referrersFrom(flags: ReferrersFlags): ReferrerOptions | undefined {
  if (flags.referrers === false) {
    if (flags.referrersType.length > 0) throw new UsageError('--referrers-type and --no-referrers contradict each other', { hint: 'give one of them' });
    return undefined;
  }
  return { ...(flags.referrersType.length ? { types: flags.referrersType } : {}), ...(flags.strict ? { strict: true } : {}) };
}
