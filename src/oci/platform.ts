/**
 * `--platform os/arch[/variant]` filters, how an index is narrowed to the
 * platforms asked for, and the platform an image config names. Pure: the filtered index is new bytes with a new digest;
 * a complete index keeps its exact bytes.
 */
import { sha256 } from '../digest/index.js';
import { NotFoundError, UsageError } from '../errors.js';
import { formatPlatform, type Descriptor, type Platform } from '../oci/types.js';

export interface PlatformFilter {
  os: string;
  architecture: string;
  variant?: string;
}

const PART = /^[a-z0-9][a-z0-9._-]*$/i;

/** Parses "linux/amd64" or "linux/arm64/v8". */
export function parsePlatform(text: string): PlatformFilter {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PART.test(p))) {
    throw new UsageError(`invalid platform ${JSON.stringify(text)}: expected os/arch[/variant]`, {
      hint: 'for example --platform linux/amd64 or --platform linux/arm64/v8',
    });
  }
  const f: PlatformFilter = { os: parts[0]!.toLowerCase(), architecture: parts[1]!.toLowerCase() };
  if (parts[2] !== undefined) f.variant = parts[2].toLowerCase();
  return f;
}

export function formatFilter(f: PlatformFilter): string {
  return [f.os, f.architecture, f.variant].filter(Boolean).join('/');
}

/** The variant a platform has when it names none (arm64 means v8). */
function defaultVariant(arch: string): string | undefined {
  return arch === 'arm64' ? 'v8' : undefined;
}

/** Whether a descriptor's platform satisfies a filter (a filter without variant matches every variant). */
export function platformMatches(f: PlatformFilter, p: Platform | undefined): boolean {
  if (!p) return false;
  if (p.os.toLowerCase() !== f.os || p.architecture.toLowerCase() !== f.architecture) return false;
  if (f.variant === undefined) return true;
  const v = (p.variant ?? defaultVariant(p.architecture) ?? '').toLowerCase();
  return v === f.variant || (v === '' && defaultVariant(f.architecture) === f.variant);
}

const ATTESTATION_TYPE = 'vnd.docker.reference.type';
const ATTESTATION_DIGEST = 'vnd.docker.reference.digest';

/** An attestation manifest (BuildKit's unknown/unknown entry attached to a platform image). */
export function isAttestation(d: Descriptor): boolean {
  return d.annotations?.[ATTESTATION_TYPE] === 'attestation-manifest';
}

/** Platforms of an index's children, for the lock (attestations and platform-less entries left out). */
export function indexPlatforms(children: Descriptor[]): string[] {
  const out = new Set<string>();
  for (const c of children) {
    if (!c.platform || isAttestation(c)) continue;
    if (c.platform.os === 'unknown' && c.platform.architecture === 'unknown') continue;
    out.add(formatPlatform(c.platform));
  }
  return [...out];
}

export interface FilteredIndex {
  /** The children kept, in their original order. */
  kept: Descriptor[];
  /** Unchanged (same bytes and digest) when every child was kept. */
  bytes: Uint8Array;
  digest: string;
  changed: boolean;
}

/**
 * Keeps the children of an index that match one of the filters, plus the
 * attestations that refer to a kept child. Throws NotFoundError naming the
 * image and the platforms it has when nothing matches.
 */
export function filterIndex(
  image: string,
  raw: { bytes: Uint8Array; digest: string },
  parsed: Record<string, unknown>,
  children: Descriptor[],
  filters: PlatformFilter[] | undefined,
): FilteredIndex {
  if (!filters || filters.length === 0) return { kept: children, bytes: raw.bytes, digest: raw.digest, changed: false };
  const platformKept = new Set<string>();
  for (const c of children) {
    if (isAttestation(c)) continue;
    if (filters.some((f) => platformMatches(f, c.platform))) platformKept.add(c.digest);
  }
  if (platformKept.size === 0) {
    const has = indexPlatforms(children);
    throw new NotFoundError(`${image} has no platform matching ${filters.map(formatFilter).join(', ')}`, {
      hint: has.length ? `it has ${has.join(', ')}` : 'its index names no platforms',
    });
  }
  const kept = children.filter((c) =>
    isAttestation(c) ? platformKept.has(c.annotations?.[ATTESTATION_DIGEST] ?? '') : platformKept.has(c.digest),
  );
  if (kept.length === children.length) return { kept, bytes: raw.bytes, digest: raw.digest, changed: false };
  const bytes = Buffer.from(JSON.stringify({ ...parsed, manifests: kept }), 'utf8');
  return { kept, bytes, digest: sha256(bytes), changed: true };
}

/** Parses a config's platform; undefined when it names none or is not JSON. */
export function platformFromConfig(bytes: Uint8Array): string | undefined {
  try {
    const c = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
    if (typeof c.os !== 'string' || typeof c.architecture !== 'string' || !c.os || !c.architecture) return undefined;
    return formatPlatform({ os: c.os, architecture: c.architecture, ...(typeof c.variant === 'string' && c.variant ? { variant: c.variant } : {}) });
  } catch {
    return undefined;
  }
}
