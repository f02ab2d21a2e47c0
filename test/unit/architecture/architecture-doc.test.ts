/**
 * ARCHITECTURE.md says where every src/ folder, every file at src/'s top and every cmd/ file
 * belongs: each is named in it (a folder as `name/`, a file as `name.ts`, either with its path
 * from the repository's root or, inside its parent's paragraph, without).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The places the document must name: src/'s folders (all depths) and top-level files, cmd/'s files and folders. */
function places(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        out.push(`${child}/`);
        walk(child);
      }
    }
  };
  walk('src');
  for (const top of ['src', 'cmd']) {
    for (const e of readdirSync(path.join(REPO_ROOT, top), { withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(`${top}/${e.name}`);
      if (top === 'cmd' && e.isDirectory()) out.push(`cmd/${e.name}/`);
    }
  }
  return out.sort();
}

/** Whether the text names a place in backticks: its whole path, or its last part. */
function names(doc: string, place: string): boolean {
  const last = place.endsWith('/') ? `${path.posix.basename(place)}/` : path.posix.basename(place);
  return doc.includes(`\`${place}\``) || doc.includes(`\`${last}\``);
}

describe('ARCHITECTURE.md', () => {
  const doc = readFileSync(path.join(REPO_ROOT, 'ARCHITECTURE.md'), 'utf8');

  it('finds the places (the walk sees the tree)', () => {
    const all = places();
    expect(all).toContain('src/chart/template/');
    expect(all).toContain('src/errors.ts');
    expect(all).toContain('cmd/main.ts');
    expect(all).toContain('cmd/commands/');
  });

  it('tells a named place from an unnamed one', () => {
    expect(names('- **`src/shard/`**: pure', 'src/shard/')).toBe(true);
    expect(names('`main.ts` turns argv', 'cmd/main.ts')).toBe(true);
    expect(names('nothing here', 'src/shard/')).toBe(false);
    expect(names('`mainly.ts`', 'cmd/main.ts')).toBe(false);
  });

  it('names every src/ folder, src/ top-level file and cmd/ file', () => {
    expect(places().filter((p) => !names(doc, p))).toEqual([]);
  });
});
