/**
 * Component checks. Each returns undefined when the component is valid, or a
 * specific reason (a sentence fragment) that ends up in InvalidReferenceError.
 */
import {
  DIGEST_ALGORITHM_RE,
  DIGEST_HEX_LENGTH,
  DOMAIN_NAME_RE,
  PATH_COMPONENT_RE,
  REPOSITORY_NAME_MAX,
  TAG_MAX,
  TAG_RE,
} from './grammar.js';

const q = (s: string): string => JSON.stringify(s);

const HOST_EXAMPLES = 'expected host[:port], e.g. registry.example.com, localhost:5000, 127.0.0.1:5000 or [::1]:5000';

/** IPv6 literal without brackets: hex groups, at most one "::", no zone, no embedded IPv4. */
export function isIPv6Literal(s: string): boolean {
  if (!/^[0-9a-fA-F:]+$/.test(s)) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): string[] | undefined => {
    if (part === '') return [];
    const g = part.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : undefined;
  };
  const head = groups(halves[0] ?? '');
  if (!head) return false;
  if (halves.length === 1) return head.length === 8;
  const tail = groups(halves[1] ?? '');
  if (!tail) return false;
  return head.length + tail.length <= 7;
}

function checkPort(port: string | undefined, host: string): string | undefined {
  if (port === undefined) return undefined;
  if (!/^[0-9]+$/.test(port)) return `invalid registry host ${q(host)}: the port must be a number`;
  const n = Number(port);
  if (n < 1 || n > 65535) return `invalid registry host ${q(host)}: port ${port} is out of range (1-65535)`;
  return undefined;
}

/** Validates `host[:port]` (domain name, IPv4, or bracketed IPv6). */
export function checkHost(host: string): string | undefined {
  if (host === '') return 'empty registry host';
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return `invalid registry host ${q(host)}: missing "]" after the IPv6 address`;
    const inner = host.slice(1, close);
    const rest = host.slice(close + 1);
    if (!isIPv6Literal(inner)) {
      return `invalid registry host ${q(host)}: ${q(inner)} is not an IPv6 address (zones and embedded IPv4 are not allowed)`;
    }
    if (rest === '') return undefined;
    if (!rest.startsWith(':')) return `invalid registry host ${q(host)}: ${HOST_EXAMPLES}`;
    return checkPort(rest.slice(1), host);
  }
  if (host.split(':').length > 2) {
    if (isIPv6Literal(host) || isIPv6Literal(host.slice(0, host.lastIndexOf(':')))) return `invalid registry host ${q(host)}: put an IPv6 address in brackets, e.g. [::1]:5000`;
    return `invalid registry host ${q(host)}: more than one ":"`;
  }
  const colon = host.indexOf(':');
  const name = colon < 0 ? host : host.slice(0, colon);
  const port = colon < 0 ? undefined : host.slice(colon + 1);
  if (!DOMAIN_NAME_RE.test(name)) {
    if (name.includes('_')) return `invalid registry host ${q(host)}: host names cannot contain "_"`;
    return `invalid registry host ${q(host)}: ${HOST_EXAMPLES}`;
  }
  return checkPort(port, host);
}

/** Validates a repository path (without host). */
export function checkPath(path: string): string | undefined {
  if (path === '') return 'missing repository name';
  if (path !== path.toLowerCase()) return `repository name must be lowercase (${q(path)})`;
  for (const component of path.split('/')) {
    if (component === '') return `empty path component in ${q(path)} (leading, trailing or doubled "/")`;
    if (!PATH_COMPONENT_RE.test(component)) {
      return (
        `invalid path component ${q(component)} in ${q(path)}: use lowercase letters and digits, ` +
        'separated by ".", "_", "__" or "-" (no leading, trailing or doubled separators)'
      );
    }
  }
  if (path.length > REPOSITORY_NAME_MAX) {
    return `name longer than ${REPOSITORY_NAME_MAX} characters (repository ${q(path.slice(0, 40))}… has ${path.length})`;
  }
  return undefined;
}

export function checkTag(tag: string): string | undefined {
  if (tag === '') return 'empty tag after ":"';
  if (tag.length > TAG_MAX) return `invalid tag: longer than ${TAG_MAX} characters (${tag.length})`;
  if (!TAG_RE.test(tag)) {
    return `invalid tag ${q(tag)}: use letters, digits, "_", "." and "-", starting with a letter, digit or "_"`;
  }
  return undefined;
}

export function checkDigest(digest: string): string | undefined {
  if (digest === '') return 'empty digest after "@"';
  const colon = digest.indexOf(':');
  if (colon < 0) return `invalid digest ${q(digest)}: expected algorithm:hex, e.g. sha256:<64 hex characters>`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const want = DIGEST_HEX_LENGTH[algorithm];
  if (want === undefined) {
    if (!DIGEST_ALGORITHM_RE.test(algorithm)) {
      return `invalid digest ${q(digest)}: expected algorithm:hex, e.g. sha256:<64 hex characters>`;
    }
    return `digest: unsupported algorithm ${q(algorithm)} (supported: sha256, sha512)`;
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) return `digest: ${algorithm} needs ${want} hex characters, found non-hex characters`;
  if (hex.length !== want) return `digest: ${algorithm} needs ${want} hex characters, got ${hex.length}`;
  if (hex !== hex.toLowerCase()) return `digest: ${algorithm} hex must be lowercase`;
  return undefined;
}
