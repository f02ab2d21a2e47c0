/**
 * URL strings of registry requests without running the URL parser on every request (a sync of
 * 200 small images sends 3,200 requests, and parsing each URL two or three times was a visible
 * part of the client's CPU). Each function gives exactly what the parser would; anything the fast
 * path is not sure of goes through the parser.
 */

/**
 * A path and query that the URL parser leaves as they are after an origin: no character it would
 * percent-encode or read specially (space, quotes, `<>`, `#`, `\`, `^`, backquote, braces, `|`,
 * non-ASCII), no `%` in the path (`%2e` is a dot segment to it), no `.` or `..` segment.
 */
const PLAIN = /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@/]*(\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*)?$/;
const DOT_SEGMENT = /\/\.{1,2}(\/|\?|$)/;

/** `new URL(path, origin).toString()` for an origin ("http://host:port", as URL#origin writes it) and a path or URL. */
export function urlOn(origin: string, path: string): string {
  if (PLAIN.test(path) && !DOT_SEGMENT.test(path)) return origin + path;
  // a URL on the origin already (an upload's Location): itself when its path and query are plain
  if (path.startsWith(origin) && path.charCodeAt(origin.length) === 0x2f /* / */) {
    const rest = path.slice(origin.length);
    if (PLAIN.test(rest) && !DOT_SEGMENT.test(rest)) return path;
  }
  return new URL(path, origin).toString();
}

/**
 * `new URL(location, base).toString()` for `base` a URL as the parser writes it (the URL that
 * answered a request) and `location` a header's value: an absolute path, or a URL on base's origin.
 */
export function resolveOn(base: string, location: string): string {
  const scheme = base.indexOf('://');
  const slash = scheme < 0 ? -1 : base.indexOf('/', scheme + 3);
  const origin = slash < 0 ? '' : base.slice(0, slash);
  if (origin && !origin.includes('@') && (base.startsWith('http://') || base.startsWith('https://'))) {
    if (location.charCodeAt(0) === 0x2f /* / */ && location.charCodeAt(1) !== 0x2f) return urlOn(origin, location);
    if (location.startsWith(origin) && location.charCodeAt(origin.length) === 0x2f) return urlOn(origin, location);
  }
  return new URL(location, base).toString();
}

/** A query whose form-urlencoded parse and serialization (URLSearchParams) give it back unchanged. */
const FORM_PAIR = /^(?:[A-Za-z0-9*\-._]|%[2-7][0-9A-F])+=(?:[A-Za-z0-9*\-._]|%[2-7][0-9A-F])*$/;
/** What form-urlencoding writes as they are (URLSearchParams' serializer). */
const FORM_SAFE = /^[A-Za-z0-9*\-._]$/;

function formEncodesAsIs(pair: string): boolean {
  if (!FORM_PAIR.test(pair)) return false;
  // an escape of a character the serializer writes bare (%41 → A), or of a space (→ +), comes back another way
  for (let i = pair.indexOf('%'); i >= 0; i = pair.indexOf('%', i + 1)) {
    const c = String.fromCharCode(parseInt(pair.slice(i + 1, i + 3), 16));
    if (c === ' ' || FORM_SAFE.test(c)) return false;
  }
  return true;
}

const FORM_BARE = /^[A-Za-z0-9*\-._]*$/;
const NON_ASCII = /[^\x00-\x7f]/;

function formEncode(value: string): string | undefined {
  if (FORM_BARE.test(value)) return value;
  if (NON_ASCII.test(value)) return undefined;
  return value.replace(/[^A-Za-z0-9*\-._]/g, (c) => (c === ' ' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));
}

/**
 * `u = new URL(url); u.searchParams.set(name, value); u.toString()` for `url` as the parser writes
 * it (an upload's location, see resolveOn): appended when the query has no `name` and comes back
 * from URLSearchParams unchanged, else through the parser.
 */
export function withQueryParam(url: string, name: string, value: string): string {
  const q = url.indexOf('?');
  const query = q < 0 ? '' : url.slice(q + 1);
  const pairs = query === '' ? [] : query.split('&');
  const key = formEncode(name);
  const v = formEncode(value);
  if (!url.includes('#') && !(q >= 0 && query === '') && key && key === name && v !== undefined && pairs.every((p) => formEncodesAsIs(p) && !p.startsWith(`${key}=`))) {
    return `${url}${q < 0 ? '?' : '&'}${key}=${v}`;
  }
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/**
 * The path and query of `url` when it is on `origin` (`new URL(url).origin === origin`; `url` a
 * URL as the parser writes it: urlOn's or URL#toString's), else undefined. A fragment and an
 * empty query (`?` at the end) are not part of the path the parser gives: those URLs are parsed.
 */
export function pathOn(origin: string, url: string): string | undefined {
  if (url.startsWith(origin) && url.charCodeAt(origin.length) === 0x2f /* / */ && !url.includes('#') && !url.endsWith('?')) return url.slice(origin.length);
  const u = new URL(url);
  return u.origin === origin ? u.pathname + u.search : undefined;
}
