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
  return new URL(path, origin).toString();
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
