/** Link header (RFC 8288) parsing for tag-list pagination. Pure. */

export interface LinkValue {
  url: string;
  params: Record<string, string>;
}

export function parseLinkHeader(header: string | string[] | undefined): LinkValue[] {
  if (header === undefined) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: LinkValue[] = [];
  const re = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const params: Record<string, string> = {};
    for (const p of (m[2] ?? '').split(';')) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      let v = p.slice(eq + 1).trim();
      if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
      params[k] = v;
    }
    out.push({ url: m[1]!, params });
  }
  return out;
}

/** The `rel="next"` target resolved against `base`, or undefined. */
export function nextLink(header: string | string[] | undefined, base: string): string | undefined {
  const next = parseLinkHeader(header).find((l) => l.params.rel?.split(/\s+/).includes('next'));
  return next ? new URL(next.url, base).toString() : undefined;
}
