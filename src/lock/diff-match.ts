/**
 * The matching under a lock diff (pure): entries of the old and the new list paired by a name;
 * where either list holds one name more than once (a chart at two versions, an image at two
 * destinations), entries of that name are paired by name and a second key instead.
 */
export interface Matched<T, C> {
  added: T[];
  removed: T[];
  changed: C[];
}

function duplicated<T>(list: readonly T[], name: (t: T) => string): Set<string> {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const t of list) (seen.has(name(t)) ? dup : seen).add(name(t));
  return dup;
}

/** Added, removed, and what `change` says of each pair (undefined: no change), in the new list's order. */
export function matchEntries<T, C>(before: readonly T[], after: readonly T[], name: (t: T) => string, second: (t: T) => string, change: (prev: T, next: T) => C | undefined): Matched<T, C> {
  const dup = new Set([...duplicated(before, name), ...duplicated(after, name)]);
  const key = (t: T): string => (dup.has(name(t)) ? `${name(t)}\u0000${second(t)}` : name(t));
  const old = new Map(before.map((t) => [key(t), t]));
  const now = new Map(after.map((t) => [key(t), t]));
  const out: Matched<T, C> = { added: [], removed: [], changed: [] };
  for (const [k, t] of now) {
    const prev = old.get(k);
    if (!prev) {
      out.added.push(t);
      continue;
    }
    const c = change(prev, t);
    if (c !== undefined) out.changed.push(c);
  }
  for (const [k, t] of old) if (!now.has(k)) out.removed.push(t);
  return out;
}
