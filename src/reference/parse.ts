/** Parsing and normalising image references. */
import { InvalidReferenceError, UsageError } from '../errors.js';
import { DOCKER_HUB, IDENTIFIER_RE, LEGACY_DOCKER_HUB, OFFICIAL_REPO_PREFIX } from './grammar.js';
import { isRegistryHost, looksLikeHost } from './host.js';
import type { ParseOptions, Reference } from './types.js';
import { checkDigest, checkHost, checkPath, checkTag } from './validate.js';

/**
 * No valid reference comes near this (host + 255-character path + 128-character
 * tag + sha512 digest); longer input is refused before any pattern runs on it.
 */
const INPUT_MAX = 2048;

/** How much of a refused input an error message quotes. */
const QUOTE_MAX = 300;

function refused(input: unknown, reason: string): InvalidReferenceError {
  let shown = String(input);
  if (shown.length > QUOTE_MAX) shown = `${shown.slice(0, QUOTE_MAX)}… (${shown.length} characters)`;
  return new InvalidReferenceError(shown, reason, { hint: hintFor(reason) });
}

/** Internal: a parse failure carrying only the reason. */
class Reason {
  constructor(readonly text: string) {}
}

/** Docker Hub's canonical host for the legacy name. */
export function normaliseRegistry(registry: string): string {
  return registry === LEGACY_DOCKER_HUB ? DOCKER_HUB : registry;
}

/** Docker Hub's single-component names live under "library/". */
export function normalisePath(registry: string, path: string): string {
  return registry === DOCKER_HUB && !path.includes('/') ? OFFICIAL_REPO_PREFIX + path : path;
}

/** Builds a frozen Reference, leaving absent fields out (so deep equality works). */
export function makeReference(registry: string, repository: string, tag?: string, digest?: string): Reference {
  const r: { registry: string; repository: string; tag?: string; digest?: string } = { registry, repository };
  if (tag !== undefined) r.tag = tag;
  if (digest !== undefined) r.digest = digest;
  return Object.freeze(r);
}

function resolveOptions(opts: ParseOptions | undefined): { registry: string; tag: string | undefined } {
  const registry = normaliseRegistry(opts?.defaultRegistry ?? DOCKER_HUB);
  if (!isRegistryHost(registry)) {
    throw new UsageError(`invalid default registry ${JSON.stringify(registry)}: not a registry host`, {
      hint: 'give a host such as registry.example.com or 127.0.0.1:5000',
    });
  }
  const tag = opts?.defaultTag === null ? undefined : (opts?.defaultTag ?? 'latest');
  if (tag !== undefined && checkTag(tag) !== undefined) {
    throw new UsageError(`invalid default tag ${JSON.stringify(tag)}`);
  }
  return { registry, tag };
}

function parseOrReason(input: string, defaults: { registry: string; tag: string | undefined }): Reference | Reason {
  if (typeof input !== 'string') return new Reason(`expected a string, got ${input === null ? 'null' : typeof input}`);
  if (input === '') return new Reason('empty reference');
  if (input.length > INPUT_MAX) return new Reason(`longer than ${INPUT_MAX} characters (${input.length})`);
  if (input.trim() !== input) return new Reason('leading or trailing whitespace');
  if (/\s/.test(input)) return new Reason('contains whitespace');
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(input);
  if (scheme) return new Reason(`an image reference has no URL scheme: remove ${JSON.stringify(scheme[0])}`);
  if (IDENTIFIER_RE.test(input)) {
    return new Reason('a 64-character hexadecimal string is an image ID, not a repository name');
  }

  // name[:tag]@digest
  let nameTag = input;
  let digest: string | undefined;
  const at = input.indexOf('@');
  if (at >= 0) {
    nameTag = input.slice(0, at);
    digest = input.slice(at + 1);
    if (digest.includes('@')) return new Reason('more than one "@"');
    const bad = checkDigest(digest);
    if (bad) return new Reason(bad);
  }
  if (nameTag === '') return new Reason('missing repository name before "@"');

  // [host/]path[:tag]
  let registry: string | undefined;
  let rest = nameTag;
  const slash = nameTag.indexOf('/');
  if (slash >= 0) {
    const first = nameTag.slice(0, slash);
    if (looksLikeHost(first)) {
      const bad = checkHost(first);
      if (bad) return new Reason(bad);
      registry = first;
      rest = nameTag.slice(slash + 1);
    }
  }
  let path = rest;
  let tag: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    path = rest.slice(0, colon);
    tag = rest.slice(colon + 1);
  }
  if (path === '') return new Reason(colon === 0 ? 'missing repository name before ":"' : 'missing repository name');
  if (path !== path.toLowerCase()) return new Reason(`repository name must be lowercase (${JSON.stringify(path)})`);
  if (slash < 0 && nameTag.startsWith('[')) {
    return new Reason(`${JSON.stringify(nameTag)} looks like a registry host with no repository: add "/<path>"`);
  }

  registry = normaliseRegistry(registry ?? defaults.registry);
  path = normalisePath(registry, path);
  const badPath = checkPath(path);
  if (badPath) return new Reason(badPath);
  if (tag !== undefined) {
    const bad = checkTag(tag);
    if (bad) return new Reason(bad);
  }

  if (tag === undefined && digest === undefined) tag = defaults.tag;
  return makeReference(registry, path, tag, digest);
}

/**
 * Parses and normalises `[registry[:port]/]path[:tag][@digest]`:
 * "nginx" → docker.io/library/nginx:latest. Throws InvalidReferenceError
 * naming the input and the reason.
 */
export function parseReference(input: string, opts?: ParseOptions): Reference {
  const r = parseOrReason(input, resolveOptions(opts));
  if (r instanceof Reason) throw refused(input, r.text);
  return r;
}

export function tryParseReference(
  input: string,
  opts?: ParseOptions,
): { ok: true; ref: Reference } | { ok: false; error: InvalidReferenceError } {
  const r = parseOrReason(input, resolveOptions(opts));
  if (r instanceof Reason) {
    return { ok: false, error: refused(input, r.text) };
  }
  return { ok: true, ref: r };
}

function hintFor(reason: string): string {
  if (reason.startsWith('repository name must be lowercase')) return 'write the repository path in lowercase';
  if (reason.startsWith('digest') || reason.includes('digest')) {
    return 'a digest looks like sha256:<64 lowercase hex characters>; copy it from the registry or `skopeo inspect`';
  }
  return 'an image reference looks like [registry[:port]/]path[:tag][@sha256:<hex>], e.g. quay.io/org/app:1.2';
}
